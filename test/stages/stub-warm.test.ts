// A change that uses a table its history does not create gets a stub (stages/infer.ts). On the warm
// path the history is restored seeded from the cache, with the catalog read before the seeding: the
// stub is made after that restore. The review must still see the stub as the cold review does (in the
// "before" catalog, filled with synthetic rows), and a stub must never end up in a cached state that a
// later review of the same base restores as if its history had created it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { Finding, ReviewResult } from '../../src/types.js';

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/0002_orders.sql':
    'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), total bigint NOT NULL);\n',
};
// missing_t is neither in the history nor created by the change: inferred.
const stubbing = {
  'db/migrations/0003_missing.sql': [
    'ALTER TABLE missing_t ADD COLUMN x int NOT NULL DEFAULT 0;',
    'ALTER TABLE missing_t ADD CONSTRAINT missing_t_x_positive CHECK (x >= 0);',
    'CREATE INDEX missing_t_x_idx ON missing_t (x);',
    'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);',
    '',
  ].join('\n'),
};
// Touches another table: the stubbing change restores the seeded history and fills its own tables.
const priming = { 'db/migrations/0003_email.sql': 'ALTER TABLE accounts ADD CONSTRAINT accounts_email_short CHECK (length(email) < 200);\n' };
// Touches the same existing table (orders): the stubbing change restores the state with its fill made.
const primingFilled = { 'db/migrations/0003_total.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 1000000);\n' };
// Creates the table another change only stubbed: it must not find it already there.
const creating = { 'db/migrations/0003_create.sql': 'CREATE TABLE missing_t (id bigint PRIMARY KEY);\n' };
const config = validateConfig({ sandbox: { 'seed-rows': 30 }, explain: { 'default-rows': 300 }, agent: { enabled: false } }, 'test');

function run(files: Record<string, string>, cache?: SnapshotCache): Promise<ReviewResult> {
  const head = memoryTree({ ...history, ...files }, 'head');
  const base = memoryTree(history, 'base');
  return review({ head, base, changed: Object.keys(files) }, { config }, cache ? { snapshotCache: cache } : {});
}

const shown = (f: Finding) => ({ rule: f.rule, severity: f.severity, file: f.file, line: f.line, message: f.message, evidence: f.evidence?.replace(/\d+(\.\d+)? ?ms\b/g, '<ms>') });
const statuses = (r: ReviewResult) => r.migrations.map(({ durationMs: _, ...m }) => m);
/** Notes about the cache itself differ by design between a cold and a warm review. */
const reviewNotes = (r: ReviewResult) => r.notes.filter((n) => !/snapshot cache/.test(n));

describe('a change using a table its history does not create, reviewed warm', () => {
  let dir: string;
  let cold: ReviewResult;
  let warm: ReviewResult;
  let warmFilled: ReviewResult;
  let coldCached: ReviewResult;
  let afterStub: ReviewResult;
  let freshCreate: ReviewResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-stub-warm-'));
    cold = await run(stubbing);
    await run(priming, new SnapshotCache({ dir }));
    // A new process: only the disk remembers the seeded history.
    warm = await run(stubbing, new SnapshotCache({ dir }));
    const filledDir = await mkdtemp(join(tmpdir(), 'pgpro-stub-warm-'));
    try {
      await run(primingFilled, new SnapshotCache({ dir: filledDir }));
      warmFilled = await run(stubbing, new SnapshotCache({ dir: filledDir }));
    } finally {
      await rm(filledDir, { recursive: true, force: true });
    }
    // A cold review with a cache: the first one of its base, it stores what the next restores.
    const other = await mkdtemp(join(tmpdir(), 'pgpro-stub-warm-'));
    try {
      coldCached = await run(stubbing, new SnapshotCache({ dir: other }));
      afterStub = await run(creating, new SnapshotCache({ dir: other }));
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    freshCreate = await run(creating);
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('was warm: the history came from the cache, said once', () => {
    expect(warm.notes.filter((n) => /^Restored 2 history migrations from the snapshot cache/.test(n))).toHaveLength(1);
    expect(warm.notes.some((n) => /Inferred from how the new migrations use them/.test(n))).toBe(true);
  });

  it('reports what the cold review reports, finding for finding', () => {
    expect(cold.findings.length).toBeGreaterThan(0);
    expect(warm.findings.map(shown)).toEqual(cold.findings.map(shown));
    expect(statuses(warm)).toEqual(statuses(cold));
    expect(reviewNotes(warm)).toEqual(reviewNotes(cold));
    expect(warm.conclusion).toBe(cold.conclusion);
  });

  it('reports the same when the state with its fill made was cached', () => {
    expect(warmFilled.findings.map(shown)).toEqual(cold.findings.map(shown));
    expect(statuses(warmFilled)).toEqual(statuses(cold));
    expect(reviewNotes(warmFilled)).toEqual(reviewNotes(cold));
  });

  it('reports the same on a cold review that fills the cache', () => {
    expect(coldCached.findings.map(shown)).toEqual(cold.findings.map(shown));
    expect(statuses(coldCached)).toEqual(statuses(cold));
    expect(reviewNotes(coldCached)).toEqual(reviewNotes(cold));
  });

  it('caches no stub: a later change of the same base that creates the table reviews as on a fresh sandbox', () => {
    expect(afterStub.findings.map(shown)).toEqual(freshCreate.findings.map(shown));
    expect(statuses(afterStub)).toEqual(statuses(freshCreate));
    expect(reviewNotes(afterStub)).toEqual(reviewNotes(freshCreate));
  });
});
