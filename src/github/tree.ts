import type { FileTree } from '../types.js';
import type { GitHubClient } from './client.js';
import { limiter } from './limit.js';

export interface GitTreeOptions {
  owner: string;
  repo: string;
  /** A commit or tree sha. */
  sha: string;
  /** Blob downloads in flight at once. */
  concurrency?: number;
  /**
   * Shared between the base and head trees of one review: a migration unchanged between them has the
   * same blob sha and is downloaded once.
   */
  blobCache?: Map<string, Promise<string>>;
}

/**
 * A FileTree over the GitHub API: one recursive tree listing for the paths, blob contents fetched only
 * when read (the review reads just the migration files, and none at all when the base snapshot is cached
 * under the tree sha, which is the tree's `id`).
 */
export async function gitFileTree(octokit: GitHubClient, options: GitTreeOptions): Promise<FileTree> {
  const { owner, repo, sha } = options;
  const { data } = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: 'true' });
  if (data.truncated) {
    throw new Error(
      `The git tree of ${owner}/${repo}@${sha.slice(0, 7)} is too large for one GitHub API listing (truncated).`,
    );
  }
  const blobs = new Map<string, string>();
  for (const entry of data.tree) {
    // Submodules (commit) and directories (tree) have no content to read.
    if (entry.type === 'blob' && entry.path && entry.sha) blobs.set(entry.path, entry.sha);
  }
  const limit = limiter(options.concurrency ?? 4);
  const contents = options.blobCache ?? new Map<string, Promise<string>>();
  return {
    id: data.sha,
    paths: [...blobs.keys()],
    read(path: string): Promise<string | undefined> {
      const blobSha = blobs.get(path);
      if (blobSha === undefined) return Promise.resolve(undefined);
      let content = contents.get(blobSha);
      if (!content) {
        content = limit(async () => {
          const blob = await octokit.rest.git.getBlob({ owner, repo, file_sha: blobSha });
          return Buffer.from(blob.data.content, blob.data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
        });
        // A failed download may be retried by a later read.
        content.catch(() => contents.delete(blobSha));
        contents.set(blobSha, content);
      }
      return content;
    },
  };
}
