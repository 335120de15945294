import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Characters of one file's diff kept for the review's context; the rest is cut. */
const MAX_PATCH_CHARS = 20_000;

/**
 * The unified-diff hunks of every file that differs between `ref` and the working tree (tracked files,
 * plus untracked ones as additions), by repo-relative path: what GitHub shows as a pull request's patches.
 */
export async function gitPatches(cwd: string, ref: string): Promise<Record<string, string>> {
  const patches: Record<string, string> = {};
  const diff = await git(cwd, ['diff', '--no-color', '--no-ext-diff', '--no-renames', '-U3', ref, '--']);
  let path: string | undefined;
  let hunks: string[] = [];
  const flush = () => {
    if (path !== undefined && hunks.length > 0) patches[path] = clipPatch(hunks.join('\n').replace(/\n+$/, ''));
    hunks = [];
  };
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      flush();
      path = undefined;
      continue;
    }
    if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      path = target === '/dev/null' ? undefined : target.replace(/^b\//, '');
      continue;
    }
    if (path !== undefined && (line.startsWith('@@') || hunks.length > 0)) hunks.push(line);
  }
  flush();
  const untracked = (await git(cwd, ['ls-files', '--others', '--exclude-standard', '-z'])).split('\0').filter(Boolean);
  for (const file of untracked) {
    const content = await readFile(join(cwd, file), 'utf8').catch(() => undefined);
    if (content === undefined || content.includes('\0')) continue; // unreadable or binary
    const lines = content.split('\n');
    if (content.endsWith('\n')) lines.pop();
    patches[file] = clipPatch(`@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}`);
  }
  return patches;
}

function clipPatch(patch: string): string {
  return patch.length <= MAX_PATCH_CHARS ? patch : `${patch.slice(0, MAX_PATCH_CHARS)}\n… [diff cut at ${MAX_PATCH_CHARS} characters]`;
}
