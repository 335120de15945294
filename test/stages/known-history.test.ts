import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { FileTree, ReviewResult } from '../../src/types.js';

/** A tree that remembers which files were read, like a GitHub tree counting blob downloads. */
function countingTree(files: Record<string, string>, id: string): FileTree & { reads: string[] } {
  const inner = memoryTree(files, id);
  const reads: string[] = [];
  return { id, paths: inner.paths, reads, read: (path) => (reads.push(path), inner.read(path)) };
}

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/0002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\nCREATE INDEX orders_account_idx ON orders (account_id);\n',
};
const change = { 'db/migrations/0003_note.sql': 'ALTER TABLE orders ADD COLUMN note varchar(20);\nCREATE INDEX orders_note_idx ON orders (note);\n' };
// The rehearsals re-run the change in sandboxes of their own, never through the snapshot cache: off, as no
// case reads them (they made each review several times slower on a loaded machine).
const config = validateConfig({ explain: { enabled: false }, agent: { enabled: false }, rehearsal: { retry: false, 'lock-time': false } }, 'test');

function run(cache: SnapshotCache, headFiles: Record<string, string>, changed: string[]) {
  const base = countingTree(history, 'base-tree-1');
  const head = countingTree(headFiles, 'head-tree-1');
  return review({ head, base, changed }, { config }, { snapshotCache: cache }).then((result) => ({ result, base, head }));
}

const summary = (r: ReviewResult) => ({
  conclusion: r.conclusion,
  migrations: r.migrations.map(({ durationMs: _, ...m }) => m),
  findings: r.findings.map((f) => `${f.file}:${f.line} ${f.rule}`),
  statements: r.stats.statements,
});

describe('a base whose history snapshot is cached under its tree id', () => {
  const cache = new SnapshotCache();
  let first: Awaited<ReturnType<typeof run>>;
  let second: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    first = await run(cache, { ...history, ...change }, Object.keys(change));
    second = await run(cache, { ...history, ...change }, Object.keys(change));
  }, 120_000);

  it('reads the history the first time', () => {
    expect(first.base.reads.sort()).toEqual(Object.keys(history).sort());
  });

  it('reads no history file the second time, only the changed one', () => {
    expect(second.base.reads).toEqual([]);
    expect(second.head.reads).toEqual(['db/migrations/0003_note.sql']);
    expect(second.result.notes).toContain('Restored 2 history migrations from the snapshot cache (the base\'s history files were not read).');
  });

  it('reviews the same way both times', () => {
    expect(summary(second.result)).toEqual(summary(first.result));
    expect(summary(second.result).findings).toContain('db/migrations/0003_note.sql:2 require-concurrent-index-creation');
    // The trace saw the restored tables as pre-existing: the index on them locks an existing table.
    expect(second.result.findings.some((f) => f.rule === 'require-concurrent-index-creation' && /pg_locks: ShareLock on public\.orders/.test(f.evidence ?? ''))).toBe(true);
  });

  it('still reports an edit to a migration the base already has', async () => {
    const edited = { ...history, 'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n', ...change };
    const third = await run(cache, edited, ['db/migrations/0001_accounts.sql', ...Object.keys(change)]);
    // Only the edited file's base version is read, to tell what the edit changed.
    expect(third.base.reads).toEqual(['db/migrations/0001_accounts.sql']);
    expect(third.result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toContain('db/migrations/0001_accounts.sql:1 modified-applied-migration');
    expect(third.result.migrations.find((m) => m.file === 'db/migrations/0003_note.sql')?.status).toBe('applied');
  }, 60_000);
});
