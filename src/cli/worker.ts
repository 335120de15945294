// `pgpro worker`: takes review jobs from the Redis queue until SIGTERM/SIGINT. Credentials come from the same
// environment as the server: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, GHE_HOST/GHE_PROTOCOL, REDIS_URL.
import { createProbot } from 'probot';
import type { GitHubClient } from '../github/client.js';
import { Metrics, processSnapshotCache } from '../github/metrics.js';
import { octokitSettings, pgproOctokit } from '../github/octokit.js';
import { redisQueueSettings } from '../github/queue-bullmq.js';
import { startReviewWorker } from '../github/worker.js';
import type { review as reviewFn } from '../review.js';
import type { CliIo } from './run.js';

const positive = (value: string | undefined) => (Number(value) > 0 ? Number(value) : undefined);

export async function runWorker(io: CliIo): Promise<number> {
  const { env } = io;
  const redis = redisQueueSettings(env);
  if (!redis) {
    io.stderr.write('pgpro worker: REDIS_URL is not set; the worker takes jobs from the Redis queue the server fills.\n');
    return 2;
  }
  if (!Number(env.APP_ID) || !(env.PRIVATE_KEY || env.PRIVATE_KEY_PATH)) {
    io.stderr.write('pgpro worker: APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) are needed to publish reviews.\n');
    return 2;
  }
  const probot = createProbot({ env, overrides: { Octokit: pgproOctokit(octokitSettings(env)) } });
  const metrics = new Metrics();
  const snapshotCache = processSnapshotCache(metrics, env);
  const review: typeof reviewFn = async (change, options) =>
    (await import('../review.js')).review(change, options, { snapshotCache });
  const worker = await startReviewWorker({
    ...redis,
    auth: async (installationId) => (await probot.auth(installationId)) as unknown as GitHubClient,
    review,
    log: probot.log,
    metrics,
    concurrency: positive(env.PGPRO_CONCURRENCY) ?? 1,
    lockMs: positive(env.PGPRO_WORKER_LOCK_MS),
    stalledIntervalMs: positive(env.PGPRO_WORKER_STALLED_MS),
    sweepIntervalMs: positive(env.PGPRO_WORKER_SWEEP_MS),
  });
  probot.log.info({ prefix: redis.prefix }, 'pgpro worker: taking review jobs');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await worker.close();
  return 0;
}
