// `pgpro worker`: takes review jobs from the Redis queue until SIGTERM/SIGINT. Credentials come from the same
// environment as the server: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, GHE_HOST/GHE_PROTOCOL, REDIS_URL.
import { createServer, type Server } from 'node:http';
import { createProbot } from 'probot';
import type { GitHubClient } from '../github/client.js';
import { Metrics, metricsHandler, processCaches } from '../github/metrics.js';
import { octokitSettings, pgproOctokit } from '../github/octokit.js';
import { redisQueueSettings } from '../github/queue-bullmq.js';
import type { JobLog } from '../github/review-job.js';
import { startReviewWorker } from '../github/worker.js';
import type { review as reviewFn } from '../review.js';
import type { CliIo } from './io.js';

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
  // Probot creates its logger while it initializes, asynchronously: `probot.log` is null until then, so every
  // call goes through it at the time of the call.
  const log: JobLog = {
    info: (obj, msg) => probot.log.info(obj, msg),
    warn: (obj, msg) => probot.log.warn(obj, msg),
    error: (obj, msg) => probot.log.error(obj, msg),
  };
  const metrics = new Metrics();
  const caches = processCaches(metrics, env);
  const review: typeof reviewFn = async (change, options) => (await import('../review.js')).review(change, options, caches);
  const worker = await startReviewWorker({
    ...redis,
    auth: async (installationId) => (await probot.auth(installationId)) as unknown as GitHubClient,
    review,
    log,
    metrics,
    concurrency: positive(env.PGPRO_CONCURRENCY) ?? 1,
    lockMs: positive(env.PGPRO_WORKER_LOCK_MS),
    stalledIntervalMs: positive(env.PGPRO_WORKER_STALLED_MS),
    sweepIntervalMs: positive(env.PGPRO_WORKER_SWEEP_MS),
  });
  // Reviews run in the workers, so their durations and outcomes are counted here: serve them.
  const metricsPort = positive(env.PGPRO_METRICS_PORT);
  const server = metricsPort ? await serveMetrics(metrics, metricsPort, env.HOST ?? '0.0.0.0') : undefined;
  log.info({ prefix: redis.prefix, ...(metricsPort ? { metricsPort } : {}) }, 'pgpro worker: taking review jobs');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await worker.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  return 0;
}

/** GET /metrics (Prometheus text) and GET /healthz for a worker process. */
function serveMetrics(metrics: Metrics, port: number, host: string): Promise<Server> {
  const handle = metricsHandler(metrics);
  const server = createServer((req, res) => {
    if (handle(req, res)) return;
    if (req.method === 'GET' && req.url?.split('?')[0] === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
