import { execFile, spawn } from 'node:child_process';
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
  const batch = blobBatcher(cwd, treeId);
  return {
    id: treeId,
    paths,
    async read(path) {
      if (!known.has(path)) return undefined;
      // A name git's batch protocol cannot carry on one line: asked for on its own.
      if (path.includes('\n')) return git(cwd, ['cat-file', 'blob', `${treeId}:${path}`]);
      return batch(path);
    },
  };
}

/**
 * Reads of one tree gathered over a turn of the event loop and answered by one `git cat-file --batch`:
 * discovery reads every migration of the base at once, and a process per file (hundreds for a long
 * history, each up and down file) cost seconds on a loaded machine.
 */
function blobBatcher(cwd: string, treeId: string): (path: string) => Promise<string> {
  let waiting: { path: string; resolve: (text: string) => void; reject: (error: Error) => void }[] = [];
  const flush = (): void => {
    const requests = waiting;
    waiting = [];
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    let failure: Error | undefined;
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => (failure = error));
    child.on('close', (code) => {
      const fail = (why: string) => new GitError(`git cat-file --batch failed${why ? `: ${why}` : ''}`);
      if (failure || code !== 0) {
        for (const r of requests) r.reject(fail(failure?.message ?? stderr.trim()));
        return;
      }
      const out = Buffer.concat(chunks);
      let at = 0;
      for (const r of requests) {
        const eol = out.indexOf(0x0a, at);
        const header = eol === -1 ? '' : out.toString('utf8', at, eol);
        const [, type, size] = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header) ?? [];
        if (type === undefined || size === undefined) {
          // "<name> missing" (or ambiguous): one line, no content.
          if (eol === -1) at = out.length;
          else at = eol + 1;
          r.reject(new GitError(`git cat-file blob ${treeId}:${r.path} failed: ${header || 'no answer'}`));
          continue;
        }
        const start = eol + 1;
        const end = start + Number(size);
        at = end + 1;
        if (type !== 'blob') r.reject(new GitError(`git cat-file blob ${treeId}:${r.path} failed: it is a ${type}`));
        else r.resolve(out.toString('utf8', start, end));
      }
    });
    child.stdin.end(requests.map((r) => `${treeId}:${r.path}\n`).join(''));
  };
  return (path) =>
    new Promise((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ path, resolve, reject });
    });
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
