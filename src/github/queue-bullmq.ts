// The JobQueue on Redis through BullMQ: the server adds jobs, any number of `pgpro worker` processes run them.
// Deduplication and "which job is the latest of a pull request" live in plain Redis keys next to BullMQ's.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Job, JobQueue, QueueDepth } from './queue.js';
import type { ReviewJobData } from './review-job.js';

export const QUEUE_NAME = 'reviews';

export interface RedisQueueSettings {
  url: string;
  /** Prefix of every key (BullMQ's and pgpro's), so several deployments or tests can share one Redis. */
  prefix: string;
}

export interface BullMqQueueOptions extends RedisQueueSettings {
  /** How long a claimed identity (delivery id, pull request + head sha) counts as seen. */
  rememberMs?: number;
  /** Runs of a job before it fails for good; retries wait backoffMs, then ×2 each time. */
  attempts?: number;
  backoffMs?: number;
}

export function redisQueueSettings(env: NodeJS.ProcessEnv = process.env): RedisQueueSettings | undefined {
  if (!env.REDIS_URL) return undefined;
  return { url: env.REDIS_URL, prefix: env.PGPRO_QUEUE_PREFIX || 'pgpro' };
}

export const keys = {
  seen: (prefix: string, id: string) => `${prefix}:pgpro:seen:${id}`,
  /** The job id of the newest job of a pull request; an older job finding another id here is superseded. */
  latest: (prefix: string, group: string) => `${prefix}:pgpro:latest:${group}`,
  /** A computed review kept until it is published, so a failed publish is retried without recomputing. */
  result: (prefix: string, jobId: string) => `${prefix}:pgpro:result:${jobId}`,
};

// All identities or none: two deliveries of the same webhook racing each other cannot both pass.
const CLAIM = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, '1', 'PX', ARGV[1]) end
return 1`;

export class BullMqQueue implements JobQueue {
  readonly #queue: Queue<ReviewJobData>;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #rememberMs: number;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(options: BullMqQueueOptions) {
    this.#prefix = options.prefix;
    this.#rememberMs = options.rememberMs ?? 60 * 60 * 1000;
    this.#attempts = options.attempts ?? 3;
    this.#backoffMs = options.backoffMs ?? 5_000;
    this.#queue = new Queue<ReviewJobData>(QUEUE_NAME, { connection: { url: options.url }, prefix: options.prefix });
    this.#redis = new Redis(options.url, { maxRetriesPerRequest: 3 });
  }

  async claim(ids: readonly string[]): Promise<boolean> {
    if (ids.length === 0) return true;
    const keysToClaim = ids.map((id) => keys.seen(this.#prefix, id));
    return (await this.#redis.eval(CLAIM, keysToClaim.length, ...keysToClaim, String(this.#rememberMs))) === 1;
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.del(...ids.map((id) => keys.seen(this.#prefix, id)));
  }

  async add(job: Job): Promise<void> {
    if (!job.key || job.data === undefined) throw new Error('BullMqQueue needs jobs with a key and serializable data');
    const existing = await this.#queue.getJob(job.key);
    if (existing && (await existing.isFailed())) await existing.remove();
    else if (existing) {
      // The same work is already queued or running: this job only closes the check run it opened.
      const aborted = new AbortController();
      aborted.abort(new Error('duplicate'));
      await job.run(aborted.signal);
      return;
    }
    await this.#redis.set(keys.latest(this.#prefix, job.group), job.key, 'PX', 24 * 60 * 60 * 1000);
    await this.#queue.add('review', job.data as ReviewJobData, {
      jobId: job.key,
      attempts: this.#attempts,
      backoff: { type: 'exponential', delay: this.#backoffMs },
      removeOnComplete: true,
      // Failed jobs stay until the sweep has completed their check runs.
      removeOnFail: false,
    });
  }

  async depth(): Promise<QueueDepth> {
    const counts = await this.#queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return { waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0), running: counts.active ?? 0 };
  }

  readonly #held = new Set<Promise<unknown>>();

  hold(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined).finally(() => this.#held.delete(settled));
    this.#held.add(settled);
  }

  async idle(): Promise<void> {
    while (this.#held.size > 0) await Promise.all([...this.#held]);
    for (;;) {
      const { waiting, running } = await this.depth();
      if (waiting + running === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async close(): Promise<void> {
    await this.#queue.close();
    this.#redis.disconnect();
  }
}

/** Deletes every key under a prefix (tests, and tearing down a deployment). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
