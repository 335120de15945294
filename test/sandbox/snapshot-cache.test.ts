import { mkdtemp, readFile, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotCache, historyPrefixHashes } from '../../src/sandbox/index.js';

const history = [
  { path: 'db/001.sql', content: 'create table a (id int);' },
  { path: 'db/002.sql', content: 'create table b (id int);' },
];
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('historyPrefixHashes', () => {
  it('chains over path, content and seed', () => {
    const hashes = historyPrefixHashes(history);
    expect(hashes).toHaveLength(2);
    expect(historyPrefixHashes(history.slice(0, 1))[0]).toBe(hashes[0]);
    expect(historyPrefixHashes([{ ...history[0]!, path: 'db/001_x.sql' }, history[1]!])[1]).not.toBe(hashes[1]);
    expect(historyPrefixHashes(history, { setup: 'create role x' })[0]).not.toBe(hashes[0]);
    expect(historyPrefixHashes(history, { engine: 'pglite 0.5.16', code: 'a' })[0]).not.toBe(historyPrefixHashes(history, { engine: 'pglite 0.5.16', code: 'b' })[0]);
    expect(historyPrefixHashes(history, { engine: 'pglite 0.5.16', code: 'a' })[0]).not.toBe(historyPrefixHashes(history, { engine: 'pglite 0.5.17', code: 'a' })[0]);
    expect(historyPrefixHashes(history, { extensions: ['b', 'a'] })).toEqual(historyPrefixHashes(history, { extensions: ['a', 'b'] }));
  });
});

describe('SnapshotCache', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('restores the longest cached prefix of a history that gained migrations', async () => {
    const cache = new SnapshotCache();
    const [h1, h2] = historyPrefixHashes(history);
    await cache.set(h1!, bytes(10, 1));
    await cache.set(h2!, bytes(10, 2));
    const grown = historyPrefixHashes([...history, { path: 'db/003.sql', content: 'create table c (id int);' }]);
    const hit = await cache.get(grown);
    expect(hit?.length).toBe(2);
    expect(hit?.tarball[0]).toBe(2);
    const changed = historyPrefixHashes([history[0]!, { path: 'db/002.sql', content: 'create table b2 (id int);' }]);
    expect((await cache.get(changed))?.length).toBe(1);
    expect(await cache.get(historyPrefixHashes([{ path: 'other.sql', content: '' }]))).toBeUndefined();
  });

  it('evicts the least recently used snapshot beyond its memory bound', async () => {
    const cache = new SnapshotCache({ maxMemoryBytes: 25 });
    const [a, b, c] = historyPrefixHashes([...history, { path: 'db/003.sql', content: '' }]);
    await cache.set(a!, bytes(10));
    await cache.set(b!, bytes(10));
    await cache.get([a!]); // a is now more recent than b
    await cache.set(c!, bytes(10));
    expect(await cache.get([b!])).toBeUndefined();
    expect(await cache.get([a!])).toBeDefined();
    expect(await cache.get([c!])).toBeDefined();
  });

  it('keeps snapshots on disk across instances, bounded in bytes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-snap-'));
    const [a, b, c] = historyPrefixHashes([...history, { path: 'db/003.sql', content: '' }]);
    // Each entry is its 10 bytes and a 48-byte header (length and checksum): room for two.
    const first = new SnapshotCache({ dir, maxDiskBytes: 2 * 58 + 5, maxMemoryBytes: 0 });
    // Eviction goes by modification time: give the first two explicit, ordered ones rather than sleep.
    const at = dir;
    const age = (hash: string, seconds: number) => utimes(join(at, `${hash}.tar.gz`), new Date(seconds * 1000), new Date(seconds * 1000));
    await first.set(a!, bytes(10, 7));
    await age(a!, 1_000_000);
    await first.set(b!, bytes(10, 8));
    await age(b!, 1_000_001);
    await first.set(c!, bytes(10, 9));
    expect((await readdir(dir)).sort()).toEqual([`${b}.tar.gz`, `${c}.tar.gz`].sort());
    const second = new SnapshotCache({ dir });
    const hit = await second.get([a!, b!]);
    expect(hit?.length).toBe(2);
    expect(hit?.tarball[0]).toBe(8);
  });

  it('an entry touched without being read is evicted as recently used, on disk and in memory', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-snap-'));
    const [a, b, c] = historyPrefixHashes([...history, { path: 'db/003.sql', content: '' }]);
    const at = dir;
    const age = (hash: string, seconds: number) => utimes(join(at, `${hash}.tar.gz`), new Date(seconds * 1000), new Date(seconds * 1000));
    const disk = new SnapshotCache({ dir, maxDiskBytes: 2 * 58 + 5, maxMemoryBytes: 0 });
    await disk.set(a!, bytes(10, 7));
    await age(a!, 1_000_000);
    await disk.set(b!, bytes(10, 8));
    await age(b!, 1_000_001);
    await disk.touch(a!); // a, the older, is now the more recent
    await disk.touch(historyPrefixHashes([{ path: 'db/none.sql', content: '' }])[0]!); // not cached: nothing happens
    await disk.set(c!, bytes(10, 9));
    expect((await readdir(dir)).sort()).toEqual([`${a}.tar.gz`, `${c}.tar.gz`].sort());

    const memory = new SnapshotCache({ maxMemoryBytes: 25 });
    await memory.set(a!, bytes(10));
    await memory.set(b!, bytes(10));
    await memory.touch(a!);
    await memory.set(c!, bytes(10));
    expect(await memory.get([b!])).toBeUndefined();
    expect(await memory.get([a!])).toBeDefined();
  });

  it('deletes a half-written or corrupted entry on read, says why, and falls back to a shorter prefix', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-snap-'));
    const [a, b] = historyPrefixHashes(history);
    const writer = new SnapshotCache({ dir, maxMemoryBytes: 0 });
    await writer.set(a!, bytes(1000, 1));
    await writer.set(b!, bytes(1000, 2));
    // A writer that died halfway (or a disk that filled up): the entry is shorter than its header says.
    await truncate(join(dir, `${b}.tar.gz`), 600);
    const discarded: string[] = [];
    const reader = new SnapshotCache({ dir, maxMemoryBytes: 0 });
    const hit = await reader.get([a!, b!], (why) => discarded.push(why));
    expect(hit).toMatchObject({ length: 1 });
    expect(hit!.tarball).toEqual(bytes(1000, 1));
    expect(discarded).toEqual([`the cached snapshot ${b!.slice(0, 12)} was unusable (552 of 1000 bytes (half-written or truncated)) and was deleted`]);
    expect(await readdir(dir)).toEqual([`${a}.tar.gz`]);

    // One flipped byte: the checksum says so.
    const file = join(dir, `${a}.tar.gz`);
    const raw = await readFile(file);
    raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 0xff, raw.length - 1);
    await writeFile(file, raw);
    expect(await reader.get([a!], (why) => discarded.push(why))).toBeUndefined();
    expect(discarded.at(-1)).toContain('checksum mismatch (corrupted)');
    // An entry in an older format, without the header, is no entry either.
    await writeFile(file, bytes(100, 3));
    expect(await reader.get([a!], (why) => discarded.push(why))).toBeUndefined();
    expect(discarded.at(-1)).toContain('not a pgpro snapshot');
    expect(await readdir(dir)).toEqual([]);
  });

  it('two writers of the same entry at once leave one whole entry and no temp file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-snap-'));
    const [a] = historyPrefixHashes(history);
    const one = new SnapshotCache({ dir, maxMemoryBytes: 0 });
    const other = new SnapshotCache({ dir, maxMemoryBytes: 0 });
    // Large enough that the writes overlap; started in the same tick, as two reviews of one history do.
    const big = (fill: number) => bytes(8 * 1024 * 1024, fill);
    await Promise.all([one.set(a!, big(4)), other.set(a!, big(5)), one.set(a!, big(6))]);
    expect(await readdir(dir)).toEqual([`${a}.tar.gz`]);
    const discarded: string[] = [];
    const hit = await new SnapshotCache({ dir, maxMemoryBytes: 0 }).get([a!], (why) => discarded.push(why));
    expect(discarded).toEqual([]);
    expect(hit!.tarball.byteLength).toBe(8 * 1024 * 1024);
    const fill = hit!.tarball[0]!;
    expect([4, 5, 6]).toContain(fill);
    expect(hit!.tarball.every((v) => v === fill)).toBe(true);
  });

  it('forgets an entry on request (a snapshot that did not restore)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-snap-'));
    const [a] = historyPrefixHashes(history);
    const cache = new SnapshotCache({ dir });
    await cache.set(a!, bytes(10));
    await cache.delete(a!);
    expect(await cache.get([a!])).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });
});
