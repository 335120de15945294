// The pool's bookkeeping, with stand-in sandboxes (the real ones are exercised by the differential
// test of the warm path): a ready sandbox is handed out once, the next is restored only when no review
// runs, and the count and memory bounds hold.
import { describe, expect, it } from 'vitest';
import { SandboxPool } from '../../src/sandbox/pool.js';
import type { Sandbox } from '../../src/sandbox/index.js';

class FakeSandbox {
  closed = false;
  stopped: Error | undefined;
  constructor(readonly id: string) {}
  async close(): Promise<void> {
    this.closed = true;
  }
}

function starter(prefix: string, log: string[]) {
  let n = 0;
  return async (): Promise<Sandbox> => {
    const id = `${prefix}#${++n}`;
    log.push(`start ${id}`);
    return new FakeSandbox(id) as unknown as Sandbox;
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
      return new FakeSandbox('heavy') as unknown as Sandbox;
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
});
