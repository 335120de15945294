// The pool's bookkeeping, with stand-in sandboxes (the real ones are exercised by the differential
// test of the warm path): a ready sandbox is handed out once, the next is restored only when no review
// runs, and the count and memory bounds hold.
import { describe, expect, it } from 'vitest';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { SandboxTimeBudget, type ReviewLimits } from '../../src/sandbox/limits.js';
import type { Sandbox } from '../../src/sandbox/index.js';

class FakeSandbox {
  closed = false;
  stopped: Error | undefined;
  constructor(
    readonly id: string,
    public limits: ReviewLimits,
  ) {}
  bindReview(limits: ReviewLimits): void {
    this.limits = limits;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function starter(prefix: string, log: string[]) {
  let n = 0;
  return async (limits: ReviewLimits): Promise<Sandbox> => {
    const id = `${prefix}#${++n}`;
    log.push(`start ${id}`);
    return new FakeSandbox(id, limits) as unknown as Sandbox;
  };
}

const idOf = (s: Sandbox) => (s as unknown as FakeSandbox).id;

describe('SandboxPool', () => {
  it('restores the next sandbox of a base after the review ends, and hands it out once', async () => {
    const log: string[] = [];
    const pool = new SandboxPool({ maxSandboxes: 2, rss: () => 0 });
    const start = starter('a', log);
    const first = await pool.open('a', start);
    expect(idOf(first)).toBe('a#1');
    await pool.settled();
    expect(log).toEqual(['start a#1']); // nothing restored while the review runs
    await first.close();
    await pool.settled();
    expect(log).toEqual(['start a#1', 'start a#2']);
    expect(pool.stats()).toMatchObject({ ready: 1, active: 0 });

    const second = await pool.open('a', start);
    expect(idOf(second)).toBe('a#2');
    expect(pool.stats().ready).toBe(0);
    // Two reviews of one base at once: the second starts its own, nothing is shared.
    const third = await pool.open('a', start);
    expect(idOf(third)).toBe('a#3');
    await second.close();
    expect(log).toEqual(['start a#1', 'start a#2', 'start a#3']); // one review still runs
    await third.close();
    await pool.settled();
    expect(log.at(-1)).toBe('start a#4');
    await pool.close();
  });

  it('keeps the most recent bases within the count, closing the others', async () => {
    const log: string[] = [];
    const pool = new SandboxPool({ maxSandboxes: 1, rss: () => 0 });
    const startA = starter('a', log);
    const startB = starter('b', log);
    await (await pool.open('a', startA)).close();
    await pool.settled();
    const readyA = (pool as unknown as { bases: Map<string, { ready?: { sandbox: FakeSandbox } }> }).bases.get('a')!.ready!.sandbox;
    await (await pool.open('b', startB)).close();
    await pool.settled();
    expect(pool.stats().ready).toBe(1);
    expect(readyA.closed).toBe(true); // a is no longer among the recent bases
    const b = await pool.open('b', startB);
    expect(idOf(b)).toBe('b#2'); // the ready one
    await b.close();
    await pool.close();
  });

  it('does not keep a sandbox beyond the memory bound', async () => {
    let rss = 0;
    const pool = new SandboxPool({ maxSandboxes: 3, maxMemoryMb: 500, rss: () => rss });
    const heavy = async (): Promise<Sandbox> => {
      rss += 400 * 1024 * 1024;
      return new FakeSandbox('heavy', {}) as unknown as Sandbox;
    };
    await (await pool.open('x', heavy)).close();
    await (await pool.open('y', heavy)).close();
    await pool.settled();
    const { ready, memoryMb } = pool.stats();
    expect(ready).toBe(1);
    expect(memoryMb).toBe(400);
    await pool.close();
  });

  it('does not hand out a ready sandbox that stopped meanwhile', async () => {
    const log: string[] = [];
    const pool = new SandboxPool({ rss: () => 0 });
    const start = starter('a', log);
    await (await pool.open('a', start)).close();
    await pool.settled();
    const ready = log.at(-1)!;
    expect(ready).toBe('start a#2');
    // The ready one dies (a terminated worker): the next review gets a new one.
    const stale = (pool as unknown as { bases: Map<string, { ready?: { sandbox: FakeSandbox } }> }).bases.get('a')!.ready!.sandbox;
    stale.stopped = new Error('worker exited');
    const next = await pool.open('a', start);
    expect(idOf(next)).toBe('a#3');
    expect(stale.closed).toBe(true);
    await next.close();
    await pool.close();
  });

  it('keeps nothing once closed, or with a bound of 0', async () => {
    const log: string[] = [];
    const off = new SandboxPool({ maxSandboxes: 0, rss: () => 0 });
    await (await off.open('a', starter('a', log))).close();
    await off.settled();
    expect(log).toEqual(['start a#1']);
    const pool = new SandboxPool({ rss: () => 0 });
    await (await pool.open('b', starter('b', log))).close();
    await pool.close();
    expect(pool.stats().ready).toBe(0);
  });

  it('binds the review\'s own limits to the sandbox it hands out, never those of the review whose end restored it', async () => {
    const log: string[] = [];
    const pool = new SandboxPool({ rss: () => 0 });
    const start = starter('a', log);
    const a = { signal: new AbortController().signal, timeBudget: new SandboxTimeBudget(1000) };
    const first = (await pool.open('a', start, a)) as unknown as FakeSandbox;
    expect(first.limits).toBe(a); // started on the spot, for this review
    await (first as unknown as Sandbox).close();
    await pool.settled();
    const ready = (pool as unknown as { bases: Map<string, { ready?: { sandbox: FakeSandbox } }> }).bases.get('a')!.ready!.sandbox;
    // Kept ready, it answers to the pool only: neither A's signal nor A's budget.
    expect(ready.limits.signal).toBeDefined();
    expect(ready.limits.signal).not.toBe(a.signal);
    expect(ready.limits.timeBudget).toBeUndefined();
    const b = { signal: new AbortController().signal, timeBudget: new SandboxTimeBudget(2000) };
    const second = (await pool.open('a', start, b)) as unknown as FakeSandbox;
    expect(second).toBe(ready);
    expect(second.limits).toBe(b);
    await (second as unknown as Sandbox).close();
    await pool.settled();
    // Closing the pool stops what it keeps ready (its restores under way included).
    const next = (pool as unknown as { bases: Map<string, { ready?: { sandbox: FakeSandbox } }> }).bases.get('a')!.ready!.sandbox;
    const keeping = next.limits.signal!;
    expect(keeping.aborted).toBe(false);
    await pool.close();
    expect(keeping.aborted).toBe(true);
    expect(b.signal.aborted).toBe(false);
  });

  it('leaves the ready sandbox for the next review when the review asking is stopped already', async () => {
    const log: string[] = [];
    const pool = new SandboxPool({ rss: () => 0 });
    const start = starter('a', log);
    await (await pool.open('a', start)).close();
    await pool.settled();
    const stopped = new AbortController();
    stopped.abort(new Error('superseded'));
    const own = (await pool.open('a', start, { signal: stopped.signal })) as unknown as FakeSandbox;
    expect(own.id).toBe('a#3'); // its own start, which the real engine refuses with the stop
    expect(pool.stats().ready).toBe(1);
    await (own as unknown as Sandbox).close();
    await pool.close();
  });
});
