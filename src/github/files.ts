import type { GitHubClient, PullRef } from './client.js';

export interface ChangedFiles {
  /** Added, modified, renamed or copied paths (not removed ones): the ChangeSet's `changed`. */
  changed: string[];
  /** Removed paths: a deleted migration the base branch applied is reviewed too (removed-applied-migration). */
  removed: string[];
  /** Unified diff hunks per path, for inline comments. Absent for binary or very large files. */
  patches: Record<string, string>;
  /** GitHub lists at most 3000 files of a pull request. */
  truncated: boolean;
}

/** GitHub's cap on `pulls.listFiles`. */
export const MAX_LISTED_FILES = 3000;

export async function listChangedFiles(octokit: GitHubClient, pull: PullRef, changedFiles?: number): Promise<ChangedFiles> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
    owner: pull.owner,
    repo: pull.repo,
    pull_number: pull.pullNumber,
    per_page: 100,
  });
  const changed: string[] = [];
  const removed: string[] = [];
  const patches: Record<string, string> = {};
  for (const file of files) {
    if (file.status === 'removed') {
      removed.push(file.filename);
      continue;
    }
    changed.push(file.filename);
    if (file.patch !== undefined) patches[file.filename] = file.patch;
  }
  const truncated = files.length >= MAX_LISTED_FILES || (changedFiles !== undefined && changedFiles > files.length);
  return { changed, removed, patches, truncated };
}
