import { fileURLToPath } from 'node:url';
import { directoryTree, memoryTree as memory } from '../../src/migrations/tree.js';
import type { FileTree } from '../../src/types.js';

export function memoryTree(files: Record<string, string>): FileTree {
  return memory(files);
}

/** A FileTree over a folder; relative roots resolve against the repository's test/ folder. */
export function dirTree(root: string): Promise<FileTree> {
  return directoryTree(root.startsWith('/') ? root : fileURLToPath(new URL(`../${root}`, import.meta.url)));
}

/** The FileTree of test/fixtures/migrations/<name>. */
export function fixtureTree(name: string): Promise<FileTree> {
  return dirTree(`fixtures/migrations/${name}`);
}
