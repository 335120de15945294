import type { Context } from 'probot';

/** The authenticated installation client handed to a webhook handler. */
export type GitHubClient = Context['octokit'];

/** The repository and pull request a job works on. */
export interface PullRef {
  owner: string;
  repo: string;
  pullNumber: number;
}
