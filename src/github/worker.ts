// A BullMQ worker that runs review jobs queued by the server: rebuilds the installation client from the app
// credentials, resumes the check run the server opened, and sweeps jobs that failed for good (a worker
// died mid-job too often) so no check run stays in progress.
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { review as reviewFn } from '../review.js';
import type { ReviewResult } from '../types.js';
import type { GitHubClient } from './client.js';
import { accessDenied, isTransient } from './faults.js';
import type { Metrics } from './metrics.js';
import { Publisher } from './publish.js';
import { keys, QUEUE_NAME, type RedisQueueSettings } from './queue-bullmq.js';
import { SupersededError } from './queue.js';
import { jobFields, reasonOf, runReviewJob, withFields, type JobLog, type ResultStore, type ReviewJobData } from './review-job.js';

type Log = JobLog;

export interface ReviewWorkerOptions extends RedisQueueSettings {
  /** An installation client (Probot's `app.auth(installationId)`). */
  auth(installationId: number): Promise<GitHubClient>;
  review: typeof reviewFn;
  log: Log;
  metrics?: Metrics;
  /** Reviews run by this process at once (each holds a PGlite sandbox). */
  concurrency?: number;
  /** A job whose worker stops renewing its lock for this long counts as stalled and is run again. */
  lockMs?: number;
  stalledIntervalMs?: number;
  /** How often failed jobs are swept (their check runs completed as failures). */
  sweepIntervalMs?: number;
  /** How often a running job looks for a newer job of its pull request. */
  supersedePollMs?: number;
}

export interface ReviewWorker {
  /** Completes the check runs of jobs that failed for good and removes them; returns how many. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export const WORKER_DIED_OUTPUT = {
  title: 'pgpro could not complete the review',
  summary:
    'The worker running this review stopped before it finished (it was restarted or ran out of memory), and the retries did too.\n\nRe-run the check or comment `/pgpro review` to try again.',
};

export async function startReviewWorker(options: ReviewWorkerOptions): Promise<ReviewWorker> {
  const { prefix, log } = options;
  const redis = new Redis(options.url, { maxRetriesPerRequest: 3 });
  const queue = new Queue<ReviewJobData>(QUEUE_NAME, { connection: { url: options.url }, prefix });

  const resultStore = (jobId: string): ResultStore => ({
    async load() {
      const text = await redis.get(keys.result(prefix, jobId));
      return text ? (JSON.parse(text) as ReviewResult) : undefined;
    },
    async save(result) {
      const { sources: _sources, ...stored } = result;
      await redis.set(keys.result(prefix, jobId), JSON.stringify(stored), 'PX', 24 * 60 * 60 * 1000);
    },
  });

  async function process(job: Job<ReviewJobData>): Promise<void> {
    const data = job.data;
    const group = `${data.pull.owner}/${data.pull.repo}#${data.pull.number}`;
    const octokit = await options.auth(data.installationId);
    // Every line this job writes, the publisher's too, names the repository, pull request, sha and delivery.
    const jobLog = withFields(log, jobFields(data.pull, data.delivery));
    const publisher = new Publisher(octokit, { owner: data.pull.owner, repo: data.pull.repo, log: jobLog });
    const check = publisher.resumeCheck(data.check.id, data.check.url);
    const stillCurrent = async () => {
      const latest = await redis.get(keys.latest(prefix, group));
      return latest === null || latest === job.id;
    };
    const controller = new AbortController();
    const poll = setInterval(() => {
      stillCurrent()
        .then((current) => current || controller.abort(new SupersededError()))
        .catch(() => {});
    }, options.supersedePollMs ?? 2_000);
    try {
      await runReviewJob(
        {
          octokit,
          publisher,
          check,
          pull: data.pull,
          config: data.config,
          agent: data.agent,
          ...(data.delivery ? { delivery: data.delivery } : {}),
          log: jobLog,
          stillCurrent,
          willRetry: (error) => job.attemptsMade + 1 < (job.opts.attempts ?? 1) && isTransient(error),
          results: resultStore(job.id!),
        },
        { review: options.review, ...(options.metrics ? { observer: options.metrics } : {}) },
        controller.signal,
      );
    } finally {
      clearInterval(poll);
    }
    await redis.del(keys.result(prefix, job.id!));
  }

  const worker = new Worker<ReviewJobData>(QUEUE_NAME, process, {
    connection: { url: options.url },
    prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: 1,
  });
  worker.on('error', (error) => log.error({ err: error }, 'pgpro worker: queue error'));

  let sweeping: Promise<number> | undefined;
  async function sweepOnce(): Promise<number> {
    // Jobs in the failed set ended for good: retries used up, or stalled (their worker died) too often.
    const failed = await queue.getFailed();
    let swept = 0;
    for (const job of failed) {
      const data = job.data;
      try {
        const octokit = await options.auth(data.installationId);
        const check = new Publisher(octokit, { owner: data.pull.owner, repo: data.pull.repo, log }).resumeCheck(data.check.id, data.check.url);
        const reason = job.failedReason ? ` (${reasonOf(job.failedReason)})` : '';
        await check.complete('failure', { ...WORKER_DIED_OUTPUT, summary: `${WORKER_DIED_OUTPUT.summary}${reason ? `\n\nLast error${reason}.` : ''}` });
      } catch (error) {
        if (!accessDenied(error)) {
          log.warn({ err: error, job: job.id, ...jobFields(data.pull, data.delivery) }, 'pgpro sweep: could not complete the check run; will try again');
          continue;
        }
        log.warn({ job: job.id, ...jobFields(data.pull, data.delivery) }, 'pgpro sweep: repository no longer accessible; job dropped');
      }
      await job.remove();
      await redis.del(keys.result(prefix, job.id!));
      log.info({ job: job.id, ...jobFields(data.pull, data.delivery) }, 'pgpro sweep: completed the check run of a failed job');
      swept++;
    }
    return swept;
  }
  const sweep = () => (sweeping ??= sweepOnce().finally(() => (sweeping = undefined)));

  worker.on('failed', (job, error) => {
    if (!job) return;
    // A job that failed before its review started (the installation token, Redis) names what it was for.
    log.warn({ err: error, job: job.id, attempt: job.attemptsMade, ...jobFields(job.data.pull, job.data.delivery) }, 'pgpro worker: job attempt failed');
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
    sweep().catch((error: unknown) => log.error({ err: error }, 'pgpro sweep failed'));
  });
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => log.error({ err: error }, 'pgpro sweep failed'));
  }, options.sweepIntervalMs ?? 60_000);
  timer.unref();
  await worker.waitUntilReady();
  await sweep().catch((error: unknown) => log.error({ err: error }, 'pgpro sweep failed'));

  return {
    sweep,
    async close() {
      clearInterval(timer);
      await worker.close();
      await sweeping?.catch(() => {});
      await queue.close();
      redis.disconnect();
    },
  };
}
