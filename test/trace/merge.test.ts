import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/finding.js';
import { MERGE_TABLE, mergeFindings } from '../../src/trace/merge.js';
import type { Finding, Severity } from '../../src/types.js';

const FILE = 'db/migrations/0002.sql';

function f(rule: string, source: 'lint' | 'trace', line: number, endLine: number, severity: Severity, extra: Partial<Finding> = {}): Finding {
  return {
    rule, severity, source, file: FILE, line, endLine,
    message: `${rule} message`, fingerprint: fingerprint(rule, FILE, `stmt ${line}`), ...extra,
  };
}

describe('mergeFindings', () => {
  it('keeps one finding under the lint id when both see the same hazard, with the trace evidence', () => {
    const lint = f('adding-field-with-default', 'lint', 3, 3, 'error', { fix: { title: 'lint fix' }, evidence: 'estimated 1M rows' });
    const rewrite = f('table-rewrite', 'trace', 2, 4, 'error', { evidence: 'rewrite: public.orders relfilenode 1 → 2' });
    const merged = mergeFindings([lint], [rewrite]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ rule: 'adding-field-with-default', source: 'lint', severity: 'error', fix: { title: 'lint fix' }, fingerprint: lint.fingerprint });
    expect(merged[0]!.evidence).toBe('estimated 1M rows\nobserved in the sandbox (table-rewrite): table-rewrite message\nrewrite: public.orders relfilenode 1 → 2');
  });

  it('CREATE INDEX: require-concurrent-index-creation absorbs the observed ShareLock scan and takes its fix when it has none', () => {
    const lint = f('require-concurrent-index-creation', 'lint', 5, 5, 'warning');
    const scan = f('full-table-scan', 'trace', 5, 6, 'warning', { fix: { title: 'CONCURRENTLY', sql: 'CREATE INDEX CONCURRENTLY …' } });
    const [merged, ...rest] = mergeFindings([lint], [scan]);
    expect(rest).toEqual([]);
    expect(merged).toMatchObject({ rule: 'require-concurrent-index-creation', fix: { sql: 'CREATE INDEX CONCURRENTLY …' } });
  });

  it.each([
    ['changing-column-type', /binary-coercible/],
    ['adding-field-with-default', /no rewrite/],
    ['adding-not-nullable-field', /validated CHECK/],
    ['constraint-missing-not-valid', /no scan/],
  ])('%s drops to info when the statement was observed without the hazard', (rule, observed) => {
    const lint = f(rule, 'lint', 7, 7, 'error');
    const lock = f('lock-access-exclusive', 'trace', 7, 7, 'info', { evidence: 'pg_locks: AccessExclusiveLock on public.orders' });
    const merged = mergeFindings([lint], [lock]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ rule, severity: 'info', source: 'lint' });
    expect(merged[0]!.message).toMatch(observed);
    expect(merged[0]!.evidence).toBe('observed in the sandbox: pg_locks: AccessExclusiveLock on public.orders');
  });

  it('keeps the lint finding as is when its statement was not observed, and unrelated trace findings', () => {
    const lint = f('changing-column-type', 'lint', 7, 7, 'error');
    const other = f('table-rewrite', 'trace', 9, 9, 'error');
    const held = f('lock-held-across-statements', 'trace', 7, 7, 'warning');
    expect(mergeFindings([lint], [other, held])).toEqual([lint, other, held]);
  });

  it('renames and drops keep their lint severity and absorb the brief-lock observation', () => {
    const lint = f('renaming-column', 'lint', 2, 2, 'warning');
    const lock = f('lock-access-exclusive', 'trace', 2, 2, 'info', { evidence: 'pg_locks: AccessExclusiveLock on public.orders' });
    const merged = mergeFindings([lint], [lock]);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ rule: 'renaming-column', severity: 'warning' });
    expect(merged[0]!.evidence).toContain('AccessExclusiveLock on public.orders');
  });

  it('require-timeout-settings speaks for the file: merges with missing-lock-timeout on another line', () => {
    const lint = f('require-timeout-settings', 'lint', 1, 1, 'warning');
    const missing = f('missing-lock-timeout', 'trace', 4, 4, 'warning', { evidence: 'lock_timeout 0' });
    const merged = mergeFindings([lint], [missing]);
    expect(merged).toHaveLength(1);
    expect(merged[0]!.rule).toBe('require-timeout-settings');
    // Observed with a lock_timeout in effect: cleared to info, and the lock finding itself stays.
    const lock = f('lock-access-exclusive', 'trace', 4, 4, 'info');
    const cleared = mergeFindings([lint], [lock]);
    expect(cleared.map((x) => [x.rule, x.severity])).toEqual([['require-timeout-settings', 'info'], ['lock-access-exclusive', 'info']]);
  });

  it('one trace finding can confirm two lint findings on the same statement, and is dropped once', () => {
    const a = f('adding-field-with-default', 'lint', 3, 3, 'error');
    const b = f('adding-not-nullable-field', 'lint', 3, 3, 'error');
    const rewrite = f('table-rewrite', 'trace', 3, 3, 'error');
    expect(mergeFindings([a, b], [rewrite]).map((x) => x.rule)).toEqual(['adding-field-with-default', 'adding-not-nullable-field']);
  });

  it('the merge table names only lint rules once each and only trace rules that exist', () => {
    const lintIds = MERGE_TABLE.map((r) => r.lint);
    expect(new Set(lintIds).size).toBe(lintIds.length);
    const traceIds = new Set(['lock-access-exclusive', 'lock-blocks-writes', 'table-rewrite', 'full-table-scan', 'missing-lock-timeout']);
    for (const rule of MERGE_TABLE) for (const id of [...rule.confirmedBy, ...(rule.refuted?.by ?? [])]) expect(traceIds).toContain(id);
  });
});
