import { mkdtemp, readFile, readdir, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgpro-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary behind', async () => {
    const file = join(dir, 'entry.json');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, new Uint8Array([0x73, 0x65, 0x63, 0x6f, 0x6e, 0x64]));
    expect(await readFile(file, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['entry.json']);
  });

  it('concurrent writers of one file each leave a whole file, never a mix', async () => {
    const file = join(dir, 'entry.bin');
    const bodies = Array.from({ length: 8 }, (_, i) => String(i).repeat(200_000));
    await Promise.all(bodies.map((body) => writeFileAtomic(file, body)));
    expect(bodies).toContain(await readFile(file, 'utf8'));
    expect(await readdir(dir)).toEqual(['entry.bin']);
  });

  it('rethrows a failed rename and removes its temporary', async () => {
    const target = join(dir, 'occupied');
    await mkdir(join(target, 'child'), { recursive: true }); // a non-empty directory cannot be renamed over
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['occupied']);
  });

  it('has a synchronous twin with the same guarantees', async () => {
    const file = join(dir, 'memo');
    writeFileAtomicSync(file, 'a');
    writeFileAtomicSync(file, 'b');
    expect(await readFile(file, 'utf8')).toBe('b');
    const target = join(dir, 'occupied');
    await mkdir(join(target, 'child'), { recursive: true });
    expect(() => writeFileAtomicSync(target, 'x')).toThrow();
    expect((await readdir(dir)).sort()).toEqual(['memo', 'occupied']);
  });
});
