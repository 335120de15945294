// What `pgpro lint` reads: the named files (or every migration of the named directories, or of the
// current directory) and the earlier migrations of their sequences, whose DDL makes the static catalog.
// Only the directories that hold the named paths are listed, never the whole working tree.
import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { directoryTree } from '../migrations/tree.js';
import type { FileTree } from '../types.js';
import { UsageError } from './args.js';

/** Files that live one directory below their migration's own folder (prisma, diesel, sqitch). */
const NESTED = new Set(['migration.sql', 'up.sql', 'down.sql']);

export interface LintInput {
  root: string;
  tree: FileTree;
  /** Repo-relative paths named on the command line; empty when only directories were named. */
  files: string[];
  /** Directories whose migrations are all linted ('' for the root). */
  directories: string[];
  /**
   * Every directory listed (absolute), when their listings alone decided what `files`, `directories`
   * and the tree's paths are; undefined when a named path had to be told file or directory by a stat
   * of its own (a symbolic link), which a listing does not vouch for.
   */
  listed?: string[];
}

const toPosix = (path: string) => (sep === '/' ? path : path.split(sep).join('/'));

/** A path that `resolve` would change beyond joining: `.` or `..` segments, doubled or trailing slashes. */
const UNNORMALIZED = /(^|\/)\.\.?(\/|$)|\/\/|\/$|\\/;

/**
 * `resolve(base, path)` for a resolved `base`, by concatenation when `path` needs no normalizing: a
 * pre-commit hook names every staged file, and `resolve` costs more than the stat of the file.
 */
export function resolveFrom(base: string, path: string): string {
  if (sep !== '/' || path === '' || UNNORMALIZED.test(path)) return resolve(base, path);
  if (path.startsWith('/')) return path;
  return base === '/' ? `/${path}` : `${base}/${path}`;
}

// Synchronous: a pre-commit hook names every staged file, and one thread-pool round trip each adds up.
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Directory listings, each read once: a named path is told file or directory from its parent's listing
 * (the directory the walk lists anyway), not by a stat of its own; a hook names hundreds of files.
 */
class Listings {
  private readonly listed = new Map<string, { entries: Dirent[]; byName: Map<string, Dirent> } | null>();

  private list(directory: string) {
    let found = this.listed.get(directory);
    if (found === undefined) {
      try {
        const entries = readdirSync(directory, { withFileTypes: true });
        found = { entries, byName: new Map(entries.map((e) => [e.name, e])) };
      } catch {
        found = null;
      }
      this.listed.set(directory, found);
    }
    return found ?? undefined;
  }

  /** The entries of `directory` when it was listed already. */
  entries(directory: string): Dirent[] | undefined {
    return this.listed.get(join(directory))?.entries;
  }

  /** Every directory listed so far. */
  directories(): string[] {
    return [...this.listed.keys()];
  }

  /** Whether some path was told file or directory by a stat rather than by its parent's listing. */
  statted = false;

  kindOf(absolute: string): 'file' | 'directory' | undefined {
    const entry = this.list(dirname(absolute))?.byName.get(basename(absolute));
    if (entry?.isFile()) return 'file';
    if (entry?.isDirectory()) return 'directory';
    // A symbolic link, another kind of entry, or a name the listing spells differently: ask the file system.
    this.statted = true;
    const info = statOrUndefined(absolute);
    return info?.isDirectory() ? 'directory' : info ? 'file' : undefined;
  }
}

/** A migration read from stdin (`-`): the path it stands for, which need not exist on disk yet. */
export interface StdinFile {
  path: string;
  text: string;
}

export async function lintInput(cwd: string, paths: readonly string[], stdin?: StdinFile): Promise<LintInput> {
  if (!statOrUndefined(cwd)?.isDirectory()) throw new UsageError(`The directory ${cwd} does not exist.`);
  const named = (paths.length > 0 ? paths : ['.']).map((p) => (p === '-' && stdin ? stdin.path : p));
  const base = resolve(cwd);
  const stdinPath = stdin ? resolve(cwd, stdin.path) : undefined;
  const absolutes = named.map((p) => resolveFrom(base, p));
  const root = commonRoot(base, absolutes);
  const listing = new Listings();
  const files: string[] = [];
  const directories: string[] = [];
  const scopes = new Set<string>();
  for (const [i, p] of named.entries()) {
    const absolute = absolutes[i]!;
    const rel = toPosix(relativeTo(root, absolute));
    const kind = absolute === stdinPath ? undefined : listing.kindOf(absolute);
    if (!kind && absolute !== stdinPath) throw new UsageError(`${p} does not exist.`);
    if (kind === 'directory') {
      directories.push(rel);
      scopes.add(rel);
      continue;
    }
    files.push(rel);
    const parent = dirname(rel);
    const scope = NESTED.has(basename(rel)) ? dirname(parent) : parent;
    scopes.add(scope === '.' ? '' : scope);
  }
  const walked: string[] = [];
  const tree = await directoryTree(root, [...scopes], (directory) => {
    walked.push(directory);
    return listing.entries(directory) ?? readdirSync(directory, { withFileTypes: true });
  });
  const listed = listing.statted ? undefined : [...new Set([...listing.directories(), ...walked.map((d) => join(d))])];
  return {
    root,
    tree: stdinPath ? withFile(tree, toPosix(relative(root, stdinPath)), stdin!.text) : tree,
    files,
    directories,
    ...(listed ? { listed } : {}),
  };
}

/** The root `lintInput` reports paths relative to, from the arguments alone (nothing is read). */
export function lintRoot(cwd: string, paths: readonly string[]): string {
  const named = paths.length > 0 ? paths : ['.'];
  const base = resolve(cwd);
  return commonRoot(base, named.map((p) => resolveFrom(base, p)));
}

/** The tree with `path` holding `text` (added when it is not on disk). */
export function withFile(tree: FileTree, path: string, text: string): FileTree {
  const paths = tree.paths.includes(path) ? tree.paths : [...tree.paths, path].sort();
  return { paths, read: async (p) => (p === path ? text : tree.read(p)) };
}

/**
 * The directory paths in the report are relative to: the working directory, or, when a named path lies
 * outside it (a linter handed absolute paths), the deepest directory holding every named path.
 */
function commonRoot(cwd: string, absolutes: string[]): string {
  if (absolutes.every((a) => !relativeTo(cwd, a).startsWith('..'))) return cwd;
  let root = dirname(absolutes[0]!);
  while (absolutes.some((a) => relativeTo(root, a).startsWith('..')) && dirname(root) !== root) root = dirname(root);
  return root;
}

/**
 * `relative(from, to)` for absolute paths, by slicing when `to` lies under `from` as spelled (the usual
 * case, hundreds of times per run) instead of normalizing both.
 */
function relativeTo(from: string, to: string): string {
  const prefix = from.endsWith(sep) ? from : `${from}${sep}`;
  if (to.startsWith(prefix)) {
    const rest = to.slice(prefix.length);
    if (!rest.startsWith('..')) return rest;
  }
  return to === from ? '' : relative(from, to);
}
