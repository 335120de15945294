// FileTree implementations: a folder on disk and an in-memory map.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileTree } from '../types.js';

const SKIPPED_DIRS = new Set(['node_modules', '.git']);

/**
 * Every file under `root` (recursively, POSIX paths relative to it), skipping node_modules and .git; or,
 * given `under` (directories relative to `root`, '' for the root itself), every file under those only,
 * each listed once however the directories nest.
 */
export async function directoryTree(root: string, under: readonly string[] = ['']): Promise<FileTree> {
  const outermost = new Set(under.filter((s) => !under.some((o) => o !== s && (o === '' || s.startsWith(`${o}/`)))));
  const paths: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(root, relative), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
        if (entry.isDirectory()) {
          if (!SKIPPED_DIRS.has(entry.name)) await walk(path);
        } else if (entry.isFile()) paths.push(path);
      }),
    );
  };
  await Promise.all([...outermost].map(walk));
  paths.sort();
  const known = new Set(paths);
  return {
    paths,
    async read(path) {
      if (!known.has(path)) return undefined;
      try {
        return decodeText(await readFile(join(root, ...path.split('/'))));
      } catch {
        return undefined;
      }
    },
  };
}

/** A tree over an in-memory map of path → contents. */
export function memoryTree(files: Record<string, string>, id?: string): FileTree {
  const paths = Object.keys(files).sort();
  const tree: FileTree = {
    paths,
    read: async (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
  };
  if (id !== undefined) tree.id = id;
  return tree;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/**
 * Decodes UTF-8 (dropping a BOM). Invalid UTF-8 decodes lossily, so the replacement characters it
 * leaves let a reader tell the file was not text (see `looksBinary`).
 */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return lossy.decode(bytes);
  }
}

/** True for text that holds NUL bytes or U+FFFD from a failed UTF-8 decode. */
export function looksBinary(text: string): boolean {
  return text.includes('\u0000') || text.includes('\ufffd');
}
