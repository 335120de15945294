import { mkdtemp, readdir, rm } from 'node:fs/promises';
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
    const first = new SnapshotCache({ dir, maxDiskBytes: 25, maxMemoryBytes: 0 });
    await first.set(a!, bytes(10, 7));
    await new Promise((r) => setTimeout(r, 20));
    await first.set(b!, bytes(10, 8));
    await new Promise((r) => setTimeout(r, 20));
    await first.set(c!, bytes(10, 9));
    expect((await readdir(dir)).sort()).toEqual([`${b}.tar.gz`, `${c}.tar.gz`].sort());
    const second = new SnapshotCache({ dir });
    const hit = await second.get([a!, b!]);
    expect(hit?.length).toBe(2);
    expect(hit?.tarball[0]).toBe(8);
  });
});
