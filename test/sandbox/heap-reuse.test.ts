// A restore in a sandbox worker starts the new instance on the closed one's heap, zeroed
// (memory-bound.ts reusableHeap): the new instance must find it as it would a new heap, and behave as
// one started on a new heap does.
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { openPglite } from '../../src/sandbox/cluster.js';
import { MemoryBound, MemoryCounters, memoryShares } from '../../src/sandbox/memory-bound.js';

const budget = memoryShares(1024).dataMb * 1024 * 1024;

async function open(bound: MemoryBound): Promise<PGlite> {
  return openPglite({ startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'], extensions: { pgproMemoryBound: bound.extension } });
}

/** What a start on a heap is seen to do: the same work, the same answers, wherever it started. */
async function work(db: PGlite): Promise<unknown[]> {
  await db.exec(`CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g; CREATE SEQUENCE s;`);
  return [
    (await db.query('SELECT count(*)::int AS n, sum(length(note))::int AS total, max(note) AS top FROM t')).rows,
    (await db.query("SELECT nextval('s')::int AS a, nextval('s')::int AS b")).rows,
    (await db.query("SELECT current_setting('shared_buffers') AS sb, current_setting('work_mem') AS wm")).rows,
    (await db.query('SELECT count(*)::int AS n FROM pg_class')).rows,
  ];
}

/** An instance under this bound, its work's answers, and the instance closed. */
async function workOnce(bound: MemoryBound): Promise<unknown[]> {
  const db = await open(bound);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

function allZero(memory: WebAssembly.Memory): boolean {
  const bytes = Buffer.from(memory.buffer);
  const zero = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < bytes.length; at += zero.length) if (zero.compare(bytes, at, Math.min(bytes.length, at + zero.length), 0, Math.min(zero.length, bytes.length - at)) !== 0) return false;
  return true;
}

describe("a restore's new instance on the closed instance's heap", () => {
  it('finds the heap all zero, as a new one, and does what an instance on a new heap does', async () => {
    const counters = new MemoryCounters(new SharedArrayBuffer(24));
    const first = new MemoryBound(budget, counters);
    const expected = await workOnce(first);
    const heap = first.reusableHeap();
    expect(heap).toBeDefined();
    expect(allZero(heap!)).toBe(true);

    const second = new MemoryBound(budget, counters, heap);
    expect(await workOnce(second)).toEqual(expected);
    // Reused again, and still bounded: a growth goes through the new bound, which counts it.
    const again = second.reusableHeap();
    expect(again).toBe(heap);
    const third = new MemoryBound(budget, counters, again);
    expect(await workOnce(third)).toEqual(expected);
    const before = counters.usedBytes;
    again!.grow(1);
    expect(counters.usedBytes).toBe(before + 64 * 1024);
    // A heap that grew is not reused: the next instance starts on a new one, of a new heap's size.
    expect(third.reusableHeap()).toBeUndefined();
  }, 120_000);

  it('is not offered before an instance ran on it', () => {
    const bound = new MemoryBound(budget, new MemoryCounters(new SharedArrayBuffer(24)));
    expect(bound.reusableHeap()).toBeUndefined();
  });
});
