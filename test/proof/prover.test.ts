// The fix proof over real PGlite sandboxes: every verdict a fix can get, for fixes in an autocommit
// file, in a later file that runs in one transaction, and in a file whose original fails on the rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { createFixProver, type FixProver, type ProofTarget } from '../../src/proof/index.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { proveFindingFixes } from '../../src/stages/verify-fix.js';
import type { Finding, FixProof, MigrationFile } from '../../src/types.js';
import { PROOF_SANDBOX, shopState } from './shop-state.js';

function migration(path: string, sql: string, inTransaction: boolean): MigrationFile {
  return { path, convention: 'plain', version: path, name: path, kind: 'versioned', sql, lineOffset: 0, inTransaction, transactionReason: 'test' };
}

// Autocommit, reviewed first.
const A = migration(
  'db/0002_orders.sql',
  [
    "SET lock_timeout = '5s';",
    'CREATE INDEX orders_note_idx ON orders (note);',
    'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);',
    'UPDATE orders SET total = 1;',
    'ALTER TABLE orders ADD COLUMN shipped_at timestamptz;',
    'CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total);',
    "UPDATE orders SET note = 'x' WHERE id < 0;",
    '',
  ].join('\n'),
  false,
);
// One transaction, no lock_timeout (file-level advice the original has too), after A.
const B = migration(
  'db/0003_customers.sql',
  ['ALTER TABLE customers ADD COLUMN tier text;', 'CREATE INDEX customers_email_idx ON customers (email);', ''].join('\n'),
  true,
);
// Fails on the synthetic rows: NOT NULL without a default.
const C = migration('db/0004_required.sql', "SET lock_timeout = '5s';\nALTER TABLE customers ADD COLUMN tier_id bigint NOT NULL;\n", false);

function target(file: MigrationFile, line: number, rule: string, sql: string, endLine = line): ProofTarget {
  return { file: file.path, line, endLine, rule, sql };
}

const TARGETS = {
  concurrent: target(A, 2, 'require-concurrent-index-creation', 'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);'),
  stillBlocking: target(A, 2, 'require-concurrent-index-creation', 'CREATE INDEX orders_note_idx ON orders (note, id);'),
  otherExpression: target(A, 2, 'require-concurrent-index-creation', 'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (lower(note));'),
  missingTable: target(A, 2, 'require-concurrent-index-creation', 'CREATE INDEX CONCURRENTLY orders_note_idx ON order_lines (note);'),
  unparsable: target(A, 2, 'require-concurrent-index-creation', 'CREATE INDEXX orders_note_idx ON orders (note);'),
  bringsRewrite: target(
    A,
    2,
    'require-concurrent-index-creation',
    'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\nALTER TABLE orders ALTER COLUMN note TYPE varchar(100);',
  ),
  notValidThenValidate: target(
    A,
    3,
    'adding-foreign-key-constraint',
    'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n' +
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;',
  ),
  noOpBackfill: target(A, 4, 'agent/unbatched-backfill', 'SELECT 1;'),
  batchedBackfill: target(A, 4, 'agent/unbatched-backfill', 'UPDATE orders SET total = 1 WHERE id <= 1000;\nUPDATE orders SET total = 1 WHERE id > 1000;'),
  noOpWhereNothingChanges: target(A, 7, 'agent/unbatched-backfill', 'SELECT 1;'),
  dropsWhatLaterNeeds: target(A, 4, 'agent/unbatched-backfill', 'ALTER TABLE orders DROP COLUMN total;'),
  unchanged: target(A, 5, 'agent/timestamps', 'ALTER TABLE  orders ADD COLUMN shipped_at timestamptz ;'),
  changesType: target(A, 5, 'agent/timestamps', 'ALTER TABLE orders ADD COLUMN shipped_at timestamptz(3);'),
  notAStatement: target(A, 40, 'agent/timestamps', 'SELECT 1;'),
  concurrentInTransaction: target(B, 2, 'require-concurrent-index-creation', 'CREATE INDEX CONCURRENTLY customers_email_idx ON customers (email);'),
  sameColumnSpelledOut: target(B, 1, 'agent/tier', 'ALTER TABLE customers ADD COLUMN tier text DEFAULT NULL;'),
  requiredWithDefault: target(C, 2, 'adding-required-field', 'ALTER TABLE customers ADD COLUMN tier_id bigint NOT NULL DEFAULT 0;'),
  requiredAfterBackfill: target(
    C,
    2,
    'adding-required-field',
    [
      'ALTER TABLE customers ADD COLUMN tier_id bigint;',
      // One batch by key (a whole-table UPDATE would be a new unbounded-data-change warning).
      'UPDATE customers SET tier_id = 0 WHERE id BETWEEN 1 AND 1000000;',
      'ALTER TABLE customers ADD CONSTRAINT customers_tier_id_nn CHECK (tier_id IS NOT NULL) NOT VALID;',
      'ALTER TABLE customers VALIDATE CONSTRAINT customers_tier_id_nn;',
      'ALTER TABLE customers ALTER COLUMN tier_id SET NOT NULL;',
      'ALTER TABLE customers DROP CONSTRAINT customers_tier_id_nn;',
    ].join('\n'),
  ),
} satisfies Record<string, ProofTarget>;

type Name = keyof typeof TARGETS;
const verdicts = new Map<Name, FixProof>();
let prover: FixProver;
let opened = 0;

beforeAll(async () => {
  const { catalogBefore, start } = await shopState();
  const files = await Promise.all([A, B, C].map(async (m) => ({ migration: m, parsed: await parseMigrationSql(m.sql, m.path) })));
  prover = createFixProver({
    config: defaultConfig(),
    files,
    catalogBefore,
    start,
    open: (tarball) => {
      opened += 1;
      return createSandbox({ ...PROOF_SANDBOX, tarball });
    },
  });
  const names = Object.keys(TARGETS) as Name[];
  const results = await prover.prove(names.map((n) => TARGETS[n]), { budgetMs: 600_000 });
  names.forEach((name, i) => verdicts.set(name, results[i]!));
}, 900_000);

afterAll(() => prover.close());

describe('the proof sandbox', () => {
  it('is one sandbox for every proof of the review, restored to each starting point in turn', () => {
    expect(verdicts.size).toBe(Object.keys(TARGETS).length);
    expect(opened).toBe(1);
  });
});

describe('a fix is verified', () => {
  it('when it applies with the rest of the file, its hazard is gone, nothing new appears and the schema is the same', () => {
    expect(verdicts.get('concurrent')).toEqual({ verified: true, reason: 'verified' });
  });

  it('modulo the validation state, when that is the point (NOT VALID, then VALIDATE)', () => {
    expect(verdicts.get('notValidThenValidate')).toEqual({ verified: true, reason: 'verified' });
  });

  it("for a rule pgpro cannot re-check (Claude's), when it applies and leaves the same schema and rows", () => {
    expect(verdicts.get('batchedBackfill')).toEqual({
      verified: true,
      reason: 'verified',
      detail: 'agent/unbatched-backfill is not a check pgpro re-runs; the fix was checked for applying, new findings, schema and data',
    });
  });

  it('in a later file run in one transaction, past file-level advice the original has too (no lock_timeout)', () => {
    expect(verdicts.get('sameColumnSpelledOut')).toEqual({
      verified: true,
      reason: 'verified',
      detail: 'agent/tier is not a check pgpro re-runs; the fix was checked for applying, new findings, schema and data',
    });
  });
});

describe('a fix is not verified', () => {
  it('when the hazard remains', () => {
    expect(verdicts.get('stillBlocking')).toMatchObject({ verified: false, reason: 'hazard-remains' });
    expect(verdicts.get('stillBlocking')!.detail).toMatch(/^require-concurrent-index-creation at line 2: CREATE INDEX on orders takes a SHARE lock/);
  });

  it('when it builds something else (an index on another expression)', () => {
    expect(verdicts.get('otherExpression')).toEqual({
      verified: false,
      reason: 'schema-differs',
      detail: 'missing: index CREATE INDEX ON public.orders USING btree (note); extra: index CREATE INDEX ON public.orders USING btree (lower(note))',
    });
  });

  it('when it changes a type the original chose', () => {
    expect(verdicts.get('changesType')).toEqual({
      verified: false,
      reason: 'schema-differs',
      detail: 'differs: column public.orders.shipped_at: timestamp with time zone → timestamp(3) with time zone',
    });
  });

  it('when it does nothing in place of a backfill', () => {
    expect(verdicts.get('noOpBackfill')).toEqual({
      verified: false,
      reason: 'data-differs',
      detail: "public.orders: the rows' values differ from what the original leaves",
    });
  });

  it("when the original changed no synthetic row, so the rows cannot tell a fix from nothing", () => {
    expect(verdicts.get('noOpWhereNothingChanges')).toEqual({
      verified: false,
      reason: 'data-not-exercised',
      detail: "the original statement changed no row of the sandbox's synthetic data, so whether the fix writes the same rows could not be checked",
    });
  });

  it('when it fails in the sandbox', () => {
    expect(verdicts.get('missingTable')).toEqual({
      verified: false,
      reason: 'does-not-apply',
      detail: 'line 2: relation "order_lines" does not exist (SQLSTATE 42P01)',
    });
  });

  it("when it is CONCURRENTLY in a file its tool runs in one transaction", () => {
    expect(verdicts.get('concurrentInTransaction')).toMatchObject({ verified: false, reason: 'does-not-apply' });
    expect(verdicts.get('concurrentInTransaction')!.detail).toMatch(/^line 2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block \(SQLSTATE 25001\)$/);
  });

  it('when a later statement of the file fails after it', () => {
    expect(verdicts.get('dropsWhatLaterNeeds')).toEqual({
      verified: false,
      reason: 'breaks-later-statement',
      detail: 'line 6: column "total" does not exist (SQLSTATE 42703)',
    });
  });

  it('when it brings a new warning or error', () => {
    expect(verdicts.get('bringsRewrite')).toMatchObject({ verified: false, reason: 'new-finding' });
    expect(verdicts.get('bringsRewrite')!.detail).toContain('error changing-column-type at line 3');
  });

  it('when it does not parse, or changes nothing, or is not on a statement', () => {
    expect(verdicts.get('unparsable')).toEqual({ verified: false, reason: 'unparsable', detail: 'line 2: syntax error at or near "INDEXX"' });
    expect(verdicts.get('unchanged')).toEqual({ verified: false, reason: 'unchanged', detail: 'the fix is the statement as it is' });
    expect(verdicts.get('notAStatement')).toEqual({
      verified: false,
      reason: 'not-a-statement',
      detail: "lines 40-40 are not in the migration's SQL",
    });
  });
});

describe('an original that fails on the rows', () => {
  it('is compared with its intent read on empty tables: a default it did not have is a different schema', () => {
    expect(verdicts.get('requiredWithDefault')).toEqual({
      verified: false,
      reason: 'schema-differs',
      detail: 'differs: column public.customers.tier_id: bigint not null → bigint not null default 0',
    });
  });

  it('accepts a rollout that reaches the same schema on the rows that broke the original', () => {
    expect(verdicts.get('requiredAfterBackfill')).toEqual({
      verified: true,
      reason: 'verified',
      detail: "the original fails on the sandbox's rows: its intended schema was read from a run on empty tables, and rows were not compared",
    });
  });
});

describe('the budget', () => {
  it('leaves a proof that cannot finish in time "not verified (budget)", and decides the rest without a sandbox', async () => {
    const results = await prover.prove([TARGETS.changesType, TARGETS.unparsable], { budgetMs: 0 });
    expect(results).toEqual([
      { verified: false, reason: 'budget', detail: 'the fix proof did not finish within its time budget' },
      { verified: false, reason: 'unparsable', detail: 'line 2: syntax error at or near "INDEXX"' },
    ]);
  });

  it('stops when the review is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const [result] = await prover.prove([TARGETS.changesType], { budgetMs: 60_000, signal: controller.signal });
    expect(result).toMatchObject({ verified: false, reason: 'budget' });
  });
});

describe('proveFindingFixes', () => {
  it('marks only a proven fix as verified and as a drop-in replacement, keeping every reason; a refuted fix loses its SQL', async () => {
    const finding = (line: number, sql: string, replacesStatement: boolean): Finding => ({
      rule: 'agent/unbatched-backfill',
      severity: 'warning',
      source: 'agent',
      file: A.path,
      line,
      endLine: line,
      message: 'x',
      fix: { title: 'do it', sql, replacesStatement },
      fingerprint: `f${line}${sql.length}`,
    });
    const findings = [
      finding(4, TARGETS.noOpBackfill.sql, true),
      finding(2, TARGETS.concurrent.sql, false),
      { ...finding(4, '', false), fix: { title: 'steps only', steps: ['batch it'] } },
    ];
    findings[1]!.rule = 'require-concurrent-index-creation';

    await proveFindingFixes(findings, prover, { budgetMs: 600_000 });

    expect(findings.map((f) => f.fix)).toEqual([
      {
        title: "do it (not verified: the rows afterwards differ from the original's)",
        replacesStatement: false,
        verified: false,
        proof: {
          verified: false,
          reason: 'data-differs',
          detail: "public.orders: the rows' values differ from what the original leaves",
          sql: 'SELECT 1;',
        },
      },
      {
        title: 'do it',
        sql: TARGETS.concurrent.sql,
        replacesStatement: true,
        verified: true,
        proof: { verified: true, reason: 'verified' },
      },
      { title: 'steps only', steps: ['batch it'] },
    ]);
  }, 600_000);
});

