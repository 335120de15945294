import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FileTree } from '../types.js';

const run = promisify(execFile);

/** An error from git that the user can act on (bad ref, not a repository). */
export class GitError extends Error {
  override name = 'GitError';
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new GitError(`git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

export async function gitTopLevel(cwd: string): Promise<string> {
  return (await git(cwd, ['rev-parse', '--show-toplevel'])).trim();
}

/** The tree of a commit, read with git itself: paths at once, contents on demand. */
export async function gitTree(cwd: string, ref: string): Promise<FileTree> {
  const treeId = (await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{tree}`]).catch(() => {
    throw new GitError(`"${ref}" is not a commit in this repository.`);
  })).trim();
  const paths = (await git(cwd, ['ls-tree', '-r', '-z', '--name-only', treeId])).split('\0').filter(Boolean);
  const known = new Set(paths);
  return {
    id: treeId,
    paths,
    async read(path) {
      if (!known.has(path)) return undefined;
      return git(cwd, ['cat-file', 'blob', `${treeId}:${path}`]);
    },
  };
}
