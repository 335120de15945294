// How GitHub failures are told apart: worth another try, or final.

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function urlOf(error: unknown): string {
  const request = (error as { request?: { url?: unknown } } | null)?.request;
  return typeof request?.url === 'string' ? request.url : '';
}

/**
 * The installation token or the repository is gone for good: the app was uninstalled, suspended, or lost
 * access to the repository. Rate limits are 403s too, but carry a rate-limit message or header.
 */
export function accessDenied(error: unknown): boolean {
  const status = statusOf(error);
  if (status === 401) return true;
  if (status !== 403 && status !== 404) return false;
  const message = error instanceof Error ? error.message : '';
  const headers = (error as { response?: { headers?: Record<string, string> } }).response?.headers ?? {};
  if (/rate limit/i.test(message) || headers['x-ratelimit-remaining'] === '0') return false;
  const url = urlOf(error);
  // A 404 deep inside a repository (a deleted blob, a closed PR's files) is not an access problem.
  return /\/app\/installations\/\d+\/access_tokens/.test(url) || /\/repos\/[^/]+\/[^/]+\/(check-runs|pulls\/\d+\/files)/.test(url) || status === 403;
}

/** GitHub or the network failed in a way that may pass: 5xx, 429, rate limits, timeouts, resets. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) {
    if (status >= 500 || status === 429) return true;
    if (status === 403) {
      const message = error instanceof Error ? error.message : '';
      return /rate limit/i.test(message);
    }
    return false;
  }
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  return (
    name === 'TimeoutError' ||
    (typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'].includes(code))
  );
}

export interface RetryOptions {
  attempts: number;
  /** Wait before attempt n+1 is backoffMs × n. */
  backoffMs: number;
  retryable: (error: unknown) => boolean;
}

export async function withRetries<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.attempts || !options.retryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.backoffMs * attempt));
    }
  }
}
