// One review of one pull request head, from the changed-file listing to the published result.
import type { PgproConfig } from '../config/schema.js';
import { detectMigrations } from '../migrations/index.js';
import type { review as reviewFn } from '../review.js';
import type { ProgressEvent, ReviewResult } from '../types.js';
import type { GitHubClient } from './client.js';
import { accessDenied, isTransient, withRetries } from './faults.js';
import { listChangedFiles } from './files.js';
import type { CheckRun, Publisher } from './publish.js';
import { ShutdownError } from './queue.js';
import { gitFileTree } from './tree.js';

export interface PullTarget {
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  baseSha: string;
  /** From the pull request payload, to tell whether the file listing hit GitHub's cap. */
  changedFiles?: number;
}

/** A review job as a queue in another process stores it: everything a worker needs to run it. */
export interface ReviewJobData {
  installationId: number;
  pull: PullTarget;
  check: { id: number; url?: string };
  config: PgproConfig;
  agent: 'auto' | 'force' | 'off';
  /** The webhook delivery that asked for the review (X-GitHub-Delivery), named in every log line of the job. */
  delivery?: string;
}

/** The log a job writes to: Probot's (pino) or any logger with these methods. */
export interface JobLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ReviewJobInput {
  octokit: GitHubClient;
  publisher: Publisher;
  check: CheckRun;
  pull: PullTarget;
  config: PgproConfig;
  agent: 'auto' | 'force' | 'off';
  /** The webhook delivery that asked for the review, for the log lines. */
  delivery?: string;
  log: JobLog;
  /**
   * Asked right before publishing, for queues whose supersede signal lives elsewhere (Redis): false means
   * a newer job of the pull request exists and this one must close its check as cancelled.
   */
  stillCurrent?: () => Promise<boolean>;
  /** True when the queue will run this job again for this error: the check is then left for that attempt. */
  willRetry?: (error: unknown) => boolean;
  /** Keeps a computed result across attempts, so a failed publish is retried without recomputing. */
  results?: ResultStore;
}

export interface ResultStore {
  load(): Promise<ReviewResult | undefined>;
  save(result: ReviewResult): Promise<void>;
}

/** What a job reports as it ends, for /metrics. */
export interface ReviewJobObserver {
  reviewed(result: ReviewResult): void;
  ended(outcome: JobOutcome, seconds: number): void;
}

export type JobOutcome = 'success' | 'failure' | 'neutral' | 'cancelled' | 'error' | 'inaccessible' | 'no-migrations' | 'retry';

export interface ReviewJobDeps {
  review: typeof reviewFn;
  observer?: ReviewJobObserver;
  /** Publish attempts within one job beyond the client's own retries (each after `publishBackoffMs` × attempt). */
  publishAttempts?: number;
  publishBackoffMs?: number;
}

export const SUPERSEDED_OUTPUT = {
  title: 'Superseded by a newer review',
  summary: 'A newer push or `/pgpro review` started another review of this pull request; its check run has the result.',
};

export const SHUTDOWN_OUTPUT = {
  title: 'Stopped: pgpro restarted',
  summary:
    'pgpro was shut down (a restart or a deploy) before this review finished, so nothing was concluded. Re-run this check, or comment `/pgpro review`, to review the pull request.',
};

/** What a cancelled check says: a newer review took over, or the service stopped before finishing. */
function cancelledOutput(signal: AbortSignal): { title: string; summary: string } {
  return signal.reason instanceof ShutdownError ? SHUTDOWN_OUTPUT : SUPERSEDED_OUTPUT;
}

export const NO_MIGRATIONS_OUTPUT = {
  title: 'No migrations changed',
  summary: 'This pull request changes no migration files, so there was nothing to review.',
};

/** The check title while a stage runs, e.g. "Replaying history (3/40)…". */
export function progressTitle(event: ProgressEvent): string {
  const text = event.message.replace(/[.…]+$/, '');
  const count = event.total !== undefined && event.done !== undefined ? ` (${event.done}/${event.total})` : '';
  return `${text}${count}…`;
}

/** A new stage updates the title at once; counts within a stage at most every few seconds (rate limits). */
export function progressReporter(
  check: Pick<CheckRun, 'progress'>,
  minIntervalMs = 3_000,
  clock: () => number = () => performance.now(),
): (event: ProgressEvent) => void {
  let lastStage: string | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  return (event) => {
    const at = clock();
    if (event.stage === lastStage && at - lastAt < minIntervalMs) return;
    lastStage = event.stage;
    lastAt = at;
    check.progress(progressTitle(event));
  };
}

/** Paths among `changed` that are migrations (up or down files), judged with the whole tree as context. */
export function changedMigrations(treePaths: readonly string[], changed: readonly string[], config: PgproConfig): string[] {
  const changedSet = new Set(changed);
  const detected = detectMigrations(treePaths, {
    convention: config.migrations.convention,
    globs: config.migrations.paths,
  });
  return detected
    .filter((m) => changedSet.has(m.path) || (m.downPath !== undefined && changedSet.has(m.downPath)))
    .map((m) => m.path);
}

/**
 * Runs the review and publishes it. Never throws (unless `willRetry` says another attempt will follow) and
 * never leaves the check in progress: a superseded job closes its check as cancelled and publishes nothing
 * else; an internal error closes it as failure with the reason (the stack goes to the log only); a repository
 * the app can no longer reach ends the job with a log line.
 */
export async function runReviewJob(input: ReviewJobInput, deps: ReviewJobDeps, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  const { check, pull } = input;
  // Every line of the job names the repository, pull request, head commit and delivery, so that an error
  // minutes after its webhook still says which review it was.
  const where = jobFields(pull, input.delivery);
  input.log.info({ ...where, check: check.id, agent: input.agent }, 'pgpro review started');
  const end = (outcome: JobOutcome, extra: object = {}) => {
    const seconds = (performance.now() - started) / 1000;
    deps.observer?.ended(outcome, seconds);
    input.log.info({ ...where, conclusion: outcome, durationMs: Math.round(seconds * 1000), ...extra }, 'pgpro review ended');
  };
  const superseded = async () => signal.aborted || (input.stillCurrent ? !(await input.stillCurrent()) : false);
  try {
    const { outcome, result } = await reviewAndPublish(input, deps, signal, superseded);
    end(outcome, result ? summaryFields(result) : {});
  } catch (error) {
    if (accessDenied(error)) {
      // The app was uninstalled or lost access to the repository: nothing can be published any more.
      input.log.warn({ ...where, status: (error as { status?: number }).status }, 'pgpro cannot access the repository any more (app uninstalled or access removed); job dropped');
      end('inaccessible');
      return;
    }
    if (signal.aborted && !check.completed) {
      await check.complete('cancelled', cancelledOutput(signal)).catch(() => {});
      end('cancelled');
      return;
    }
    if (!check.completed && input.willRetry?.(error)) {
      input.log.warn({ ...where, err: error }, 'pgpro review attempt failed; the queue will retry it');
      end('retry');
      throw error;
    }
    input.log.error({ ...where, err: error }, 'pgpro review failed');
    end('error', { error: reasonOf(error) });
    if (check.completed) return;
    await check
      .complete('failure', {
        title: 'pgpro could not complete the review',
        summary: `The review stopped with an internal error: ${reasonOf(error)}\n\nRe-run the check or comment \`/pgpro review\` to try again.`,
      })
      .catch((completeError: unknown) => input.log.error({ ...where, err: completeError }, 'Could not complete the check run'));
  }
}

/** The fields naming a job in the log: repository, pull request, head commit, webhook delivery. */
export function jobFields(pull: PullTarget, delivery: string | undefined): { repository: string; pull: number; sha: string; delivery?: string } {
  return { repository: `${pull.owner}/${pull.repo}`, pull: pull.number, sha: pull.headSha, ...(delivery ? { delivery } : {}) };
}

/** A logger that adds `fields` to every line: what a job and its publisher log names the job. */
export function withFields(log: JobLog, fields: object): JobLog {
  return {
    info: (obj, msg) => log.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => log.error({ ...fields, ...obj }, msg),
  };
}

/** What the end line says about a computed review. */
function summaryFields(result: ReviewResult): object {
  const count = (severity: string) => result.findings.filter((f) => f.severity === severity).length;
  return {
    migrations: result.stats.migrationsNew,
    findings: { error: count('error'), warning: count('warning'), info: count('info') },
    reviewMs: Math.round(result.stats.durationMs),
  };
}

async function reviewAndPublish(
  input: ReviewJobInput,
  deps: ReviewJobDeps,
  signal: AbortSignal,
  superseded: () => Promise<boolean>,
): Promise<{ outcome: JobOutcome; result?: ReviewResult }> {
  const { octokit, publisher, check, pull, config } = input;
  const cancel = async (): Promise<{ outcome: JobOutcome }> => {
    await check.complete('cancelled', signal.aborted ? cancelledOutput(signal) : SUPERSEDED_OUTPUT);
    return { outcome: 'cancelled' };
  };
  if (await superseded()) return cancel();

  check.progress('Listing changed files…');
  const listFiles = () =>
    listChangedFiles(octokit, { owner: pull.owner, repo: pull.repo, pullNumber: pull.number }, pull.changedFiles);
  let result = await input.results?.load();
  let files: Awaited<ReturnType<typeof listFiles>>;
  if (result) {
    files = await listFiles();
  } else {
    const ref = { owner: pull.owner, repo: pull.repo, blobCache: new Map<string, Promise<string>>() };
    const [listed, head] = await Promise.all([listFiles(), gitFileTree(octokit, { ...ref, sha: pull.headSha })]);
    files = listed;
    if (await superseded()) return cancel();
    const changesMigrations = changedMigrations(head.paths, files.changed, config).length > 0;
    // A pull request that only deletes migrations changes them too: the base tree tells which were.
    if (!changesMigrations && files.removed.length === 0) {
      await check.complete('success', NO_MIGRATIONS_OUTPUT);
      return { outcome: 'no-migrations' };
    }

    check.progress('Reading the base branch…');
    const base = await gitFileTree(octokit, { ...ref, sha: pull.baseSha });
    if (!changesMigrations && changedMigrations(base.paths, files.removed, config).length === 0) {
      await check.complete('success', NO_MIGRATIONS_OUTPUT);
      return { outcome: 'no-migrations' };
    }
    result = await deps.review(
      { head, base, changed: files.changed, patches: files.patches },
      { config, agent: input.agent, signal, onProgress: progressReporter(check) },
    );
    if (files.truncated) {
      result.notes.push(
        'GitHub lists at most 3000 changed files of a pull request; migrations beyond that were not seen as changed.',
      );
    }
    deps.observer?.reviewed(result);
    await input.results?.save(result);
  }
  if (await superseded()) return cancel();
  const computed = result;
  // GitHub may fail after the client's own retries; the result is kept and only the publishing is repeated.
  await withRetries(
    () => publisher.publishReview(check, computed, { number: pull.number, headSha: pull.headSha, patches: files.patches }, config),
    { attempts: deps.publishAttempts ?? 3, backoffMs: deps.publishBackoffMs ?? 2_000, retryable: isTransient },
  );
  return { outcome: computed.conclusion, result: computed };
}

/** The first line of an error's message, without a stack: safe to show on a pull request. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 500) || 'unknown error';
}
