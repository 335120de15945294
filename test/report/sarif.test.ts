import { describe, expect, it } from 'vitest';
import { RULE_DOCS_BASE_URL } from '../../src/report/common.js';
import { renderSarif, SARIF_SCHEMA, toSarif } from '../../src/report/sarif.js';
import { finding, sampleResult } from './fixture.js';

describe('sarif report', () => {
  it('has the SARIF 2.1.0 structure with one run by the pgpro driver', () => {
    const log = JSON.parse(renderSarif(sampleResult()));
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('pgpro');
    expect(run.invocations[0]).toEqual({
      executionSuccessful: true,
      toolExecutionNotifications: [{ level: 'note', message: { text: 'The agent review used a cached answer.' } }],
    });
  });

  it('describes each rule once, with a short description and its documentation page', () => {
    const result = sampleResult();
    const twice = [...result.findings, { ...result.findings[0]!, line: 9, endLine: 9 }];
    const rules = toSarif({ ...result, findings: twice }, { ruleDescriptions: { 'apply-error': 'The migration failed' } })
      .runs[0]!.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual([
      'require-concurrent-index-creation',
      'adding-not-nullable-field',
      'agent/batch-backfill',
      'apply-error',
    ]);
    for (const rule of rules) {
      expect(rule.shortDescription.text.length).toBeGreaterThan(0);
      expect(rule.helpUri.startsWith(RULE_DOCS_BASE_URL)).toBe(true);
    }
    expect(rules[0]!.shortDescription.text).toBe('Require concurrent index creation');
    expect(rules[3]!.shortDescription.text).toBe('The migration failed');
  });

  it('gives every result a level, a location with a line region and the pgpro fingerprint', () => {
    const result = sampleResult();
    const run = toSarif(result).runs[0]!;
    expect(run.results).toHaveLength(result.findings.length);
    run.results.forEach((r, i) => {
      const f = result.findings[i]!;
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(r.ruleId).toBe(f.rule);
      expect(r.message.text.startsWith(f.message)).toBe(true);
      expect(r.locations[0]!.physicalLocation.artifactLocation.uri).toBe(f.file);
      expect(r.locations[0]!.physicalLocation.region).toEqual({ startLine: f.line, endLine: f.endLine });
      expect(r.partialFingerprints).toEqual({ pgproFingerprint: f.fingerprint });
    });
    expect(run.results.map((r) => r.level)).toEqual(['error', 'warning', 'note', 'error']);
    expect(run.results[0]!.message.text).toContain('Fix: Build the index concurrently');
    expect(run.results[2]!.properties).toEqual({ source: 'agent', confidence: 0.8 });
  });

  it('encodes paths as URIs and anchors them at the working directory when given', () => {
    const f = finding({ rule: 'r', file: 'db/my migrations/001 #1.sql', line: 3 });
    const run = toSarif(sampleResult({ findings: [f] }), { cwd: '/home/me/repo' }).runs[0]!;
    expect(run.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({
      uri: 'db/my%20migrations/001%20%231.sql',
      uriBaseId: 'SRCROOT',
    });
    expect(run.originalUriBaseIds).toEqual({ SRCROOT: { uri: 'file:///home/me/repo/' } });
    expect(toSarif(sampleResult()).runs[0]!.originalUriBaseIds).toBeUndefined();
  });
});
