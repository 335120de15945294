// timedFetch: a GitHub request that never gets an answer fails with a TimeoutError at the deadline,
// also after a garbage collection in between (on Node 20 a signal of AbortSignal.timeout() that only
// AbortSignal.any() or the fetch held could be collected, its timer with it: the request hung ~300 s).
// The deadline covers the body, and its timer ends with the request: no timer (and its controller) is left
// behind for the rest of the deadline once the body is read, and a body streamed in parts arrives whole.
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

/** A fetch that answers at once with `body` (its parts, or a stream that ends only when the request aborts). */
const answering =
  (parts: string[] | 'never ends', init: ResponseInit = { status: 200, headers: { 'content-type': 'text/plain' } }): typeof fetch =>
  async (_input, request) => {
    const body =
      parts === 'never ends'
        ? new ReadableStream<Uint8Array>({
            start(stream) {
              stream.enqueue(new TextEncoder().encode('{"partial":'));
              request?.signal?.addEventListener('abort', () => stream.error(request.signal!.reason), { once: true });
            },
          })
        : new ReadableStream<Uint8Array>({
            start(stream) {
              for (const part of parts) stream.enqueue(new TextEncoder().encode(part));
              stream.close();
            },
          });
    return new Response(init.status === 204 ? null : body, init);
  };

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
    let hung = false;
    const server: Server = createServer((req, res) => {
      if (req.url === '/warm') return void res.end('{}');
      hung = true;
      res.once('close', closed);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const collecting = setInterval(gc, 20);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // fetch loads its client on first use: on a loaded machine that alone could outlast the deadline.
      await (await fetch(`${url}/warm`)).text();
      const error = await timedFetch(300)(`${url}/hangs`, { signal: new AbortController().signal }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TimeoutError' });
      // The client closed the connection: unless the deadline came before the request even reached the server.
      if (hung) await abandoned;
    } finally {
      clearInterval(collecting);
      server.closeAllConnections();
      server.close();
    }
  });

  it('leaves no timer once the body has been read, and passes the response on as it came', async () => {
    vi.useFakeTimers();
    const response = await timedFetch(30_000, answering(['a', 'b', 'c']))('http://github.test/x');
    expect(vi.getTimerCount()).toBe(1); // the body is not read yet: the deadline still runs
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('abc');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer after a request without a body, a failed one, or a body cancelled', async () => {
    vi.useFakeTimers();
    expect((await timedFetch(30_000, answering([], { status: 204 }))('http://github.test/x')).status).toBe(204);
    expect(vi.getTimerCount()).toBe(0);
    await expect(timedFetch(30_000, () => Promise.reject(new TypeError('fetch failed')))('http://github.test/x')).rejects.toThrow('fetch failed');
    expect(vi.getTimerCount()).toBe(0);
    const response = await timedFetch(30_000, answering('never ends'))('http://github.test/x');
    await response.body!.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer after a body that fails before the deadline, and passes a cancel on to the body it wraps', async () => {
    vi.useFakeTimers();
    const failing: typeof fetch = async () =>
      new Response(new ReadableStream<Uint8Array>({ pull: (stream) => stream.error(new TypeError('terminated')) }));
    const failed = await timedFetch(30_000, failing)('http://github.test/x');
    await expect(failed.text()).rejects.toThrow('terminated');
    expect(vi.getTimerCount()).toBe(0);
    let cancelledWith: unknown;
    const cancellable: typeof fetch = async () =>
      new Response(new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}), cancel: (reason) => void (cancelledWith = reason) }));
    const response = await timedFetch(30_000, cancellable)('http://github.test/x');
    await response.body!.cancel('not needed');
    expect(cancelledWith).toBe('not needed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still aborts a body that stops coming at the deadline, not before', async () => {
    vi.useFakeTimers();
    const response = await timedFetch(5_000, answering('never ends'))('http://github.test/x');
    let settled: unknown;
    void response.text().catch((error: unknown) => (settled = error));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toMatchObject({ name: 'TimeoutError' });
  });

  it('reads a real body sent in parts whole, with its url, and a real stalled body ends at the deadline', async () => {
    const server: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/stalls') return void res.write('{"partial":');
      let sent = 0;
      const next = () => (++sent < 5 ? res.write(`"${sent}",`) && setImmediate(next) : res.end('"5"]'));
      res.write('[');
      next();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const response = await timedFetch(30_000)(`${base}/parts`);
      expect(response.url).toBe(`${base}/parts`);
      expect(await response.json()).toEqual(['1', '2', '3', '4', '5']);
      // The headers come at once; on a loaded machine the deadline may still come before them: either way the
      // stalled request ends in a TimeoutError, never hangs.
      const stalled = timedFetch(300)(`${base}/stalls`).then((response) => response.text());
      await expect(stalled).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

