// Fixes of one file that replace different statements are proven in one run of the file with all of
// them: the verdicts are those each fix gets when proven alone, in fewer runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { createFixProver, type ProofTarget } from '../../src/proof/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { CatalogSnapshot, FixProof, MigrationFile } from '../../src/types.js';
import { PROOF_SANDBOX, shopState } from './shop-state.js';

const FILE: MigrationFile = {
  path: 'db/0002_orders.sql',
  convention: 'plain',
  version: '0002',
  name: 'orders',
  kind: 'versioned',
  sql: [
    "SET lock_timeout = '5s';",
    'CREATE INDEX orders_note_idx ON orders (note);',
    'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);',
    'ALTER TABLE orders ADD COLUMN shipped_at timestamp;',
    'CREATE INDEX orders_total_idx ON orders (total);',
    '',
  ].join('\n'),
  lineOffset: 0,
  inTransaction: false,
  transactionReason: 'test',
};

const target = (line: number, rule: string, sql: string): ProofTarget => ({ file: FILE.path, line, endLine: line, rule, sql });
const GOOD = [
  target(2, 'require-concurrent-index-creation', 'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);'),
  target(3, 'adding-foreign-key-constraint', 'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;'),
  target(4, 'prefer-timestamptz', 'ALTER TABLE orders ADD COLUMN shipped_at timestamptz;'),
];
// Still a blocking build (the same index): refuted (hazard-remains).
const STILL_BLOCKING = target(5, 'require-concurrent-index-creation', 'CREATE INDEX IF NOT EXISTS orders_total_idx ON orders (total);');

let start: Uint8Array;
let catalogBefore: CatalogSnapshot;

beforeAll(async () => {
  ({ start, catalogBefore } = await shopState());
}, 120_000);

/** Proves `targets` with one prover, counting the traced runs of the file (the reference's and the fixes'). */
async function prove(targets: ProofTarget[]): Promise<{ verdicts: FixProof[]; runs: number }> {
  let runs = 0;
  const open = async (tarball: Uint8Array): Promise<Sandbox> => {
    const db = await createSandbox({ ...PROOF_SANDBOX, tarball });
    const apply = db.apply.bind(db);
    db.apply = (file, opts) => {
      if (opts.trace) runs += 1;
      return apply(file, opts);
    };
    return db;
  };
  const files = [{ migration: FILE, parsed: await parseMigrationSql(FILE.sql, FILE.path) }];
  const prover = createFixProver({ config: defaultConfig(), files, catalogBefore, start, open });
  try {
    return { verdicts: await prover.prove(targets, { budgetMs: 600_000 }), runs };
  } finally {
    await prover.close();
  }
}

describe('fixes of different statements of one file', () => {
  it('are verified together in one run besides the reference, each as it is alone', { timeout: 600_000 }, async () => {
    const together = await prove(GOOD);
    expect(together.verdicts).toEqual(GOOD.map(() => ({ verified: true, reason: 'verified' })));
    expect(together.runs).toBe(2);
    const alone = await prove([GOOD[2]!]);
    expect(alone.verdicts[0]).toEqual(together.verdicts[2]);
  });

  it('a fix the run does not clear is proven alone, with its own reason; the others are still verified', { timeout: 600_000 }, async () => {
    const mixed = await prove([...GOOD, STILL_BLOCKING]);
    expect(mixed.verdicts.slice(0, 3)).toEqual(GOOD.map(() => ({ verified: true, reason: 'verified' })));
    const alone = await prove([STILL_BLOCKING]);
    expect(alone.verdicts[0]).toMatchObject({ verified: false, reason: 'hazard-remains' });
    expect(mixed.verdicts[3]).toEqual(alone.verdicts[0]);
    // Reference, all four together, the refuted one alone, the three others together again: still fewer than one run each.
    expect(mixed.runs).toBe(4);
  });
});
