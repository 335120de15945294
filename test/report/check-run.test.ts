import { describe, expect, it } from 'vitest';
import { checkRunOutput } from '../../src/report/check-run.js';
import type { Severity } from '../../src/types.js';
import { ADD_NOTE, cleanResult, finding, sampleResult } from './fixture.js';

describe('check run output', () => {
  it('passes the conclusion through and titles it with counts and migrations', () => {
    const output = checkRunOutput(sampleResult());
    expect(output.conclusion).toBe('failure');
    expect(output.title).toBe('2 errors, 1 warning, 1 info in 2 migrations');
    const warnings = sampleResult({
      conclusion: 'neutral',
      findings: sampleResult().findings.filter((f) => f.severity === 'warning'),
    });
    expect(checkRunOutput(warnings).title).toBe('1 warning in 1 migration');
    expect(checkRunOutput(warnings).conclusion).toBe('neutral');
  });

  it('says no hazards were found, with no annotations and no text, when clean', () => {
    const output = checkRunOutput(cleanResult());
    expect(output).toMatchObject({ conclusion: 'success', title: 'No migration hazards found', annotations: [] });
    expect(output.text).toBeUndefined();
    expect(output.summary).toContain('## ✅ pgpro: No migration hazards found');
    const none = cleanResult();
    expect(checkRunOutput({ ...none, migrations: [], sources: {}, stats: { ...none.stats, migrationsNew: 0 } }).title).toBe(
      'No new migrations to review',
    );
  });

  it('maps findings to annotations sorted by file and line', () => {
    const [batch] = checkRunOutput(sampleResult()).annotations;
    expect(batch!.map((a) => [a.path, a.start_line, a.end_line, a.annotation_level, a.title])).toEqual([
      [ADD_NOTE, 2, 3, 'warning', 'adding-not-nullable-field'],
      [ADD_NOTE, 5, 5, 'failure', 'require-concurrent-index-creation'],
      [ADD_NOTE, 7, 15, 'notice', 'agent/batch-backfill'],
      ['db/migrations/20240103_bad.sql', 1, 1, 'failure', 'apply-error'],
    ]);
    expect(batch![1]!.message).toBe(
      'CREATE INDEX locks orders against writes (ShareLock) while the index builds.\n\n' +
        'Fix: Build the index concurrently, outside a transaction\nCREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);',
    );
    expect(batch![1]!.raw_details).toBe('ShareLock on public.orders\nseq scans: public.orders 1 (0 rows)');
    expect(batch![0]).not.toHaveProperty('raw_details');
  });

  it('sends annotations in batches of 50 and keeps summary and text within 65,535 characters', () => {
    const severities: Severity[] = ['error', 'warning', 'info'];
    const findings = Array.from({ length: 2020 }, (_, i) =>
      finding({
        rule: `rule-${i % 5}`,
        severity: severities[i % 3],
        file: ADD_NOTE,
        line: i + 1,
        evidence: 'x'.repeat(300),
      }),
    );
    const output = checkRunOutput(sampleResult({ findings }));
    expect(output.annotations.map((batch) => batch.length)).toEqual([...Array(40).fill(50), 20]);
    expect(output.annotations.flat().map((a) => a.start_line)).toEqual(findings.map((f) => f.line));
    expect(output.summary.length).toBeLessThanOrEqual(65_535);
    expect(output.text!.length).toBeLessThanOrEqual(65_535);
    expect(output.text).toMatch(/Showing the [\d,]+ most severe of 2,020 findings, without evidence, to fit GitHub's size limit\. Every finding is also an annotation/);
  });
});
