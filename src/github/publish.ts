// The only module that writes to GitHub: the check run, the summary comment, the inline review,
// reactions and replies. Everything it writes comes from the pure reporters in src/report/.
import type { PgproConfig } from '../config/schema.js';
import { checkRunOutput } from '../report/check-run.js';
import { inlineComments, readCommentFingerprints } from '../report/inline.js';
import { previousHazards, renderMarkdown, SUMMARY_MARKER } from '../report/markdown.js';
import type { Conclusion, ReviewResult } from '../types.js';
import type { GitHubClient } from './client.js';
import { docsUrlFor } from './rule-pages.js';

export const CHECK_NAME = 'pgpro';

export type CheckConclusion = Conclusion | 'cancelled';

export interface CheckOutput {
  title: string;
  summary: string;
}

interface Log {
  warn(obj: object, msg?: string): void;
}

export interface PublisherOptions {
  owner: string;
  repo: string;
  now?: () => number;
  log?: Log;
  /** Where PGPRO_PUBLIC_URL is read (rule links to the App's own pages); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Writes to one repository on behalf of one installation. */
export class Publisher {
  readonly #octokit: GitHubClient;
  readonly #owner: string;
  readonly #repo: string;
  readonly #now: () => number;
  readonly #log: Log | undefined;
  readonly #env: NodeJS.ProcessEnv;

  constructor(octokit: GitHubClient, options: PublisherOptions) {
    this.#octokit = octokit;
    this.#owner = options.owner;
    this.#repo = options.repo;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#env = options.env ?? process.env;
  }

  get #repoParams(): { owner: string; repo: string } {
    return { owner: this.#owner, repo: this.#repo };
  }

  #timestamp(): string {
    return new Date(this.#now()).toISOString();
  }

  /** Creates the `pgpro` check run, already in progress, and returns a handle to move it along. */
  async startCheck(headSha: string, output: CheckOutput): Promise<CheckRun> {
    const { data } = await this.#octokit.rest.checks.create({
      ...this.#repoParams,
      name: CHECK_NAME,
      head_sha: headSha,
      status: 'in_progress',
      started_at: this.#timestamp(),
      output,
    });
    return new CheckRun(this.#octokit, this.#repoParams, data.id, data.html_url ?? undefined, this.#now, this.#log);
  }

  /** A handle on a check run created earlier, e.g. by the server process before it queued the job. */
  resumeCheck(id: number, url: string | undefined): CheckRun {
    return new CheckRun(this.#octokit, this.#repoParams, id, url, this.#now, this.#log);
  }

  async react(commentId: number, content: 'eyes'): Promise<void> {
    await this.#octokit.rest.reactions.createForIssueComment({ ...this.#repoParams, comment_id: commentId, content });
  }

  async reply(issueNumber: number, body: string): Promise<void> {
    await this.#octokit.rest.issues.createComment({ ...this.#repoParams, issue_number: issueNumber, body });
  }

  /**
   * Publishes a finished review: completes the check (the merge gate comes first), then updates the summary
   * comment in place and posts one review with the inline comments not already posted.
   */
  async publishReview(
    check: CheckRun,
    result: ReviewResult,
    pull: { number: number; headSha: string; patches: Record<string, string> },
    config: PgproConfig,
  ): Promise<void> {
    const docsUrl = docsUrlFor(config, this.#env);
    await check.completeWithResult(result, { docsUrl });
    if (config.github['summary-comment']) await this.#upsertSummary(pull, result, check.url, docsUrl);
    if (config.github['inline-comments']) await this.#postInlineReview(pull, result, { max: config.github['max-inline-comments'], docsUrl });
  }

  async #upsertSummary(
    pull: { number: number; headSha: string },
    result: ReviewResult,
    checkRunUrl: string | undefined,
    docsUrl: string | undefined,
  ): Promise<void> {
    const issueNumber = pull.number;
    const comments = await this.#octokit.paginate(this.#octokit.rest.issues.listComments, {
      ...this.#repoParams,
      issue_number: issueNumber,
      per_page: 100,
    });
    // Only a bot's comment counts: a person quoting the summary must not have their comment overwritten.
    const existing = comments.find((c) => c.user?.type === 'Bot' && c.body?.includes(SUMMARY_MARKER));
    const body = renderMarkdown(result, {
      // A new push compares with the summary as it stands; a re-run of the same push keeps its delta.
      previous: previousHazards(existing?.body, pull.headSha),
      headSha: pull.headSha,
      checkRunUrl,
      docsUrl,
    });
    if (existing) {
      await this.#octokit.rest.issues.updateComment({ ...this.#repoParams, comment_id: existing.id, body });
    } else {
      await this.#octokit.rest.issues.createComment({ ...this.#repoParams, issue_number: issueNumber, body });
    }
  }

  async #postInlineReview(
    pull: { number: number; headSha: string; patches: Record<string, string> },
    result: ReviewResult,
    options: { max: number; docsUrl: string | undefined },
  ): Promise<void> {
    if (result.findings.length === 0) return;
    const posted = await this.#octokit.paginate(this.#octokit.rest.pulls.listReviewComments, {
      ...this.#repoParams,
      pull_number: pull.number,
      per_page: 100,
    });
    const alreadyPosted = new Set<string>();
    for (const comment of posted) for (const fingerprint of readCommentFingerprints(comment.body)) alreadyPosted.add(fingerprint);
    const { comments, capped } = inlineComments(result.findings, pull.patches, { alreadyPosted, max: options.max, docsUrl: options.docsUrl });
    if (comments.length === 0) return;
    const rest = capped.length
      ? ` ${capped.length === 1 ? '1 more finding is' : `${capped.length} more findings are`} in the summary comment and the check run's annotations.`
      : '';
    await this.#octokit.rest.pulls.createReview({
      ...this.#repoParams,
      pull_number: pull.number,
      commit_id: pull.headSha,
      event: 'COMMENT',
      body: `pgpro left ${comments.length === 1 ? '1 comment' : `${comments.length} comments`} on migration lines; the summary comment has the full report.${rest}`,
      comments,
    });
  }
}

/** One check run, from in progress to completed. Updates are sent one after another, in order. */
export class CheckRun {
  #chain: Promise<void> = Promise.resolve();
  #completed = false;
  /** Annotation batches already sent by completeWithResult (a retry continues after them). */
  #batchesSent = 0;
  #lastTitle: string | undefined;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repoParams: { owner: string; repo: string },
    readonly id: number,
    readonly url: string | undefined,
    private readonly now: () => number,
    private readonly log: Log | undefined,
  ) {}

  get completed(): boolean {
    return this.#completed;
  }

  /** Shows the current stage in the title. Best effort: a failed progress update never fails the review. */
  progress(title: string): void {
    if (this.#completed || title === this.#lastTitle) return;
    this.#lastTitle = title;
    this.#enqueue(async () => {
      if (this.#completed) return;
      try {
        await this.octokit.rest.checks.update({
          ...this.repoParams,
          check_run_id: this.id,
          output: { title, summary: 'pgpro is reviewing the migrations of this pull request.' },
        });
      } catch (error) {
        this.log?.warn({ err: error }, 'Could not update the check run progress');
      }
    });
  }

  /** Completes the check from a review: title with counts, markdown summary, annotations in batches of 50. */
  async completeWithResult(result: ReviewResult, options: { docsUrl?: string } = {}): Promise<void> {
    const output = checkRunOutput(result, { docsUrl: options.docsUrl });
    const batches = output.annotations.length > 0 ? output.annotations : [[]];
    await this.#enqueue(async () => {
      // A retried publish (a later step failed, or a batch did) must not complete the check twice or
      // send a batch again: GitHub appends annotations, so a resent batch would show twice.
      if (this.#completed) return;
      // GitHub appends annotations across updates; the last batch goes with the completion.
      for (const [index, annotations] of batches.entries()) {
        if (index < this.#batchesSent) continue;
        const last = index === batches.length - 1;
        const text = { title: output.title, summary: output.summary, ...(output.text ? { text: output.text } : {}) };
        await this.octokit.rest.checks.update({
          ...this.repoParams,
          check_run_id: this.id,
          ...(last ? { status: 'completed' as const, conclusion: output.conclusion, completed_at: this.#timestamp() } : {}),
          output: annotations.length > 0 ? { ...text, annotations } : text,
        });
        this.#batchesSent = index + 1;
      }
      this.#completed = true;
    });
  }

  /** Completes the check without a review result: no migrations, bad config, internal error, superseded. */
  async complete(conclusion: CheckConclusion, output: CheckOutput): Promise<void> {
    await this.#enqueue(async () => {
      await this.octokit.rest.checks.update({
        ...this.repoParams,
        check_run_id: this.id,
        status: 'completed',
        conclusion,
        completed_at: this.#timestamp(),
        output,
      });
      this.#completed = true;
    });
  }

  #timestamp(): string {
    return new Date(this.now()).toISOString();
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(step);
    this.#chain = next.catch(() => {});
    return next;
  }
}
