// The schema before the first new migration is the history's: the down migration check reads it once
// per base and keeps it beside the history's snapshot. A review that finds it cached compares with it,
// and reports exactly what a review that read it (or had no cache at all) reports.
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ReviewResult } from '../../src/types.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const history = {
  'db/migrations/1_accounts.up.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nCREATE VIEW account_emails AS SELECT id, email FROM accounts;\n',
  'db/migrations/1_accounts.down.sql': 'DROP VIEW account_emails;\nDROP TABLE accounts;\n',
};
const change = {
  // A down that forgets the index and puts back a different view.
  'db/migrations/2_region.up.sql':
    'ALTER TABLE accounts ADD COLUMN region text;\nCREATE INDEX accounts_region_idx ON accounts (region);\nCREATE OR REPLACE VIEW account_emails AS SELECT id, email, region FROM accounts;\n',
  'db/migrations/2_region.down.sql':
    'DROP VIEW account_emails;\nCREATE VIEW account_emails AS SELECT email, id FROM accounts;\nDROP INDEX accounts_region_idx;\n',
  // The second new migration's "before" is the first one's "after": read, never taken from the cache.
  'db/migrations/3_plan.up.sql': 'CREATE TABLE plans (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n',
  'db/migrations/3_plan.down.sql': 'DROP TABLE plans;\nALTER TABLE accounts DROP COLUMN region;\n',
};
const config = validateConfig({ sandbox: { 'seed-rows': 20 }, explain: { 'default-rows': 50 }, agent: { enabled: false } }, 'test');

/** Counts the full schema reads (trace/reversibility.ts SCHEMA_SQL) a review's sandboxes make. */
function countingFactory() {
  const counts = { schemaReads: 0 };
  const factory = async (options: SandboxOptions): Promise<Sandbox> => {
    const sandbox = await createSandbox(options);
    const query = sandbox.query.bind(sandbox);
    sandbox.query = ((sql: string, params?: unknown[]) => {
      if (/^\s*with ns as \(/.test(sql)) counts.schemaReads++;
      return query(sql, params);
    }) as Sandbox['query'];
    return sandbox;
  };
  return { counts, factory };
}

const run = async (cache: SnapshotCache | undefined) => {
  const { counts, factory } = countingFactory();
  const result = await review(
    { head: memoryTree({ ...history, ...change }, 'head'), base: memoryTree(history, 'base'), changed: Object.keys(change) },
    { config },
    { ...(cache ? { snapshotCache: cache } : {}), createSandbox: factory },
  );
  return { result, counts };
};

const findingsOf = (r: ReviewResult) => r.findings.map(({ fix: _fix, ...f }) => f);

const tempDir = tempDirs('pgpro-history-schema-');

describe('the history schema before the first new migration, cached', () => {
  let uncached: Awaited<ReturnType<typeof run>>;
  let cold: Awaited<ReturnType<typeof run>>;
  let warm: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    const dir = tempDir();
    uncached = await run(undefined);
    cold = await run(new SnapshotCache({ dir }));
    // A new process: only the disk remembers.
    warm = await run(new SnapshotCache({ dir }));
  }, 240_000);

  it('reports the down migration that does not restore the schema, naming what differs', () => {
    const finding = cold.result.findings.find((f) => f.rule === 'down-migration-incomplete' && f.file === 'db/migrations/2_region.down.sql');
    expect(finding?.evidence).toMatch(/column public\.accounts\.region remains/);
    expect(finding?.evidence).toMatch(/view public\.account_emails differs/);
  });

  it('reports the same with the cached schema as with the one read, with or without a cache', () => {
    expect(findingsOf(cold.result)).toEqual(findingsOf(uncached.result));
    expect(findingsOf(warm.result)).toEqual(findingsOf(cold.result));
    expect(warm.result.notes.filter((n) => !n.startsWith('Restored'))).toEqual(cold.result.notes.filter((n) => !n.startsWith('Restored')));
  });

  it('reads the schema before the first new migration only until it is cached', () => {
    // Each migration with a down: before (the first one's from the cache when warm), after up, after down, after up again.
    expect(uncached.counts.schemaReads).toBe(cold.counts.schemaReads);
    expect(warm.counts.schemaReads).toBe(cold.counts.schemaReads - 1);
  });
});
