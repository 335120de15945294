// File trees of a corpus entry: the whole extracted history, and the base/head pair of a pull request
// that adds one of its migrations.
import { dirname } from 'node:path/posix';
import { directoryTree } from '../../src/migrations/tree.js';
import type { FileTree, MigrationFile } from '../../src/types.js';
import { renderText, type CorpusEntry } from './manifest.js';

/** The entry's folder as a tree, with its `render` replacements applied to every file read. */
export async function entryTree(entry: CorpusEntry, dir: string): Promise<FileTree> {
  const tree = await directoryTree(dir);
  if (entry.render.length === 0) return tree;
  return { paths: tree.paths, read: async (path) => {
    const text = await tree.read(path);
    return text === undefined ? undefined : renderText(entry, text);
  } };
}

export function subtree(tree: FileTree, keep: (path: string) => boolean): FileTree {
  const paths = tree.paths.filter(keep);
  const known = new Set(paths);
  return { paths, read: (path) => (known.has(path) ? tree.read(path) : Promise.resolve(undefined)) };
}

/** Every path that belongs to one migration: its folder (Prisma, diesel), or its file, down file and Flyway .conf. */
export function ownedPaths(migration: MigrationFile, allPaths: readonly string[]): string[] {
  if (migration.convention === 'prisma' || migration.convention === 'diesel') {
    const folder = `${dirname(migration.path)}/`;
    return allPaths.filter((p) => p.startsWith(folder));
  }
  const own = new Set([migration.path, `${migration.path}.conf`, ...(migration.down ? [migration.down.path] : [])]);
  return allPaths.filter((p) => own.has(p));
}

/**
 * The pull request that adds `ordered[index]`: base holds every file except those of that migration and
 * the ones after it; head is base plus that migration's files; changed lists those files.
 */
export function pullRequestTrees(
  tree: FileTree,
  ordered: readonly MigrationFile[],
  index: number,
): { base: FileTree; head: FileTree; changed: string[] } {
  const later = new Set(ordered.slice(index).flatMap((m) => ownedPaths(m, tree.paths)));
  const added = ownedPaths(ordered[index]!, tree.paths);
  const addedSet = new Set(added);
  return {
    base: subtree(tree, (p) => !later.has(p)),
    head: subtree(tree, (p) => !later.has(p) || addedSet.has(p)),
    changed: added,
  };
}
