// The merge step on hand-built findings: which findings say the same hazard, and what the one that
// remains says. Statements are stubs: the merge step only needs their lines.
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/finding.js';
import { mergeHazards, STATEMENT_RELATIONS, type HazardFinding } from '../../src/hazards/index.js';
import type { ParsedStatement, Severity } from '../../src/types.js';

const FILE = 'db/migrations/0002.sql';

/** One statement per line 1..20, plus a statement spanning lines 30-33. */
const STATEMENTS: ParsedStatement[] = [
  ...Array.from({ length: 20 }, (_, i) => ({ index: i, text: `stmt ${i + 1}`, line: i + 1, endLine: i + 1, ast: {}, kind: 'X', ignores: [] })),
  { index: 20, text: 'stmt 30', line: 30, endLine: 33, ast: {}, kind: 'X', ignores: [] },
];
const context = { statementsOf: (file: string) => (file === FILE ? STATEMENTS : undefined) };

function f(rule: string, source: HazardFinding['source'], line: number, severity: Severity, extra: Partial<HazardFinding> = {}): HazardFinding {
  return {
    rule, severity, source, file: FILE, line, endLine: line,
    message: `${rule} message.`, fingerprint: fingerprint(rule, FILE, `stmt ${line}`), ...extra,
  };
}

const rules = (findings: HazardFinding[]) => findings.map((x) => [x.rule, x.line, x.severity]);

describe('mergeHazards: the stages see one hazard', () => {
  it('keeps the lint id when the trace observes its hazard, with the observation as evidence', () => {
    const lint = f('adding-field-with-default', 'lint', 3, 'error', { fix: { title: 'lint fix' }, evidence: 'estimated 1M rows' });
    const rewrite = f('table-rewrite', 'trace', 3, 'error', { evidence: 'rewrite: public.orders relfilenode 1 → 2' });
    const merged = mergeHazards([lint, rewrite], context);
    expect(rules(merged)).toEqual([['adding-field-with-default', 3, 'error']]);
    expect(merged[0]!.evidence).toBe('estimated 1M rows\nobserved in the sandbox (table-rewrite): table-rewrite message.\nrewrite: public.orders relfilenode 1 → 2');
    expect(merged[0]!.merged).toEqual(['adding-field-with-default', 'table-rewrite']);
  });

  it('matches by statement, not by line: a rule pointing inside a multi-line statement meets the trace at its first line', () => {
    const lint = f('require-concurrent-index-creation', 'lint', 32, 'error');
    const scan = f('full-table-scan', 'trace', 30, 'warning', { endLine: 33, fix: { title: 'CONCURRENTLY', sql: 'CREATE INDEX CONCURRENTLY …' } });
    const merged = mergeHazards([lint, scan], context);
    expect(rules(merged)).toEqual([['require-concurrent-index-creation', 32, 'error']]);
    expect(merged[0]!.fix).toEqual(scan.fix);
  });

  it.each([
    ['changing-column-type', /binary-coercible/],
    ['adding-field-with-default', /no rewrite/],
    ['adding-not-nullable-field', /validated CHECK/],
    ['constraint-missing-not-valid', /no scan/],
  ])('%s drops to info when the statement was observed without the hazard', (rule, observed) => {
    const merged = mergeHazards([f(rule, 'lint', 7, 'error'), f('lock-access-exclusive', 'trace', 7, 'info', { evidence: 'pg_locks: AccessExclusiveLock on public.orders' })], context);
    expect(rules(merged)).toEqual([[rule, 7, 'info']]);
    expect(merged[0]!.message).toMatch(observed);
  });

  it('an apply error the rule predicted becomes part of the rule finding (one hazard, one fix)', () => {
    const rule = f('adding-required-field', 'lint', 4, 'warning', { fix: { title: 'Add it nullable, backfill, then SET NOT NULL' } });
    const failure = f('apply-error', 'apply', 4, 'error', {
      message: 'The migration fails here: column "customer_id" of relation "orders" contains null values (SQLSTATE 23502). The sandbox held synthetic rows in the existing tables; rows in production are likely to break it the same way. Later statements and migrations did not run.',
      evidence: 'SQLSTATE 23502',
      fix: { title: 'Backfill first' },
    });
    const merged = mergeHazards([rule, failure], context);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ rule: 'adding-required-field', severity: 'error', fix: { title: 'Add it nullable, backfill, then SET NOT NULL' } });
    expect(merged[0]!.message).toContain(
      'This fails on a non-empty table: observed in the sandbox (column "customer_id" of relation "orders" contains null values, SQLSTATE 23502, on the synthetic rows pgpro put in the existing tables).',
    );
    expect(merged[0]!.merged).toContain('apply-error');
  });

  it('an apply error the rule did not predict stays its own finding', () => {
    const rule = f('adding-required-field', 'lint', 4, 'warning');
    const failure = f('apply-error', 'apply', 4, 'error', { message: 'The migration fails here: relation "x" does not exist (SQLSTATE 42P01).' });
    expect(rules(mergeHazards([rule, failure], context))).toEqual([['adding-required-field', 4, 'warning'], ['apply-error', 4, 'error']]);
  });

  it('one observation confirming two rules on a statement leaves one finding, the worst, holding the other', () => {
    const a = f('adding-field-with-default', 'lint', 3, 'warning');
    const b = f('adding-not-nullable-field', 'lint', 3, 'error');
    const merged = mergeHazards([a, b, f('table-rewrite', 'trace', 3, 'error')], context);
    expect(rules(merged)).toEqual([['adding-not-nullable-field', 3, 'error']]);
    expect(merged[0]!.evidence).toContain('also reported as adding-field-with-default');
  });

  it('foreign-key-without-index and the EXPLAIN of the same key are one finding', () => {
    const merged = mergeHazards([f('foreign-key-without-index', 'trace', 2, 'warning'), f('fk-path-seq-scan', 'explain', 2, 'warning', { evidence: 'Seq Scan on public.items' })], context);
    expect(rules(merged)).toEqual([['foreign-key-without-index', 2, 'warning']]);
    expect(merged[0]!.evidence).toContain('planned by EXPLAIN on synthetic rows (fk-path-seq-scan)');
  });

  it('every relation names a rule id once', () => {
    const keeps = STATEMENT_RELATIONS.map((r) => r.keep);
    expect(new Set(keeps).size).toBe(keeps.length);
  });
});

describe('mergeHazards: one lock window, one finding', () => {
  const held = () =>
    f('lock-held-across-statements', 'trace', 1, 'warning', {
      hazard: { object: 'public.builds', window: [2, 3], brief: 'The ACCESS EXCLUSIVE lock on public.builds taken here lasts until COMMIT while 2 more statements run (lines 2 and 3).' },
      fix: { title: 'Hold the lock for one short statement', steps: ['Move this statement to the end of the transaction.'] },
    });

  it('statement-after-access-exclusive-lock inside the window is the window', () => {
    const after = f('statement-after-access-exclusive-lock', 'lint', 2, 'warning');
    const merged = mergeHazards([held(), after], context);
    expect(rules(merged)).toEqual([['lock-held-across-statements', 1, 'warning']]);
    expect(merged[0]!.merged).toEqual(['lock-held-across-statements', 'statement-after-access-exclusive-lock']);
  });

  it('outside the window it stays', () => {
    const after = f('statement-after-access-exclusive-lock', 'lint', 9, 'warning');
    expect(rules(mergeHazards([held(), after], context))).toHaveLength(2);
  });

  it('a window on a statement with an error becomes a sentence of that error, and so does the timeout advice', () => {
    const rewrite = f('changing-column-type', 'lint', 1, 'error', { fix: { title: 'Add a new column', steps: ['Backfill it.'] } });
    const timeout = f('require-timeout-settings', 'lint', 1, 'warning');
    const observedTimeout = f('missing-lock-timeout', 'trace', 1, 'warning');
    const lockOnly = f('lock-access-exclusive', 'trace', 3, 'info', { evidence: 'pg_locks: AccessExclusiveLock on public.builds; lock_timeout 0', hazard: { object: 'public.builds' } });
    const merged = mergeHazards([rewrite, held(), timeout, observedTimeout, f('statement-after-access-exclusive-lock', 'lint', 3, 'warning'), lockOnly], context);
    expect(rules(merged)).toEqual([['changing-column-type', 1, 'error']]);
    const [one] = merged;
    expect(one!.message).toBe(
      'changing-column-type message. The ACCESS EXCLUSIVE lock on public.builds taken here lasts until COMMIT while 2 more statements run (lines 2 and 3). ' +
        'No lock_timeout is set before it: while it waits for its lock behind a long-running query, every later query on the table queues behind it.',
    );
    expect(one!.fix!.steps).toEqual([
      'Backfill it.',
      'Hold the lock for one short statement: Move this statement to the end of the transaction.',
      "Set lock_timeout before this statement (SET lock_timeout = '5s';) and retry the migration when it times out.",
    ]);
    expect(new Set(one!.merged)).toEqual(
      new Set(['changing-column-type', 'lock-held-across-statements', 'statement-after-access-exclusive-lock', 'require-timeout-settings', 'missing-lock-timeout', 'lock-access-exclusive']),
    );
  });

  it('the timeout advice with no other finding on its statement stays one finding per file, confirmed by the trace', () => {
    const timeout = f('require-timeout-settings', 'lint', 1, 'warning');
    const observed = f('missing-lock-timeout', 'trace', 1, 'warning');
    const lockOnly = f('lock-access-exclusive', 'trace', 5, 'info', { evidence: 'pg_locks: …; lock_timeout 0' });
    expect(rules(mergeHazards([timeout, observed, lockOnly], context))).toEqual([['require-timeout-settings', 1, 'warning']]);
  });

  it('the timeout advice is cleared when the locks were taken with a lock_timeout', () => {
    const timeout = f('require-timeout-settings', 'lint', 1, 'warning');
    const lock = f('lock-access-exclusive', 'trace', 4, 'info', { evidence: 'pg_locks: …; lock_timeout 5s' });
    expect(rules(mergeHazards([timeout, lock], context))).toEqual([['require-timeout-settings', 1, 'info'], ['lock-access-exclusive', 4, 'info']]);
  });
});

describe('mergeHazards: silenced findings take their hazard with them', () => {
  it('an ignored rule also silences the observation it would have absorbed', () => {
    const ignored = f('changing-column-type', 'lint', 3, 'error');
    const rewrite = f('table-rewrite', 'trace', 3, 'error');
    const other = f('table-rewrite', 'trace', 5, 'error');
    expect(rules(mergeHazards([rewrite, other], { ...context, silenced: [ignored] }))).toEqual([['table-rewrite', 5, 'error']]);
  });

  it('an ignored lock window silences the statements it spoke for', () => {
    const window = f('lock-held-across-statements', 'trace', 1, 'warning', { hazard: { window: [2] } });
    expect(mergeHazards([f('statement-after-access-exclusive-lock', 'lint', 2, 'warning')], { ...context, silenced: [window] })).toEqual([]);
  });
});
