// The Probot app: webhook handlers are guards plus one call; reviews run as background jobs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplicationFunction, Context, Probot } from 'probot';
import type { review } from '../review.js';
import { runCommand } from './command-flow.js';
import { parseCommand } from './commands.js';
import { Metrics, metricsHandler, processCaches } from './metrics.js';
import { CHECK_NAME } from './publish.js';
import { BullMqQueue, redisQueueSettings } from './queue-bullmq.js';
import { rulePagesHandler } from './rule-pages.js';
import { InProcessQueue, type Job, type JobQueue } from './queue.js';
import { scheduleRerun } from './rerun.js';
import { jobFields, type ReviewJobData } from './review-job.js';
import { ReviewScheduler } from './schedule.js';
import { repoServerHosts } from './server-hosts.js';

export interface PgproAppDeps {
  review: typeof review;
  queue?: JobQueue;
  now?: () => number;
  metrics?: Metrics;
  /** Servers a repository's config may name (sandbox.url, rehearsal.stats-url); default: PGPRO_REPO_SERVER_HOSTS. */
  serverHosts?: readonly string[];
  /** Told the queue the app runs its jobs on, so that the server can shut it down gracefully. */
  onQueue?: (queue: JobQueue, log: Probot['log']) => void;
}

const PULL_REQUEST_EVENTS = [
  'pull_request.opened',
  'pull_request.synchronize',
  'pull_request.reopened',
  'pull_request.ready_for_review',
] as const;

export function pgproApp(deps: PgproAppDeps): ApplicationFunction {
  return (app: Probot, options) => {
    const metrics = deps.metrics ?? new Metrics();
    const redis = redisQueueSettings();
    // With REDIS_URL, jobs go to BullMQ and `pgpro worker` processes run them; otherwise they run here.
    const queue =
      deps.queue ??
      (redis
        ? new BullMqQueue(redis)
        : new InProcessQueue({
            concurrency: Number(process.env.PGPRO_CONCURRENCY) || 2,
            onError: (error, job) => app.log.error({ err: error, ...queuedJobFields(job) }, 'pgpro job failed'),
          }));
    deps.onQueue?.(queue, app.log);
    const caches = processCaches(metrics);
    const scheduler = new ReviewScheduler(queue, {
      review: (change, reviewOptions) => deps.review(change, reviewOptions, caches),
      now: deps.now,
      observer: metrics,
      serverHosts: deps.serverHosts ?? repoServerHosts(),
    });

    // GitHub waits 10 s for an answer and retries nothing: handlers start their work and return at
    // once; the queue holds the work so that idle() (and shutdown) still wait for it. A failure names the
    // delivery and the repository (and pull request) it was for.
    const inBackground = (context: Context, pull: number | undefined, what: string, work: () => Promise<unknown>): void => {
      queue.hold(
        work().catch((error: unknown) => {
          app.log.error({ err: error, ...deliveryFields(context, pull) }, `pgpro: ${what} failed`);
        }),
      );
    };

    metrics.queueDepth(() => queue.depth?.());
    try {
      options.addHandler(healthz);
      options.addHandler(metricsHandler(metrics));
      options.addHandler(rulePagesHandler());
    } catch {
      // No HTTP server (probot.receive in tests, serverless hosts): nothing to serve.
    }

    app.on([...PULL_REQUEST_EVENTS], async (context) => {
      const pr = context.payload.pull_request;
      if (pr.state !== 'open') return;
      inBackground(context, pr.number, 'scheduling a review', () => scheduler.schedule(context, {
        trigger: 'push',
        pull: {
          owner: context.payload.repository.owner.login,
          repo: context.payload.repository.name,
          number: pr.number,
          headSha: pr.head.sha,
          baseSha: pr.base.sha,
          changedFiles: pr.changed_files,
          draft: pr.draft === true,
        },
      }));
    });

    app.on('issue_comment.created', async (context) => {
      const { issue, comment } = context.payload;
      // Bots, pgpro included, never run commands (and cannot loop on pgpro's own replies).
      if (!issue.pull_request || context.isBot || comment.user?.type === 'Bot') return;
      const command = parseCommand(comment.body);
      if (!command) return;
      inBackground(context, issue.number, `the command /pgpro ${command.name}`, () => runCommand(context, command, scheduler, deps.now));
    });

    app.on('check_run.rerequested', async (context) => {
      if (context.payload.check_run.name !== CHECK_NAME) return;
      inBackground(context, context.payload.check_run.pull_requests[0]?.number, 'scheduling a re-run', () => scheduleRerun(context, scheduler));
    });
  };
}

/** The delivery, repository and pull request a webhook was about, for its log lines. */
function deliveryFields(context: Context, pull: number | undefined): { delivery: string; repository?: string; pull?: number } {
  const repository = (context.payload as { repository?: { full_name?: string } }).repository?.full_name;
  return { delivery: context.id, ...(repository ? { repository } : {}), ...(pull !== undefined ? { pull } : {}) };
}

/** What a queued job was for, for the log line of a job that threw. */
function queuedJobFields(job: Job): object {
  const data = job.data as ReviewJobData | undefined;
  return data?.pull ? jobFields(data.pull, data.delivery) : { group: job.group };
}

/** GET /healthz for container health checks (Probot also answers GET /ping). */
function healthz(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' || req.url?.split('?')[0] !== '/healthz') return false;
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  return true;
}

/**
 * `probot run ./dist/github/app.js` loads this. The engine (PGlite, libpg-query, the agent) loads on the
 * first review, so the server answers webhooks as soon as it starts.
 */
export const lazyReview: typeof review = async (change, options, reviewDeps) =>
  (await import('../review.js')).review(change, options, reviewDeps);
export default pgproApp({ review: lazyReview });
