import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesNewestFirst, filesNewestFirstSync } from '../../src/cache-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgpro-cache-files-'));
  // Written in one order, dated in another: the order must come from the dates.
  const dated: [string, string, number][] = [
    ['b.json', 'bb', 2_000],
    ['a.json', 'a', 3_000],
    ['c.json', 'cccc', 1_000],
  ];
  for (const [name, body, seconds] of dated) {
    await writeFile(join(dir, name), body);
    await utimes(join(dir, name), seconds, seconds);
  }
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('filesNewestFirst', () => {
  const expected = [
    { name: 'a.json', bytes: 1, mtimeMs: 3_000_000 },
    { name: 'b.json', bytes: 2, mtimeMs: 2_000_000 },
    { name: 'c.json', bytes: 4, mtimeMs: 1_000_000 },
  ];

  it('lists the named files with their sizes, newest first', async () => {
    expect(await filesNewestFirst(dir, ['c.json', 'a.json', 'b.json'])).toEqual(expected);
    expect(filesNewestFirstSync(dir, ['c.json', 'a.json', 'b.json'])).toEqual(expected);
  });

  it('leaves out a name whose file is gone (another process removed it after the listing)', async () => {
    expect((await filesNewestFirst(dir, ['gone.json', 'b.json'])).map((f) => f.name)).toEqual(['b.json']);
    expect(filesNewestFirstSync(dir, ['gone.json', 'b.json']).map((f) => f.name)).toEqual(['b.json']);
  });
});
