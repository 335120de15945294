// One review of one pull request head, from the changed-file listing to the published result.
import type { PgproConfig } from '../config/schema.js';
import { detectMigrations } from '../migrations/index.js';
import type { review as reviewFn } from '../review.js';
import type { ProgressEvent } from '../types.js';
import type { GitHubClient } from './client.js';
import { listChangedFiles } from './files.js';
import type { CheckRun, Publisher } from './publish.js';
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

export interface ReviewJobInput {
  octokit: GitHubClient;
  publisher: Publisher;
  check: CheckRun;
  pull: PullTarget;
  config: PgproConfig;
  agent: 'auto' | 'force' | 'off';
  log: { error(obj: object, msg?: string): void };
}

export interface ReviewJobDeps {
  review: typeof reviewFn;
}

export const SUPERSEDED_OUTPUT = {
  title: 'Superseded by a newer review',
  summary: 'A newer push or `/pgpro review` started another review of this pull request; its check run has the result.',
};

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
 * Runs the review and publishes it. Never throws and never leaves the check in progress: a superseded
 * job closes its check as cancelled and publishes nothing else; an internal error closes it as failure
 * with the reason (the stack goes to the log only).
 */
export async function runReviewJob(input: ReviewJobInput, deps: ReviewJobDeps, signal: AbortSignal): Promise<void> {
  const { octokit, publisher, check, pull, config } = input;
  try {
    if (signal.aborted) return await check.complete('cancelled', SUPERSEDED_OUTPUT);

    check.progress('Listing changed files…');
    const ref = { owner: pull.owner, repo: pull.repo, blobCache: new Map<string, Promise<string>>() };
    const [files, head] = await Promise.all([
      listChangedFiles(octokit, { owner: pull.owner, repo: pull.repo, pullNumber: pull.number }, pull.changedFiles),
      gitFileTree(octokit, { ...ref, sha: pull.headSha }),
    ]);
    if (changedMigrations(head.paths, files.changed, config).length === 0) {
      return await check.complete('success', NO_MIGRATIONS_OUTPUT);
    }
    if (signal.aborted) return await check.complete('cancelled', SUPERSEDED_OUTPUT);

    check.progress('Reading the base branch…');
    const base = await gitFileTree(octokit, { ...ref, sha: pull.baseSha });
    const result = await deps.review(
      { head, base, changed: files.changed },
      { config, agent: input.agent, signal, onProgress: progressReporter(check) },
    );
    if (signal.aborted) return await check.complete('cancelled', SUPERSEDED_OUTPUT);
    if (files.truncated) {
      result.notes.push(
        'GitHub lists at most 3000 changed files of a pull request; migrations beyond that were not seen as changed.',
      );
    }
    await publisher.publishReview(check, result, { number: pull.number, headSha: pull.headSha, patches: files.patches }, config);
  } catch (error) {
    if (signal.aborted && !check.completed) {
      await check.complete('cancelled', SUPERSEDED_OUTPUT).catch(() => {});
      return;
    }
    input.log.error({ err: error, pull: `${pull.owner}/${pull.repo}#${pull.number}` }, 'pgpro review failed');
    if (check.completed) return;
    await check
      .complete('failure', {
        title: 'pgpro could not complete the review',
        summary: `The review stopped with an internal error: ${reasonOf(error)}\n\nRe-run the check or comment \`/pgpro review\` to try again.`,
      })
      .catch((completeError: unknown) => input.log.error({ err: completeError }, 'Could not complete the check run'));
  }
}

/** The first line of an error's message, without a stack: safe to show on a pull request. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').slice(0, 500) || 'unknown error';
}
