import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { directoryTree } from '../migrations/tree.js';
import type { ChangeSet, FileTree } from '../types.js';
import { gitPatches, gitTopLevel, gitTree } from './git.js';
import { UsageError } from './args.js';
import { withFile, type StdinFile } from './lint-input.js';

/** Files that live one directory below their migration's own folder (prisma, diesel, sqitch). */
const NESTED = new Set(['migration.sql', 'up.sql', 'down.sql']);

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function restrict(tree: FileTree, prefixes: string[]): FileTree {
  if (prefixes.includes('')) return tree;
  const paths = tree.paths.filter((p) => prefixes.some((prefix) => p.startsWith(`${prefix}/`)));
  return { ...(tree.id ? { id: tree.id } : {}), paths, read: (path) => tree.read(path) };
}

/**
 * Builds the change to review from the command line:
 * - `--base <ref>`: head is the working tree at the repository root, base is the ref's tree;
 * - paths: named files are new, their siblings history; a named directory is all new;
 * - neither: everything under cwd is new.
 * The path `-` is `stdin`: a migration (an editor's unsaved buffer) standing at `stdin.path`, which need not
 * exist on disk; it is new, like a named file.
 * Returns the root that paths in the result are relative to.
 */
export async function localChangeSet(
  cwd: string,
  paths: string[],
  baseRef: string | undefined,
  stdin?: StdinFile,
): Promise<{ change: ChangeSet; root: string }> {
  if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) throw new UsageError(`The directory ${cwd} does not exist.`);
  const stdinPath = stdin ? resolve(cwd, stdin.path) : undefined;
  if (baseRef !== undefined) {
    const root = await gitTopLevel(cwd);
    const [onDisk, base] = await Promise.all([directoryTree(root), gitTree(root, baseRef)]);
    const head = stdin ? withFile(onDisk, inside(root, stdinPath!, stdin.path), stdin.text) : onDisk;
    // The whole change's diff, for the Claude review to judge deploy ordering; without it the review still runs.
    const patches = await gitPatches(root, baseRef).catch(() => undefined);
    const extra = patches ? { patches } : {};
    if (paths.length === 0) return { change: { head, base, ...extra }, root };
    // The stdin file stands for its migration directory (its convention's scope), as a named file does.
    const prefixes = paths.map((p) => (p === '-' ? scopeOf(inside(root, stdinPath!, stdin!.path)) : toPosix(relative(root, resolve(cwd, p)))));
    return { change: { head: restrict(head, prefixes), base: restrict(base, prefixes), ...extra }, root };
  }
  const root = resolve(cwd);
  const onDisk = await directoryTree(root);
  const head = stdin ? withFile(onDisk, inside(root, stdinPath!, stdin.path), stdin.text) : onDisk;
  if (paths.length === 0) return { change: { head }, root };

  const prefixes: string[] = [];
  const changed: string[] = [];
  let allNew = false;
  for (const p of paths) {
    if (p === '-' && stdin) {
      const rel = inside(root, stdinPath!, stdin.path);
      prefixes.push(scopeOf(rel));
      changed.push(rel);
      continue;
    }
    const absolute = isAbsolute(p) ? p : resolve(root, p);
    const rel = toPosix(relative(root, absolute));
    if (rel.startsWith('..')) throw new UsageError(`${p} is outside ${root}; run pgpro from a directory that contains it (or use --cwd).`);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) throw new UsageError(`${p} does not exist.`);
    if (info.isDirectory()) {
      prefixes.push(rel === '' ? '' : rel);
      allNew = true;
      continue;
    }
    prefixes.push(scopeOf(rel));
    changed.push(rel);
  }
  const scoped = restrict(head, prefixes);
  if (allNew && changed.length === 0) return { change: { head: scoped }, root };
  if (allNew) {
    throw new UsageError('Name either migration files (they are new, their siblings are history) or directories (all new), not both.');
  }
  return { change: { head: scoped, changed }, root };
}

/** The directory whose migrations are a named file's history: its own, or its parent's for nested layouts. */
function scopeOf(rel: string): string {
  const parent = dirname(rel);
  const scope = NESTED.has(basename(rel)) ? dirname(parent) : parent;
  return scope === '.' ? '' : scope;
}

/** The stdin file's path relative to `root`; it must lie inside it. */
function inside(root: string, absolute: string, given: string): string {
  const rel = toPosix(relative(root, absolute));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new UsageError(`--stdin-filepath ${given} is outside ${root}; run pgpro from a directory that contains it (or use --cwd).`);
  }
  return rel;
}
