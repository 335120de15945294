// A snapshot's archive is counted by the sandbox's memory bound: built in one array the size of the
// data directory (not PGlite's four copies nobody counted), held against the bound until it leaves the
// worker, and refused, without stopping the sandbox, when it would not fit. The archive is PGlite's own.
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { dumpDataDir, type DumpFs } from '../../src/sandbox/dump.js';
import { createSandbox, SandboxQueryError } from '../../src/sandbox/index.js';
import { memoryShares } from '../../src/sandbox/memory-bound.js';

/** The header fields PGlite fills with the time of the dump (access, creation) and the checksum over them, zeroed. */
function timeless(tar: Uint8Array): Uint8Array {
  const copy = tar.slice();
  let at = 0;
  while (at + 512 <= copy.length && copy[at] !== 0) {
    const size = parseInt(new TextDecoder().decode(copy.subarray(at + 124, at + 135)), 8) || 0;
    copy.fill(0, at + 148, at + 156);
    copy.fill(0, at + 476, at + 500);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return copy;
}

describe('the data directory archive', () => {
  it("is the archive PGlite's dumpDataDir writes, built in one array whose size is reserved first", async () => {
    const db = new PGlite();
    try {
      await db.exec(`CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT i, repeat('n', i % 300) FROM generate_series(1, 5000) i;`);
      const reserved: number[] = [];
      const mine = dumpDataDir((db as unknown as { mod: { FS: DumpFs } }).mod.FS, (bytes) => reserved.push(bytes));
      const theirs = new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
      expect(reserved).toEqual([mine.length]);
      expect(mine.length).toBe(theirs.length);
      expect(Buffer.from(timeless(mine)).equals(Buffer.from(timeless(theirs)))).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('restores as a snapshot, and is counted by the bound while the dump holds it', async () => {
    const sandbox = await createSandbox({ statementTimeoutMs: 60_000, memoryMb: 1024 });
    try {
      await sandbox.exec(`CREATE TABLE kept (id int); INSERT INTO kept SELECT generate_series(1, 100);`);
      const before = sandbox.memory!.usedBytes;
      const tarball = await sandbox.snapshot();
      // The archive (over 20 MB for any cluster) was counted while it was in the worker, and no longer is.
      expect(sandbox.memory!.peakBytes - before).toBeGreaterThan(20 * 1024 * 1024);
      // Only what the dump's checkpoint wrote (a few hundred bytes of log) is left of it.
      expect(sandbox.memory!.usedBytes - before).toBeGreaterThanOrEqual(0);
      expect(sandbox.memory!.usedBytes - before).toBeLessThan(64 * 1024);
      const restored = await createSandbox({ statementTimeoutMs: 60_000, memoryMb: 1024, tarball });
      try {
        expect((await restored.query('SELECT count(*)::int AS n FROM kept')).rows).toEqual([{ n: 100 }]);
      } finally {
        await restored.close();
      }
    } finally {
      await sandbox.close();
    }
  });

  it('is refused when it would not fit in the bound; the sandbox goes on', async () => {
    const memoryMb = 512;
    const budget = memoryShares(memoryMb).dataMb * 1024 * 1024;
    const sandbox = await createSandbox({ statementTimeoutMs: 600_000, memoryMb });
    try {
      // Filled to 80% of the bound with uncompressed, out-of-line rows, a table of 4 MB at a time (no
      // file grows much, so no growth nears the bound): Postgres' heap is at least 128 MB of it, the
      // files the rest, and an archive of the files cannot fit beside them.
      let tables = 0;
      while (sandbox.memory!.usedBytes < budget * 0.8) {
        const table = `filler_${++tables}`;
        await sandbox.exec(`CREATE TABLE ${table} (v text); ALTER TABLE ${table} ALTER COLUMN v SET STORAGE EXTERNAL;
          INSERT INTO ${table} SELECT repeat(md5(i::text), 125) FROM generate_series(1, 1000) i`);
      }
      const refused = await sandbox.snapshot().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SandboxQueryError);
      expect((refused as Error).message).toMatch(/^the snapshot's archive needs \d+ MB, and the sandbox holds \d+ MB of the \d+ MB its memory bound leaves for Postgres \(sandbox\.memory-mb\); the snapshot was not taken$/);
      expect(sandbox.stopped).toBeUndefined();
      expect((await sandbox.query('SELECT count(*)::int AS n FROM filler_1')).rows).toEqual([{ n: 1000 }]);
    } finally {
      await sandbox.close();
    }
  });
});
