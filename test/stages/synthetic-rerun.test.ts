// A statement that fails only on pgpro's synthetic rows is re-run on the same state without them: a
// warning that says which rows would break it, and the review goes on. Rows the history or the change
// wrote are real: a failure on them stays an apply-error.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { relationsOf } from '../../src/stages/synthetic-rerun.js';
import type { Finding, ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const config = parseConfig('explain:\n  enabled: false\n', 'test.yml');
const deps = { env: {} };

const HISTORY = {
  'db/migrations/0001_tables.sql': [
    'CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);',
    'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_email text, total numeric(10,2) NOT NULL, paid boolean NOT NULL DEFAULT false);',
    'CREATE TABLE settings (key text PRIMARY KEY, value text);',
    "INSERT INTO settings VALUES ('theme', NULL);",
    '',
  ].join('\n'),
};

const CHECK = 'db/migrations/0002_check.sql';
const BACKFILL = 'db/migrations/0003_backfill.sql';
const OWN_ROWS = 'db/migrations/0004_own_rows.sql';
const HISTORY_ROWS = 'db/migrations/0005_history_rows.sql';
const TYPE = 'db/migrations/0006_type.sql';

async function reviewOne(file: string, sql: string): Promise<ReviewResult> {
  return review({ head: memoryTree({ ...HISTORY, [file]: sql }), changed: [file] }, { config }, deps);
}

const byRule = (result: ReviewResult, rule: string): Finding[] => result.findings.filter((f) => f.rule === rule);

let check: ReviewResult;
let backfill: ReviewResult;
let ownRows: ReviewResult;
let historyRows: ReviewResult;
let unpredicted: ReviewResult;

beforeAll(async () => {
  [check, backfill, ownRows, historyRows, unpredicted] = await Promise.all([
    reviewOne(CHECK, 'ALTER TABLE orders ADD CONSTRAINT total_cap CHECK (total < 5);\nCREATE INDEX orders_paid_idx ON orders (paid);\n'),
    reviewOne(
      BACKFILL,
      [
        'ALTER TABLE orders ADD COLUMN customer_id bigint;',
        'UPDATE orders o SET customer_id = c.id FROM customers c WHERE c.email = o.customer_email;',
        'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;',
        '',
      ].join('\n'),
    ),
    reviewOne(OWN_ROWS, "INSERT INTO customers (email) VALUES ('a@example.com'), ('a@example.com');\nCREATE UNIQUE INDEX customers_email_key ON customers (email);\n"),
    reviewOne(HISTORY_ROWS, 'ALTER TABLE settings ALTER COLUMN value SET NOT NULL;\n'),
    reviewOne(TYPE, 'UPDATE orders SET total = total * 1000000000;\n'),
  ]);
}, 240_000);

describe('a statement that fails only on synthetic rows', () => {
  it('is folded into the rule that predicts it, with the query to find such rows, and the file goes on', () => {
    expect(byRule(check, 'apply-error')).toEqual([]);
    expect(byRule(check, 'fails-on-existing-rows')).toEqual([]);
    const [finding] = byRule(check, 'constraint-missing-not-valid');
    expect(finding!.message).toContain(
      "On the sandbox's synthetic rows it failed (SQLSTATE 23514) and applied once they were removed: it fails if production has rows like them.",
    );
    expect(finding!.evidence).toContain('synthetic rows of public.orders removed: it applied');
    expect(finding!.evidence).toContain('Find such rows on production: SELECT * FROM orders WHERE NOT (total < 5) LIMIT 100;');
    expect(check.migrations.find((m) => m.file === CHECK)).toMatchObject({ status: 'applied' });
    expect(byRule(check, 'require-concurrent-index-creation')).toEqual([expect.objectContaining({ line: 2 })]);
  });

  it('is a warning of its own where no rule predicts it', () => {
    const [finding] = byRule(unpredicted, 'fails-on-existing-rows');
    expect(finding).toMatchObject({ severity: 'warning', source: 'apply', file: TYPE, line: 1 });
    expect(finding!.message).toMatch(/^This fails if production has rows like the sandbox's synthetic ones: numeric field overflow/);
    expect(finding!.evidence).toContain('SQLSTATE 22003');
    expect(byRule(unpredicted, 'apply-error')).toEqual([]);
  });

  it('covers a backfill that leaves NULLs before SET NOT NULL', () => {
    expect(byRule(backfill, 'apply-error')).toEqual([]);
    const [finding] = byRule(backfill, 'adding-not-nullable-field');
    expect(finding).toMatchObject({ line: 3 });
    expect(finding!.evidence).toContain('Find such rows on production: SELECT count(*) FROM orders WHERE customer_id IS NULL;');
    expect(backfill.migrations.find((m) => m.file === BACKFILL)).toMatchObject({ status: 'applied' });
  });
});

describe('a failure on real rows stays the migration\'s error', () => {
  it('rows the change inserted itself', () => {
    expect(byRule(ownRows, 'fails-on-existing-rows')).toEqual([]);
    const [finding] = byRule(ownRows, 'require-concurrent-index-creation');
    expect(finding).toMatchObject({ severity: 'error', line: 2 });
    expect(finding!.message).toContain('This fails on a non-empty table: observed in the sandbox (could not create unique index "customers_email_key", SQLSTATE 23505)');
    expect(ownRows.migrations.find((m) => m.file === OWN_ROWS)).toMatchObject({ status: 'failed' });
  });

  it('rows the history inserted', () => {
    expect(byRule(historyRows, 'fails-on-existing-rows')).toEqual([]);
    const errors = historyRows.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.message).join('\n')).toMatch(/contains null values/);
    expect(historyRows.migrations.find((m) => m.file === HISTORY_ROWS)).toMatchObject({ status: 'failed' });
  });
});

describe('relationsOf', () => {
  it('finds wrapped and bare RangeVars with their schema', () => {
    const ast = { AlterTableStmt: { relation: { relname: 'orders', schemaname: 'shop' }, cmds: [{ RangeVar: { relname: 'customers' } }] } };
    expect(relationsOf(ast)).toEqual([{ name: 'orders', schema: 'shop' }, { name: 'customers' }]);
  });
});

describe('a failure on any row is the migration\'s own', () => {
  let added: ReviewResult;
  let addedThenRequired: ReviewResult;
  beforeAll(async () => {
    [added, addedThenRequired] = await Promise.all([
      reviewOne('db/migrations/0007_required.sql', 'ALTER TABLE customers ADD COLUMN tier_id bigint NOT NULL;\n'),
      reviewOne('db/migrations/0008_later.sql', 'ALTER TABLE customers ADD COLUMN tier_id bigint;\nALTER TABLE customers ALTER COLUMN tier_id SET NOT NULL;\n'),
    ]);
  }, 120_000);

  it('SET NOT NULL on a column an earlier statement added without a default or backfill: not re-run, an error', () => {
    expect(byRule(addedThenRequired, 'fails-on-existing-rows')).toEqual([]);
    const errors = addedThenRequired.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => f.message).join('\n')).toContain('column "tier_id" of relation "customers" contains null values');
    expect(addedThenRequired.migrations.find((m) => m.file === 'db/migrations/0008_later.sql')).toMatchObject({ status: 'failed' });
  });

  it('ADD COLUMN … NOT NULL without a default fails whatever the rows hold: not re-run, an error', () => {
    expect(byRule(added, 'fails-on-existing-rows')).toEqual([]);
    const [finding] = added.findings.filter((f) => f.severity === 'error');
    expect(finding!.message).toContain('This fails on a non-empty table: observed in the sandbox (column "tier_id" of relation "customers" contains null values, SQLSTATE 23502');
    expect(added.migrations.find((m) => m.file === 'db/migrations/0007_required.sql')).toMatchObject({ status: 'failed' });
  });
});
