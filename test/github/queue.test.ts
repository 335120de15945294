import { describe, expect, it } from 'vitest';
import { InProcessQueue, ShutdownError, SupersededError, type Job } from '../../src/github/queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('InProcessQueue', () => {
  it('runs at most `concurrency` jobs at once, the rest in order', async () => {
    const queue = new InProcessQueue({ concurrency: 2 });
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    for (const name of ['a', 'b', 'c']) {
      const gate = deferred();
      gates.set(name, gate);
      queue.add({
        group: name,
        ids: [name],
        run: async () => {
          started.push(name);
          await gate.promise;
        },
      });
    }
    await Promise.resolve();
    expect(started).toEqual(['a', 'b']);
    expect(queue.size).toEqual({ waiting: 1, running: 2 });
    gates.get('a')!.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('b')!.resolve();
    gates.get('c')!.resolve();
    await queue.idle();
    expect(queue.size).toEqual({ waiting: 0, running: 0 });
  });

  it('aborts the older job of a group when a newer one arrives, whether running or waiting', async () => {
    const queue = new InProcessQueue({ concurrency: 1 });
    const signals: Record<string, AbortSignal> = {};
    const job = (name: string, group: string): Job => ({
      group,
      ids: [name],
      run: (signal) => {
        signals[name] = signal;
        return new Promise<void>((resolve) => {
          if (signal.aborted) return resolve();
          signal.addEventListener('abort', () => resolve());
          setTimeout(resolve, 50);
        });
      },
    });
    queue.add(job('running', 'pr1'));
    queue.add(job('waiting', 'pr2'));
    queue.add(job('newer-running', 'pr1'));
    queue.add(job('newer-waiting', 'pr2'));
    await queue.idle();
    expect(signals.running!.aborted).toBe(true);
    expect(signals.running!.reason).toBeInstanceOf(SupersededError);
    // A superseded waiting job still gets its turn, already aborted, to close what it opened.
    expect(signals.waiting!.aborted).toBe(true);
    expect(signals['newer-running']!.aborted).toBe(false);
    expect(signals['newer-waiting']!.aborted).toBe(false);
  });

  it('refuses identities seen recently and forgets them after the memory window', async () => {
    let clock = 1_000;
    const queue = new InProcessQueue({ rememberMs: 100, now: () => clock });
    expect(queue.claim(['delivery:1', 'push:pr@abc'])).toBe(true);
    expect(queue.claim(['delivery:1'])).toBe(false);
    expect(queue.claim(['delivery:2', 'push:pr@abc'])).toBe(false);
    queue.add({ group: 'pr', ids: ['delivery:1', 'push:pr@abc'], run: async () => {} });
    await queue.idle();
    clock += 99;
    expect(queue.claim(['push:pr@abc'])).toBe(false);
    clock += 2;
    expect(queue.claim(['push:pr@abc'])).toBe(true);
  });

  it('released identities can be claimed again', () => {
    const queue = new InProcessQueue();
    expect(queue.claim(['x'])).toBe(true);
    queue.release(['x']);
    expect(queue.claim(['x'])).toBe(true);
  });

  it('keeps going when a job throws', async () => {
    const errors: unknown[] = [];
    const queue = new InProcessQueue({ concurrency: 1, onError: (error) => errors.push(error) });
    let ran = false;
    queue.add({ group: 'a', ids: [], run: async () => Promise.reject(new Error('boom')) });
    queue.add({ group: 'b', ids: [], run: async () => void (ran = true) });
    await queue.idle();
    expect(ran).toBe(true);
    expect(errors).toEqual([new Error('boom')]);
  });

  describe('shutdown', () => {
    /** A job that runs until it finishes or its signal aborts; records what it saw. */
    function job(name: string, seen: Record<string, unknown>, gate = deferred()): Job & { gate: ReturnType<typeof deferred> } {
      return {
        group: name,
        ids: [name],
        gate,
        run: async (signal) => {
          if (signal.aborted) {
            seen[name] = signal.reason;
            return;
          }
          await Promise.race([gate.promise, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
          seen[name] = signal.aborted ? signal.reason : 'finished';
        },
      };
    }

    it('lets a running job finish within the grace period and hands queued jobs back as shut down', async () => {
      const queue = new InProcessQueue({ concurrency: 1 });
      const seen: Record<string, unknown> = {};
      const running = job('running', seen);
      queue.add(running);
      queue.add(job('queued', seen));
      const shutdown = queue.shutdown(3_600_000);
      await new Promise((r) => setTimeout(r, 0));
      // The queued job ran at once, with its signal aborted: it only closes its check.
      expect(seen.queued).toBeInstanceOf(ShutdownError);
      expect(seen.running).toBeUndefined();
      running.gate.resolve();
      await shutdown;
      expect(seen.running).toBe('finished');
    });

    it('stops a running job when the grace period is over', async () => {
      const queue = new InProcessQueue({ concurrency: 1 });
      const seen: Record<string, unknown> = {};
      queue.add(job('endless', seen));
      await queue.shutdown(0);
      expect(seen.endless).toBeInstanceOf(ShutdownError);
    });

    it('takes no new job once shutting down: it runs aborted, to close its check', async () => {
      const queue = new InProcessQueue({ concurrency: 1 });
      const seen: Record<string, unknown> = {};
      await queue.shutdown(0);
      queue.add(job('late', seen));
      await queue.idle();
      expect(seen.late).toBeInstanceOf(ShutdownError);
    });
  });

  describe('fairness', () => {
    /** Queues jobs that run until released; returns the order they started in. */
    function fill(queue: InProcessQueue, jobs: { name: string; owners: string[] }[]) {
      const started: string[] = [];
      const gates = new Map<string, ReturnType<typeof deferred>>();
      for (const { name, owners } of jobs) {
        const gate = deferred();
        gates.set(name, gate);
        queue.add({ group: name, ids: [name], owners, run: async () => (started.push(name), gate.promise) });
      }
      return { started, release: async (name: string) => (gates.get(name)!.resolve(), new Promise((r) => setTimeout(r, 0))) };
    }

    it('gives a free slot to another repository before a busy one gets its second', async () => {
      const queue = new InProcessQueue({ concurrency: 2 });
      const busy = ['installation:1', 'repository:acme/big'];
      const { started, release } = fill(queue, [
        { name: 'big-1', owners: busy },
        { name: 'big-2', owners: busy },
        { name: 'big-3', owners: busy },
        { name: 'big-4', owners: busy },
        { name: 'small-1', owners: ['installation:1', 'repository:acme/small'] },
      ]);
      await Promise.resolve();
      expect(started).toEqual(['big-1', 'big-2']);
      await release('big-1');
      // big-3 is older, but acme/big already runs one job and acme/small none.
      expect(started).toEqual(['big-1', 'big-2', 'small-1']);
      await release('big-2');
      expect(started.at(-1)).toBe('big-3');
      for (const name of ['small-1', 'big-3', 'big-4']) await release(name);
      await queue.idle();
    });

    it('shares slots between installations before repositories within one', async () => {
      const queue = new InProcessQueue({ concurrency: 2 });
      const { started, release } = fill(queue, [
        { name: 'a-1', owners: ['installation:1', 'repository:a/one'] },
        { name: 'a-2', owners: ['installation:1', 'repository:a/one'] },
        { name: 'a-3', owners: ['installation:1', 'repository:a/two'] },
        { name: 'b-1', owners: ['installation:2', 'repository:b/one'] },
      ]);
      await Promise.resolve();
      expect(started).toEqual(['a-1', 'a-2']);
      await release('a-1');
      // a/two runs nothing, but installation 1 still runs a-2 and installation 2 nothing.
      expect(started).toEqual(['a-1', 'a-2', 'b-1']);
      await release('a-2');
      expect(started.at(-1)).toBe('a-3');
      for (const name of ['b-1', 'a-3']) await release(name);
      await queue.idle();
    });
  });
});
