// timedFetch: a GitHub request that never gets an answer fails with a TimeoutError at the deadline,
// also after a garbage collection in between (on Node 20 a signal of AbortSignal.timeout() that only
// AbortSignal.any() or the fetch held could be collected, its timer with it: the request hung ~300 s).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { timedFetch } from '../../src/github/octokit.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A fetch that never answers: it only ends when its signal aborts. */
const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true }));

afterEach(() => {
  vi.useRealTimers();
});

describe('timedFetch', () => {
  it('aborts a request with no answer at the deadline, not before', async () => {
    vi.useFakeTimers();
    let settled: unknown;
    void timedFetch(5_000, hangingFetch)('http://github.test/x').catch((error: unknown) => (settled = error));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toMatchObject({ name: 'TimeoutError' });
  });

  it("aborts when the caller's own signal aborts", async () => {
    const caller = new AbortController();
    const pending = timedFetch(600_000, hangingFetch)('http://github.test/x', { signal: caller.signal });
    caller.abort(new Error('superseded'));
    await expect(pending).rejects.toThrow('superseded');
  });

  it('ends a real hung request at the deadline although garbage is collected meanwhile, with a caller signal', async () => {
    let closed!: () => void;
    const abandoned = new Promise<void>((resolve) => (closed = resolve));
    const server: Server = createServer((_req, res) => res.once('close', closed));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const collecting = setInterval(gc, 20);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const error = await timedFetch(300)(url, { signal: new AbortController().signal }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      await abandoned; // the client closed the connection
    } finally {
      clearInterval(collecting);
      server.closeAllConnections();
      server.close();
    }
  });
});
