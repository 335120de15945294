// The Octokit class pgpro runs with in production: Probot's (retries on 5xx, throttling) plus a request
// timeout, and retries after secondary rate limits, which Probot's defaults only log.
import { ProbotOctokit } from 'probot';

type Fetch = typeof fetch;

export interface OctokitSettings {
  /** A GitHub request hanging longer than this fails (and is retried like a 5xx). */
  timeoutMs: number;
  /** Base of the 5xx retry backoff: waits are base × 1, 4, 9. */
  retryBaseMs: number;
  /** Longest rate-limit wait done in place; a longer one fails the request (the queue retries the job). */
  maxRateLimitWaitSeconds: number;
}

export function octokitSettings(env: NodeJS.ProcessEnv = process.env): OctokitSettings {
  return {
    timeoutMs: Number(env.PGPRO_GITHUB_TIMEOUT_MS) || 30_000,
    retryBaseMs: Number(env.PGPRO_GITHUB_RETRY_BASE_MS) || 1_000,
    maxRateLimitWaitSeconds: Number(env.PGPRO_GITHUB_MAX_RATE_WAIT_SECONDS) || 120,
  };
}

/** fetch with a deadline; the TimeoutError becomes a retryable 500 RequestError in @octokit/request. */
export function timedFetch(timeoutMs: number, inner: Fetch = fetch): Fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return inner(input, { ...init, signal });
  };
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
  return ProbotOctokit.defaults((options: Record<string, any>) => ({
    ...options,
    request: { ...options.request, fetch: timedFetch(settings.timeoutMs, options.request?.fetch) },
    retry: { ...options.retry, retryAfterBaseValue: settings.retryBaseMs },
    throttle: {
      ...options.throttle,
      onRateLimit: retryAfterLimit('primary'),
      onSecondaryRateLimit: retryAfterLimit('secondary'),
    },
  })) as typeof ProbotOctokit;
}
