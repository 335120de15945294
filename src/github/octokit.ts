// The Octokit class pgpro runs with in production: Probot's (retries on 5xx, throttling) plus a request
// timeout, and retries after secondary rate limits, which Probot's defaults only log.
import { ProbotOctokit } from 'probot';
import Bottleneck from 'bottleneck';
import type { Transformer } from 'node:stream/web';

type Fetch = typeof fetch;

export interface OctokitSettings {
  /** A GitHub request hanging longer than this fails (and is retried like a 5xx). */
  timeoutMs: number;
  /** Base of the 5xx retry backoff: waits are base × 1, 4, 9. */
  retryBaseMs: number;
  /** Longest rate-limit wait done in place; a longer one fails the request (the queue retries the job). */
  maxRateLimitWaitSeconds: number;
  /**
   * Least time between two writes (and between two writes that notify, e.g. comments). Unset: the
   * throttling plugin's spacing as GitHub asks for it (1 s, 3 s). A fake GitHub in tests needs none.
   */
  writeSpacingMs?: number;
}

export function octokitSettings(env: NodeJS.ProcessEnv = process.env): OctokitSettings {
  return {
    timeoutMs: Number(env.PGPRO_GITHUB_TIMEOUT_MS) || 30_000,
    retryBaseMs: Number(env.PGPRO_GITHUB_RETRY_BASE_MS) || 1_000,
    maxRateLimitWaitSeconds: Number(env.PGPRO_GITHUB_MAX_RATE_WAIT_SECONDS) || 120,
    ...(env.PGPRO_GITHUB_WRITE_SPACING_MS && Number.isFinite(Number(env.PGPRO_GITHUB_WRITE_SPACING_MS))
      ? { writeSpacingMs: Math.max(0, Number(env.PGPRO_GITHUB_WRITE_SPACING_MS)) }
      : {}),
  };
}

/**
 * fetch with a deadline; the TimeoutError becomes a retryable 500 RequestError in @octokit/request.
 * The deadline is a timer of our own that holds its controller: a signal from AbortSignal.timeout()
 * that only AbortSignal.any() (or only the fetch) refers to can be garbage-collected on Node 20, and
 * its timer with it, so a hung request was then ended only by undici's 300 s headers timeout.
 * The deadline covers reading the body too; the timer ends when the request does: when it fails, when
 * it has no body, or when its body has been read to the end, has failed or was cancelled.
 */
export function timedFetch(timeoutMs: number, inner: Fetch = fetch): Fetch {
  return async (input, init) => {
    const controller = new AbortController();
    const outer = init?.signal;
    const followOuter = () => controller.abort(outer!.reason);
    const timer = setTimeout(() => controller.abort(new DOMException('The GitHub request timed out', 'TimeoutError')), timeoutMs).unref();
    const finish = () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', followOuter);
    };
    if (outer) {
      if (outer.aborted) controller.abort(outer.reason);
      else outer.addEventListener('abort', followOuter, { once: true, signal: controller.signal });
    }
    let response: Response;
    try {
      response = await inner(input, { ...init, signal: controller.signal });
    } catch (error) {
      finish();
      throw error;
    }
    if (!response.body) {
      finish();
      return response;
    }
    return withBodyEnd(response, response.body, finish);
  };
}

/**
 * The response with a body that calls `end` when it is read to the end (`flush`), or fails or is cancelled
 * (`cancel`: called when the source errors, which aborts the pipe's writable side, or when the consumer
 * cancels the readable side; the pipe then cancels the source). The spec calls one of the two, never both.
 */
function withBodyEnd(response: Response, source: ReadableStream<Uint8Array>, end: () => void): Response {
  // Transformer.cancel is in Node since 20.14 (package.json asks for 20.18.1) but not in @types/node 20's type.
  const ends: Transformer<Uint8Array, Uint8Array> & { cancel: (reason: unknown) => void } = { flush: end, cancel: end };
  const body = source.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(ends));
  const wrapped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // What a constructed Response cannot be given: where it came from.
  Object.defineProperties(wrapped, { url: { value: response.url }, redirected: { value: response.redirected }, type: { value: response.type } });
  return wrapped;
}

/**
 * The throttling plugin's write and notification limiters with another spacing: what the plugin builds
 * itself (a Bottleneck group, one limiter per key, one job at a time, starts at least `minMs` apart), from
 * Bottleneck, which the plugin brings. The plugin only schedules a no-op through them.
 */
export function spacedGroup(minMs: number): Bottleneck.Group {
  return new Bottleneck.Group({ maxConcurrent: 1, minTime: minMs });
}

interface ThrottledRequest {
  method: string;
  url: string;
}
type Log = { warn(msg: string): void };

export function pgproOctokit(settings: OctokitSettings = octokitSettings()): typeof ProbotOctokit {
  const retryAfterLimit = (kind: string) => (retryAfter: number, options: ThrottledRequest, octokit: { log: Log }, retryCount: number) => {
    const retry = retryCount < 2 && retryAfter <= settings.maxRateLimitWaitSeconds;
    octokit.log.warn(`GitHub ${kind} rate limit on ${options.method} ${options.url}; ${retry ? `retrying in ${retryAfter} s` : 'giving up'}`);
    return retry;
  };
  // One spacing per process, as the plugin's own groups are.
  const spacing = settings.writeSpacingMs === undefined ? {} : { write: spacedGroup(settings.writeSpacingMs), notifications: spacedGroup(settings.writeSpacingMs) };
  return ProbotOctokit.defaults((options: Record<string, any>) => ({
    ...options,
    request: { ...options.request, fetch: timedFetch(settings.timeoutMs, options.request?.fetch) },
    retry: { ...options.retry, retryAfterBaseValue: settings.retryBaseMs },
    throttle: {
      ...options.throttle,
      ...spacing,
      onRateLimit: retryAfterLimit('primary'),
      onSecondaryRateLimit: retryAfterLimit('secondary'),
    },
  })) as typeof ProbotOctokit;
}
