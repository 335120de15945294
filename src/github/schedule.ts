// From a webhook to a queued review job: dedupe, config, draft policy, the in-progress check run.
import type { Context } from 'probot';
import { ConfigError } from '../config/parse.js';
import type { PgproConfig } from '../config/schema.js';
import { loadConfig } from './config.js';
import { accessDenied } from './faults.js';
import { Publisher } from './publish.js';
import type { JobQueue } from './queue.js';
import { jobFields, runReviewJob, withFields, type PullTarget, type ReviewJobData, type ReviewJobDeps } from './review-job.js';

export type Trigger = 'push' | 'command' | 'rerequested';

export interface ScheduleRequest {
  pull: PullTarget & { draft: boolean };
  trigger: Trigger;
}

export type ScheduleOutcome = 'queued' | 'duplicate' | 'draft-skipped' | 'config-error' | 'inaccessible';

type AnyContext = Context<'pull_request' | 'issue_comment' | 'check_run'>;

export class ReviewScheduler {
  constructor(
    private readonly queue: JobQueue,
    private readonly deps: ReviewJobDeps & { now?: () => number; serverHosts?: readonly string[] },
  ) {}

  /**
   * Claims a command comment's delivery: false when GitHub delivered it before (a redelivery), and the
   * command must not be answered again.
   */
  async claimCommand(context: AnyContext): Promise<boolean> {
    return this.queue.claim([`command:${context.id}`]);
  }

  /** Queues a review of the pull request head; answers as soon as the check run exists. */
  async schedule(context: AnyContext, request: ScheduleRequest): Promise<ScheduleOutcome> {
    const { pull, trigger } = request;
    const group = `${pull.owner}/${pull.repo}#${pull.number}`;
    // Pushes are deduplicated by head sha too: the same commit arriving twice (a redelivery, or opened and
    // reopened in quick succession) is one review. Commands and re-runs ask explicitly for another one.
    const ids = [`delivery:${context.id}`, ...(trigger === 'push' ? [`push:${group}@${pull.headSha}`] : [])];
    if (!(await this.queue.claim(ids))) {
      context.log.info(jobFields(pull, context.id), 'Duplicate delivery: review already scheduled');
      return 'duplicate';
    }
    try {
      let config: PgproConfig | undefined;
      let configError: ConfigError | undefined;
      try {
        config = await loadConfig(context, this.deps.serverHosts ?? []);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        configError = error;
      }
      if (trigger === 'push' && pull.draft && !config?.github.drafts) {
        await this.queue.release(ids);
        return 'draft-skipped';
      }

      // Every line of this review, the publisher's too, names the repository, pull request, sha and delivery.
      const log = withFields(context.log, jobFields(pull, context.id));
      const publisher = new Publisher(context.octokit, {
        owner: pull.owner,
        repo: pull.repo,
        now: this.deps.now,
        log,
      });
      const check = await publisher.startCheck(pull.headSha, {
        title: 'Queued…',
        summary: 'pgpro is reviewing the migrations of this pull request.',
      });
      if (!config) {
        await check.complete('failure', {
          title: `Invalid ${configError!.file}`,
          summary: `${configError!.message}\n\nFix the file on the default branch, then re-run this check.`,
        });
        return 'config-error';
      }
      const agent = trigger === 'command' ? 'force' : config.agent['on-pull-request'] ? 'auto' : 'off';
      const data: ReviewJobData = {
        installationId: (context.payload as { installation?: { id: number } }).installation?.id ?? 0,
        pull,
        check: { id: check.id, ...(check.url ? { url: check.url } : {}) },
        config,
        agent,
        delivery: context.id,
      };
      await this.queue.add({
        group,
        ids,
        owners: [`installation:${data.installationId}`, `repository:${pull.owner}/${pull.repo}`],
        data,
        // Pushes are keyed by head sha: the same commit is one job. Explicit requests get their own.
        key: `${group}@${pull.headSha}${trigger === 'push' ? '' : `+${check.id}`}`,
        run: (signal) =>
          runReviewJob(
            {
              octokit: context.octokit,
              publisher,
              check,
              pull,
              config,
              agent,
              delivery: context.id,
              log,
            },
            this.deps,
            signal,
          ),
      });
      return 'queued';
    } catch (error) {
      if (accessDenied(error)) {
        // Uninstalled meanwhile, or the repository is no longer shared with the app: nothing to do, ever.
        context.log.warn({ ...jobFields(pull, context.id), status: (error as { status?: number }).status }, 'pgpro cannot access the repository (app uninstalled or access removed); webhook ignored');
        return 'inaccessible';
      }
      // Nothing was queued: let a redelivery try again.
      await this.queue.release(ids);
      throw error;
    }
  }
}
