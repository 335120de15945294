// The rehearsal stage inside review(): a retry's failure becomes evidence of the lint finding that
// predicts it (one finding per hazard), a file in one transaction is said safe to retry in one line, and
// the stage is skipped on the server engine and when turned off.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import type { ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const HISTORY = 'CREATE TABLE orders (id bigint PRIMARY KEY, note text, total int);\nCREATE TABLE customers (id bigint PRIMARY KEY, email text);\n';
const CHANGE = 'UPDATE orders SET total = total + 1;\nALTER TABLE orders ADD COLUMN tracking text;\nCREATE INDEX orders_total_idx ON orders (total);\n';
const QUIET = 'explain:\n  enabled: false\n';

function reviewOf(files: Record<string, string>, config: string): Promise<ReviewResult> {
  return review(
    { head: memoryTree({ 'db/migrations/0001_history.sql': HISTORY, ...files }), changed: Object.keys(files) },
    { config: parseConfig(config, 't.yml') },
    { env: {} },
  );
}

describe('the rehearsal stage', () => {
  let autocommit: ReviewResult;
  let oneTransaction: ReviewResult;
  let off: ReviewResult;
  beforeAll(async () => {
    autocommit = await reviewOf({ 'db/migrations/0002_change.sql': CHANGE }, QUIET);
    oneTransaction = await reviewOf({ 'db/migrations/0002_change.sql': CHANGE }, `${QUIET}assume-in-transaction: true\n`);
    off = await reviewOf({ 'db/migrations/0002_change.sql': CHANGE }, `${QUIET}rehearsal:\n  retry: false\n`);
  }, 300_000);

  it('folds the observed retry failure into prefer-robust-stmts, and reports the backfill run twice', () => {
    const robust = autocommit.findings.find((f) => f.rule === 'prefer-robust-stmts')!;
    expect(robust.line).toBe(2);
    expect(robust.evidence).toContain(
      'observed in the sandbox (retry-fails): A retry fails here with column "tracking" of relation "orders" already exists (SQLSTATE 42701). That is what running the migration again meets if this migration stops after this statement or any later one (each statement commits on its own)',
    );
    expect(autocommit.findings.some((f) => f.rule === 'retry-fails')).toBe(false);
    const twice = autocommit.findings.find((f) => f.rule === 'retry-not-idempotent')!;
    expect(twice).toMatchObject({ line: 1, severity: 'warning', source: 'trace' });
    expect(twice.message).toContain('the rows of public.orders differ from what a single run leaves');
    expect(autocommit.stats.stages.rehearsal).toBeGreaterThanOrEqual(0);
  });

  it('never guesses a production size: a note lists the statements whose lock time is not estimated', () => {
    expect(autocommit.findings.some((f) => f.rule === 'lock-time-estimate' || /Scaled from the sandbox/.test(f.message))).toBe(false);
    expect(autocommit.notes).toContain(
      'Lock time at production size not estimated for line 3 of db/migrations/0002_change.sql: no production sizes were given (rehearsal.production-stats, rehearsal.stats-url or explain.rows; see docs/production-stats.md).',
    );
  });

  it('says in one line that a file in one transaction is safe to retry', () => {
    expect(oneTransaction.findings.filter((f) => f.rule.startsWith('retry-'))).toEqual([]);
    expect(oneTransaction.notes).toContain(
      'Retry rehearsal: db/migrations/0002_change.sql runs in one transaction, so a failure anywhere rolls it back and running it again is safe.',
    );
    expect(oneTransaction.stats.stages.rehearsal).toBeUndefined();
  });

  it('does nothing when rehearsal.retry is off', () => {
    expect(off.findings.filter((f) => f.rule.startsWith('retry-'))).toEqual([]);
    expect(off.notes.filter((n) => n.startsWith('Retry rehearsal'))).toEqual([]);
    expect(off.stats.stages.rehearsal).toBeUndefined();
  });
});

describe('lock time at production size', () => {
  // The budget is as long as allowed: this case is about the estimate, and on a starved machine the
  // default 60 s could end the rehearsal before its third size (what a budget cuts is tested elsewhere).
  let sized: ReviewResult;
  beforeAll(async () => {
    sized = await reviewOf(
      {
        'db/migrations/0002_change.sql': 'ALTER TABLE orders ALTER COLUMN total TYPE bigint;\nCREATE INDEX customers_email_idx ON customers (email);\n',
        'db/stats.csv': 'schemaname,relname,rows,total_bytes\npublic,orders,41000000,9663676416\n',
      },
      `${QUIET}assume-in-transaction: true\nrehearsal:\n  production-stats: db/stats.csv\n  sample-rows: 500\n  fail-on-lock-seconds: 0.001\n  time-budget-seconds: 1800\n`,
    );
  }, 300_000);

  it('folds the estimate into the finding about the same lock, raised to an error past the threshold', () => {
    const rewrite = sized.findings.find((f) => f.rule === 'changing-column-type')!;
    expect(rewrite.severity).toBe('error');
    expect(rewrite.message).toMatch(
      /Scaled from the sandbox to production size, this statement holds an ACCESS EXCLUSIVE lock on public\.orders for ≈ [0-9.]+(–[0-9.]+)? (ms|s|min|h) \(41M rows, from the production stats file db\/stats\.csv\): every query on orders waits, reads included\. That reaches rehearsal\.fail-on-lock-seconds \(0\.001 s\)\./,
    );
    expect(rewrite.evidence).toMatch(/observed in the sandbox \(lock-time-estimate\): .*\nMeasured in the PGlite sandbox \(.*\) at 500, 1,000, 2,000 rows of public\.orders: /);
    expect(sized.findings.filter((f) => f.rule === 'lock-time-estimate')).toEqual([]);
    expect(sized.conclusion).toBe('failure');
  });

  it('names the statements on tables without a production size', () => {
    expect(sized.notes).toContain(
      'Lock time at production size not estimated for line 2 of db/migrations/0002_change.sql: no production size is given for public.customers (add it to the stats file; see docs/production-stats.md).',
    );
  });
});
