// The cache heals itself: a corrupt, half-written or unloadable snapshot costs one replay and a note,
// never the review (issue 19: one bad entry used to stop every later review of that history).
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ReviewResult } from '../../src/types.js';

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/0002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n',
};
const change = { 'db/migrations/0003_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n' };
// The rehearsals re-run the change in sandboxes of their own, never through the cache: off, as no case reads them.
const config = validateConfig({ explain: { enabled: false }, agent: { enabled: false }, rehearsal: { retry: false, 'lock-time': false } }, 'test');

let dir: string;
const run = () =>
  review({ head: memoryTree({ ...history, ...change }), base: memoryTree(history) }, { config }, { snapshotCache: new SnapshotCache({ dir, maxMemoryBytes: 0 }) });
const statuses = (r: ReviewResult) => r.migrations.map((m) => `${m.file} ${m.status}`);
const snapshots = async () => (await readdir(dir)).filter((n) => n.endsWith('.tar.gz'));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgpro-heal-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a snapshot cache with a bad entry', () => {
  let first: ReviewResult;
  beforeAll(async () => {
    // Two reviews of the same history at once, each writing the same snapshots.
    [first] = await Promise.all([run(), run()]);
  }, 240_000);

  it('two reviews writing the same entries at once leave whole entries, which the next review restores', async () => {
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const next = await run();
    expect(next.notes.filter((n) => n.startsWith('Snapshot cache:'))).toEqual([]);
    expect(next.notes.some((n) => n.startsWith('Restored'))).toBe(true);
    expect(statuses(next)).toEqual(statuses(first));
  }, 120_000);

  it('a half-written entry is deleted, the history replayed with a note, and the entry written again', async () => {
    const files = await snapshots();
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) await truncate(join(dir, name), 100);
    const second = await run();
    expect(statuses(second)).toEqual(statuses(first));
    expect(second.findings.map((f) => f.rule)).toEqual(first.findings.map((f) => f.rule));
    const notes = second.notes.filter((n) => n.startsWith('Snapshot cache:'));
    expect(notes.length).toBeGreaterThan(0);
    // One note, however many entries were bad (the history snapshot and the seeded one here).
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/was unusable \(\d+ of \d+ bytes \(half-written or truncated\)\) and was deleted\)?; pgpro rebuilt that state instead/);
    // Healed: the next review restores from it without a word about the cache.
    const third = await run();
    expect(third.notes.filter((n) => n.startsWith('Snapshot cache:'))).toEqual([]);
    expect(third.notes.some((n) => n.startsWith('Restored'))).toBe(true);
  }, 240_000);

  it('an entry that is whole but does not restore is deleted, and the history replayed with a note', async () => {
    const cache = new SnapshotCache({ dir, maxMemoryBytes: 0 });
    // Sealed with a valid checksum, but not a data directory: the sandbox fails to load it.
    for (const name of await snapshots()) await cache.set(name.slice(0, 64), new Uint8Array([31, 139, 8, 0, 1, 2, 3]));
    const again = await run();
    expect(statuses(again)).toEqual(statuses(first));
    expect(again.notes.some((n) => /^Snapshot cache: (?:\d+ bad entries were deleted \(the first: )?the cached snapshot [0-9a-f]{12} did not restore \(.+\) and was deleted/.test(n))).toBe(true);
  }, 240_000);

  it('a known history (no history file read) whose snapshot does not restore reads and replays the base after all', async () => {
    const files = { ...history, ...change };
    const known = () =>
      review(
        { head: memoryTree(files, 'head-tree'), base: memoryTree(history, 'base-tree'), changed: Object.keys(change) },
        { config },
        { snapshotCache: new SnapshotCache({ dir, maxMemoryBytes: 0 }) },
      );
    await known(); // stores the manifest under the base tree's id
    expect((await known()).notes).toContain("Restored 2 history migrations from the snapshot cache (the base's history files were not read).");
    const cache = new SnapshotCache({ dir, maxMemoryBytes: 0 });
    for (const name of await snapshots()) await cache.set(name.slice(0, 64), new Uint8Array([31, 139, 8, 0, 1, 2, 3]));
    const healed = await known();
    expect(statuses(healed)).toEqual(statuses(first));
    expect(healed.notes.some((n) => /^Snapshot cache: (?:\d+ bad entries were deleted \(the first: )?the cached snapshot [0-9a-f]{12} did not restore/.test(n))).toBe(true);
    expect(healed.notes.some((n) => n.startsWith('Restored'))).toBe(false);
  }, 360_000);
});
