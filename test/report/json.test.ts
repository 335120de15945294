import { describe, expect, it } from 'vitest';
import { renderJson, toJsonReport } from '../../src/report/json.js';
import type { Finding } from '../../src/types.js';
import { sampleResult } from './fixture.js';

describe('json report', () => {
  it('is exactly the version 1 contract, without sources, keys in a stable order', () => {
    const text = renderJson(sampleResult());
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual(['version', 'conclusion', 'migrations', 'findings', 'notes', 'stats', 'notReviewed', 'waivers']);
    expect(parsed.version).toBe(1);
    expect(parsed.conclusion).toBe('failure');
    expect(parsed).not.toHaveProperty('sources');
    expect(text).toMatch(/^\{\n {2}"version": 1,\n {2}"conclusion": "failure",/);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('orders finding, fix, migration and stats keys the same way whatever order they were built in', () => {
    const result = sampleResult();
    const shuffled = result.findings.map((f) => Object.fromEntries(Object.entries(f).reverse()) as unknown as Finding);
    const a = renderJson(result);
    const b = renderJson({ ...result, findings: shuffled, stats: Object.fromEntries(Object.entries(result.stats).reverse()) as never });
    expect(b).toBe(a);

    const parsed = JSON.parse(a);
    expect(Object.keys(parsed.findings[0])).toEqual([
      'rule', 'severity', 'source', 'file', 'line', 'endLine', 'message', 'fix', 'evidence', 'fingerprint',
    ]);
    expect(Object.keys(parsed.findings[0].fix)).toEqual(['title', 'sql', 'replacesStatement']);
    expect(Object.keys(parsed.migrations[2])).toEqual(['file', 'status', 'statements', 'durationMs', 'error']);
    expect(Object.keys(parsed.migrations[2].error)).toEqual(['message', 'line', 'sqlstate']);
    expect(Object.keys(parsed.stats)).toEqual(['migrationsTotal', 'migrationsNew', 'statements', 'durationMs', 'stages', 'engine', 'agent']);
  });

  it('keeps every value, including fields added to the contract later', () => {
    const result = sampleResult();
    const extended = { ...result.findings[2]!, future: 'kept' } as Finding;
    const report = toJsonReport({ ...result, findings: [extended] });
    expect(report.findings[0]).toEqual(extended);
    expect(Object.keys(report.findings[0]!).at(-1)).toBe('future');
    const { sources: _sources, ...contract } = result;
    expect(JSON.parse(renderJson(result))).toEqual({ ...contract, notReviewed: [], waivers: [] });
  });
});
