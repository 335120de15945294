// Files under PGlite's data directory grow in place: an extension by ftruncate (PGlite's fallocate) keeps
// the bytes before it, reads as zeros after them, and copies the file into new storage only now and then,
// not at each extension (which copied O(n²) bytes for a table of n pages). Bytes copied are counted, not
// timed.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../src/sandbox/cluster.js';
import { memfsOf } from '../../src/sandbox/memfs.js';

interface Fs {
  open(path: string, flags: string): unknown;
  write(stream: unknown, buffer: Uint8Array, offset: number, length: number, position: number): number;
  ftruncate(fd: number, size: number): void;
  close(stream: unknown): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
  lookupPath(path: string, options: object): { node: { contents: Uint8Array } };
}

const PAGE = 8192;
const STEP = 8 * PAGE; // PostgreSQL extends by fallocate past 8 pages at a time
const STEPS = 200;
const FINAL = PAGE + STEPS * STEP;

/** Writes a page, then extends the file 200 times by ftruncate; returns the bytes copied into new storage. */
function extendRepeatedly(fs: Fs, path: string): { copied: number; bytes: Uint8Array } {
  const stream = fs.open(path, 'w+') as { fd: number };
  fs.write(stream, new Uint8Array(PAGE).fill(7), 0, PAGE, 0);
  let storage = fs.lookupPath(path, {}).node.contents;
  let copied = 0;
  for (let i = 1; i <= STEPS; i++) {
    fs.ftruncate(stream.fd, PAGE + i * STEP);
    const now = fs.lookupPath(path, {}).node.contents;
    if (now !== storage) copied += PAGE + (i - 1) * STEP;
    storage = now;
  }
  // Shrunk, then grown again: the bytes cut off come back as zeros.
  fs.write(stream, new Uint8Array(PAGE).fill(9), 0, PAGE, 2 * PAGE);
  fs.ftruncate(stream.fd, 2 * PAGE);
  fs.ftruncate(stream.fd, 4 * PAGE);
  fs.close(stream);
  const bytes = fs.readFile(path);
  fs.unlink(path);
  return { copied, bytes };
}

describe('extending files under the data directory', () => {
  let patched: PGlite;
  let plain: PGlite;
  beforeAll(async () => {
    patched = await openPglite();
    plain = new PGlite();
    await plain.waitReady;
  }, 120_000);
  afterAll(async () => {
    await patched.close();
    await plain.close();
  });

  it('copies the file now and then (a few times its size in all), keeps the bytes written and reads zeros past them', () => {
    expect(memfsOf(patched)?.pgproExtendsInPlace).toBe(true);
    const fs = (patched as unknown as { mod: { FS: Fs } }).mod.FS;
    const { copied, bytes } = extendRepeatedly(fs, '/pglite/data/pgpro_memfs_test');
    expect(copied).toBeLessThan(10 * FINAL);
    expect(bytes.length).toBe(4 * PAGE);
    expect(bytes.subarray(0, PAGE).every((b) => b === 7)).toBe(true);
    expect(bytes.subarray(PAGE).every((b) => b === 0)).toBe(true);
  });

  it("is what PGlite's own file system does not do: it copies the file at every extension", () => {
    const fs = (plain as unknown as { mod: { FS: Fs } }).mod.FS;
    const { copied, bytes } = extendRepeatedly(fs, '/pglite/data/pgpro_memfs_test');
    expect(copied).toBeGreaterThan(50 * FINAL);
    expect(bytes.subarray(PAGE).every((b) => b === 0)).toBe(true);
  });

  it('still runs PostgreSQL: a table rewritten past many extensions reads back whole', async () => {
    await patched.exec(`CREATE TABLE t AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 50000) g;
      ALTER TABLE t ALTER COLUMN id TYPE bigint;`);
    const { rows } = await patched.query<{ n: number; s: string }>('SELECT count(*)::int AS n, sum(id)::text AS s FROM t');
    expect(rows[0]).toEqual({ n: 50000, s: String((50000 * 50001) / 2) });
  });
});
