// A fix's verdict must not depend on how fast the machine is. Two ways it did:
// - which sandbox a proof ran in: the review's own (kept between proofs) or a new one, opened when a time
//   budget had closed the kept one. A new sandbox counted the tables earlier new migrations created as
//   pre-existing, so the re-review of a later file found rewrites and scans the review's own apply (the
//   reference) did not, and the fix was said to bring a new finding;
// - a proof run that a sandbox time limit stopped was judged as the file failing ("it fails in the
//   sandbox"), when nothing about the fix was learnt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { createFixProver, createSandboxPool, type AppliedFile, type ProofFile, type ProofTarget } from '../../src/proof/index.js';
import { createSandbox, prepareMigration, type Sandbox } from '../../src/sandbox/index.js';
import { relationOids } from '../../src/sandbox/observe.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { rememberApplied } from '../../src/stages/verify-fix.js';
import type { CatalogSnapshot, MigrationFile } from '../../src/types.js';
import { PROOF_SANDBOX, shopState } from './shop-state.js';

function migration(path: string, sql: string): MigrationFile {
  return { path, convention: 'plain', version: path, name: path, kind: 'versioned', sql, lineOffset: 0, inTransaction: false, transactionReason: 'test' };
}

// The change creates a table with rows, then a later file indexes it and changes a column's type: on a
// table the change itself creates, neither blocks anyone in production.
const CREATE = migration(
  'db/0002_parcels.sql',
  ['CREATE TABLE parcels (id bigint PRIMARY KEY, n int, note text);', "INSERT INTO parcels SELECT g, g, 'p' || g FROM generate_series(1, 500) g;", ''].join('\n'),
);
const LATER = migration(
  'db/0003_parcels_index.sql',
  ['CREATE INDEX parcels_note_idx ON parcels (note);', 'ALTER TABLE parcels ALTER COLUMN n TYPE bigint;', ''].join('\n'),
);
const CONCURRENT: ProofTarget = {
  file: LATER.path,
  line: 1,
  endLine: 1,
  rule: 'require-concurrent-index-creation',
  sql: 'CREATE INDEX CONCURRENTLY parcels_note_idx ON parcels (note);',
};

let start: Uint8Array;
let catalogBefore: CatalogSnapshot;
let files: ProofFile[];
/** The review's own sandbox after applying both files, traced from the first (as the apply stage does). */
let review: Sandbox;
let reviewAdopted = false;
let startRelations: ReadonlySet<number>;
const applied = new Map<string, AppliedFile>();

beforeAll(async () => {
  ({ start, catalogBefore } = await shopState());
  files = await Promise.all([CREATE, LATER].map(async (m) => ({ migration: m, parsed: await parseMigrationSql(m.sql, m.path) })));
  review = await createSandbox({ ...PROOF_SANDBOX, tarball: start });
  startRelations = await relationOids(review);
  for (const file of files) {
    const run = await review.apply(prepareMigration(file.migration.path, false, file.parsed.statements), { trace: true });
    expect(run.status.status).toBe('applied');
    const kept = await rememberApplied(review, file, run);
    if (kept) applied.set(file.migration.path, kept);
  }
  expect(applied.size).toBe(2);
}, 600_000);

afterAll(async () => {
  if (!reviewAdopted) await review?.close();
});

function open(tarball: Uint8Array): Promise<Sandbox> {
  return createSandbox({ ...PROOF_SANDBOX, tarball });
}

describe('a proof of a fix in a later new migration', () => {
  it('gets the same verdict in a new sandbox as in the review\'s own, kept one', { timeout: 900_000 }, async () => {
    // A new sandbox: what the proofs get after a budget (the rehearsals') closed the kept one.
    const fresh = createFixProver({ config: defaultConfig(), files, catalogBefore, start, open, applied: (path) => applied.get(path) });
    // The review's own sandbox, lent to the proofs as the review does when no budget ran out.
    const pool = createSandboxPool(1);
    reviewAdopted = pool.adopt(review);
    expect(reviewAdopted).toBe(true);
    const kept = createFixProver({ config: defaultConfig(), files, catalogBefore, start, open, pool, applied: (path) => applied.get(path) });
    try {
      const inFresh = await fresh.prove([CONCURRENT], { budgetMs: 600_000 });
      const inKept = await kept.prove([CONCURRENT], { budgetMs: 600_000 });
      // Not "new-finding: error table-rewrite at line 2 …": parcels is the change's own table.
      expect(inFresh).toEqual([{ verified: true, reason: 'verified' }]);
      expect(inKept).toEqual(inFresh);
    } finally {
      await fresh.close();
      await kept.close();
      await pool.close();
    }
  });

  it('gets that verdict with the relations of the start given, as the review gives them', { timeout: 900_000 }, async () => {
    const prover = createFixProver({
      config: defaultConfig(),
      files,
      catalogBefore,
      start,
      open,
      applied: (path) => applied.get(path),
      preexisting: startRelations,
    });
    try {
      expect(await prover.prove([CONCURRENT], { budgetMs: 600_000 })).toEqual([{ verified: true, reason: 'verified' }]);
    } finally {
      await prover.close();
    }
  });
});

describe('a proof run that a sandbox time limit stops', () => {
  it('is "not verified (budget)", never "it fails in the sandbox"', { timeout: 900_000 }, async () => {
    // A statement that outlasts any deadline: the sandbox's statement limit stops it, as a slow machine
    // stops a statement that a fast one finishes.
    const endless: ProofTarget = { ...CONCURRENT, sql: `DO $$ BEGIN LOOP END LOOP; END $$;\n${CONCURRENT.sql}` };
    const prover = createFixProver({
      config: defaultConfig(),
      files,
      catalogBefore,
      start,
      open: (tarball) => createSandbox({ ...PROOF_SANDBOX, statementTimeoutMs: 3_000, tarball }),
      applied: (path) => applied.get(path),
      preexisting: startRelations,
    });
    try {
      const [verdict] = await prover.prove([endless], { budgetMs: 600_000 });
      expect(verdict).toMatchObject({ verified: false, reason: 'budget' });
      expect(verdict!.detail).toMatch(/^the proof sandbox reached a time limit: statement did not finish within 3 s; the sandbox was stopped$/);
    } finally {
      await prover.close();
    }
  });
});
