// A snapshot's archive is counted by the sandbox's memory bound: built in one array the size of the
// data directory (not PGlite's four copies nobody counted), held against the bound until it leaves the
// worker, and refused, without stopping the sandbox, when it would not fit. The archive is PGlite's own.
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { dumpDataDir, walRanges, type DumpFs, type WalExtent } from '../../src/sandbox/dump.js';
import { createSandbox, SandboxQueryError, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { memoryShares } from '../../src/sandbox/memory-bound.js';

/** Runs `use` with a new sandbox, closed afterwards whatever happened. */
async function inSandbox(options: SandboxOptions, use: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = await createSandbox(options);
  try {
    await use(sandbox);
  } finally {
    await sandbox.close();
  }
}

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

/** The archive's files: name → bytes. */
function filesOf(tar: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  let at = 0;
  while (at + 512 <= tar.length && tar[at] !== 0) {
    const name = new TextDecoder().decode(tar.subarray(at, at + 100)).replace(/\0.*$/s, '');
    const size = parseInt(new TextDecoder().decode(tar.subarray(at + 124, at + 135)), 8) || 0;
    if (tar[at + 156] !== 0x35) files.set(name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

describe('the log a restore reads', () => {
  const MB16 = 16 * 1024 * 1024;
  const wal = (redo: number, end: number): WalExtent => ({ timeline: 1, segmentBytes: MB16, pageBytes: 8192, redo: BigInt(redo), end: BigInt(end) });

  it('is the first page and the pages from the redo point to the end of the log, in the segments they span', () => {
    const extent = wal(2 * MB16 + 100_000, 2 * MB16 + 300_000);
    expect(walRanges('000000010000000000000001', MB16, extent)).toEqual([]);
    expect(walRanges('000000010000000000000002', MB16, extent)).toEqual([
      [0, 8192],
      [98_304, 303_104],
    ]);
    expect(walRanges('000000010000000000000003', MB16, extent)).toEqual([]);
    // A redo point on the first pages: one range from the start.
    expect(walRanges('000000010000000000000002', MB16, wal(2 * MB16 + 40, 2 * MB16 + 9000))).toEqual([[0, 16_384]]);
    // Across a segment boundary, and across a log id (256 segments of 16 MB each).
    expect(walRanges('000000010000000000000003', MB16, wal(2 * MB16 + 100, 3 * MB16 + 10))).toEqual([[0, 8192]]);
    expect(walRanges('000000010000000100000000', MB16, wal(256 * MB16 - 8192, 256 * MB16 + 20_000))).toEqual([[0, 24_576]]);
    // Other timelines, history files and anything else are kept whole.
    expect(walRanges('000000020000000000000001', MB16, extent)).toBeUndefined();
    expect(walRanges('00000002.history', 42, extent)).toBeUndefined();
    expect(walRanges('archive_status', 0, extent)).toBeUndefined();
  });

  it('leaves out the stale segments a checkpoint recycled; the restored instance has every row and goes on writing', async () => {
    const options = { statementTimeoutMs: 120_000, memoryMb: 1024 };
    await inSandbox(options, async (sandbox) => {
      // Over a segment of log: the checkpoint before the dump recycles the first one.
      await sandbox.exec(`CREATE TABLE logged (id int PRIMARY KEY, note text); INSERT INTO logged SELECT i, repeat('w', 200) FROM generate_series(1, 80000) i;`);
      const tar = await sandbox.snapshot('restore');
      const segments = [...filesOf(tar)].filter(([name]) => /^\/pg_wal\/[0-9A-F]{24}$/.test(name));
      expect(segments).toHaveLength(1);
      const [, segment] = segments[0]!;
      expect(segment.length).toBe(MB16);
      // Most of it is zeros: only the checkpoint's records and the segment's header are archived.
      expect(segment.reduce((n, b) => n + (b === 0 ? 0 : 1), 0)).toBeLessThan(64 * 1024);
      await inSandbox({ ...options, tarball: tar }, async (restored) => {
        expect((await restored.query('SELECT count(*)::int AS n FROM logged')).rows).toEqual([{ n: 80000 }]);
        // Writing on past the end of the archived segment into segments Postgres makes anew, each by
        // writing its last byte (worker.ts): the rest reads as the zeros a new segment must hold.
        expect((await restored.query(`SELECT current_setting('wal_init_zero') AS zero`)).rows).toEqual([{ zero: 'off' }]);
        await restored.exec(`INSERT INTO logged SELECT i, repeat('v', 200) FROM generate_series(80001, 160000) i; CHECKPOINT;`);
        expect((await restored.query('SELECT count(*)::int AS n FROM logged')).rows).toEqual([{ n: 160000 }]);
        await inSandbox({ ...options, tarball: await restored.snapshot('restore') }, async (again) => {
          expect((await again.query('SELECT count(*)::int AS n FROM logged')).rows).toEqual([{ n: 160000 }]);
        });
      });
    });
  });
});

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
    const options = { statementTimeoutMs: 60_000, memoryMb: 1024 };
    await inSandbox(options, async (sandbox) => {
      await sandbox.exec(`CREATE TABLE kept (id int); INSERT INTO kept SELECT generate_series(1, 100);`);
      const before = sandbox.memory!.usedBytes;
      const tarball = await sandbox.snapshot();
      // The archive (over 20 MB for any cluster) was counted while it was in the worker, and no longer is.
      expect(sandbox.memory!.peakBytes - before).toBeGreaterThan(20 * 1024 * 1024);
      // Only what the dump's checkpoint wrote (a few hundred bytes of log) is left of it.
      expect(sandbox.memory!.usedBytes - before).toBeGreaterThanOrEqual(0);
      expect(sandbox.memory!.usedBytes - before).toBeLessThan(64 * 1024);
      await inSandbox({ ...options, tarball }, async (restored) => {
        expect((await restored.query('SELECT count(*)::int AS n FROM kept')).rows).toEqual([{ n: 100 }]);
      });
    });
  });

  it('is refused when it would not fit in the bound; the sandbox goes on', async () => {
    const memoryMb = 512;
    const budget = memoryShares(memoryMb).dataMb * 1024 * 1024;
    await inSandbox({ statementTimeoutMs: 600_000, memoryMb }, async (sandbox) => {
      // Filled to 85% of the bound with uncompressed, out-of-line rows, a table of 4 MB at a time (no
      // file grows much, so no growth nears the bound), checkpointed as it goes so that the log (which
      // the archive mostly leaves out) stays at the few segments Postgres keeps: Postgres' heap is at
      // least 128 MB of it, the files the rest, and an archive of the tables cannot fit beside them.
      let tables = 0;
      while (sandbox.memory!.usedBytes < budget * 0.85) {
        const table = `filler_${++tables}`;
        await sandbox.exec(`CREATE TABLE ${table} (v text); ALTER TABLE ${table} ALTER COLUMN v SET STORAGE EXTERNAL;
          INSERT INTO ${table} SELECT repeat(md5(i::text), 125) FROM generate_series(1, 1000) i; CHECKPOINT`);
      }
      const refused = await sandbox.snapshot().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SandboxQueryError);
      expect((refused as Error).message).toMatch(/^the snapshot's archive needs \d+ MB, and the sandbox holds \d+ MB of the \d+ MB its memory bound leaves for Postgres \(sandbox\.memory-mb\); the snapshot was not taken$/);
      expect(sandbox.stopped).toBeUndefined();
      expect((await sandbox.query('SELECT count(*)::int AS n FROM filler_1')).rows).toEqual([{ n: 1000 }]);
    });
  });
});
