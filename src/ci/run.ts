// `pgpro ci`: the GitHub Action's entry. On a pull_request event it reviews the pull request's base..head
// in the checked-out repository, writes the summary to the job summary, posts or updates the one sticky
// summary comment with the token it is given, prints annotations, and writes SARIF for upload.
import { appendFile, readFile } from 'node:fs/promises';
import type { ReviewResult } from '../types.js';
import { previousHazards, renderMarkdown, SUMMARY_MARKER } from '../report/markdown.js';
import { findComment, upsertComment, type GithubApi } from './github-api.js';

export interface PullRequestContext {
  number: number;
  baseSha: string;
  headSha: string;
}

/** The pull request of the event GitHub Actions describes in GITHUB_EVENT_PATH. */
export async function pullRequestOf(env: NodeJS.ProcessEnv): Promise<PullRequestContext | undefined> {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as {
    pull_request?: { number: number; base: { sha: string }; head: { sha: string } };
  };
  const pull = event.pull_request;
  return pull ? { number: pull.number, baseSha: pull.base.sha, headSha: pull.head.sha } : undefined;
}

export interface PublishOutcome {
  comment?: 'created' | 'updated';
  summary: boolean;
}

/** The job summary and the sticky comment; a failure to comment is the caller's to report, not fatal. */
export async function publishToPullRequest(result: ReviewResult, pull: PullRequestContext | undefined, env: NodeJS.ProcessEnv, token: string | undefined): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { summary: false };
  const api: GithubApi | undefined =
    token && env.GITHUB_REPOSITORY ? { baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com', token, repository: env.GITHUB_REPOSITORY } : undefined;
  const existing = api && pull ? await findComment(api, pull.number, SUMMARY_MARKER) : undefined;
  const body = renderMarkdown(result, {
    ...(pull ? { headSha: pull.headSha } : {}),
    ...withPrevious(previousHazards(existing?.body, pull?.headSha)),
  });
  if (env.GITHUB_STEP_SUMMARY) {
    await appendFile(env.GITHUB_STEP_SUMMARY, `${body}\n`);
    outcome.summary = true;
  }
  if (api && pull) outcome.comment = await upsertComment(api, pull.number, existing, body);
  return outcome;
}

const withPrevious = (previous: string[] | undefined) => (previous ? { previous } : {});
