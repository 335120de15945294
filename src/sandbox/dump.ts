// The sandbox's data directory as a plain tar, for snapshot(). PGlite's own dumpDataDir copies every
// file (readFile), then builds the tar from the copies, then copies that into a Blob, which the worker
// then copies out again: about four times the data directory at once, in array buffers no bound saw
// (they are neither Postgres' heap, nor its files, nor the worker's V8 heap). Here the tar is one array
// of its exact size, filled straight from the files, so a dump takes one copy, and that copy is
// reserved against the sandbox's memory bound before it is made (memory-bound.ts) until it leaves the
// worker. The archive is the one PGlite writes (same entries, names, header layout), so PGlite loads it
// as its own; only the header's access and creation times, which nothing reads, are left empty.

const RECORD = 512;
/** Where PGlite keeps its data directory in its file system. */
export const PGLITE_DATA_DIR = '/pglite/data';

export interface DumpFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number; mtime: Date };
  isFile(mode: number): boolean;
  isDir(mode: number): boolean;
  lookupPath(path: string, options?: object): { node: { contents?: unknown; usedBytes?: number } };
  readFile(path: string, options: { encoding: 'binary' }): Uint8Array;
}

interface Entry {
  name: string;
  mode: number;
  mtime: Date;
  directory: boolean;
  data: Uint8Array;
}

/** Every file and directory under `root`, depth first as PGlite lists them; file data are views, not copies. */
function entriesOf(fs: DumpFs, root: string): Entry[] {
  const entries: Entry[] = [];
  const visit = (dir: string): void => {
    for (const name of fs.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const path = `${dir}/${name}`;
      const { mode, mtime } = fs.stat(path);
      const file = fs.isFile(mode);
      entries.push({ name: path.substring(root.length), mode, mtime, directory: !file, data: file ? contentsOf(fs, path) : new Uint8Array(0) });
      if (fs.isDir(mode)) visit(path);
    }
  };
  visit(root);
  return entries;
}

/** A MEMFS file's bytes as a view on its storage; a copy only for storage of another kind. */
function contentsOf(fs: DumpFs, path: string): Uint8Array {
  const node = fs.lookupPath(path).node;
  if (node.contents instanceof Uint8Array && typeof node.usedBytes === 'number') return node.contents.subarray(0, node.usedBytes);
  return fs.readFile(path, { encoding: 'binary' });
}

const padded = (bytes: number): number => Math.ceil(bytes / RECORD) * RECORD;

/** The tar's size: a header and the padded data per entry, and two empty records at the end. */
export function tarSize(fs: DumpFs, root = PGLITE_DATA_DIR): number {
  return entriesOf(fs, root).reduce((total, e) => total + RECORD + padded(e.data.length), 2 * RECORD);
}

/**
 * The data directory under `root` as a tar. `reserve` is told the archive's size before it is
 * allocated, and may refuse by throwing.
 */
export function dumpDataDir(fs: DumpFs, reserve: (bytes: number) => void, root = PGLITE_DATA_DIR): Uint8Array {
  const entries = entriesOf(fs, root);
  const size = entries.reduce((total, e) => total + RECORD + padded(e.data.length), 2 * RECORD);
  reserve(size);
  // Shared memory: the archive goes to the main thread and back to a worker to be restored (the fix
  // proofs, the rehearsals) without a copy each way. Structured clone of a plain ~40 MB array costs a
  // copy on each side, ~0.2 s of a lone file's review; a shared one is only referenced.
  const tar = new Uint8Array(new SharedArrayBuffer(size));
  let offset = 0;
  for (const entry of entries) {
    writeHeader(tar, offset, entry);
    offset += RECORD;
    tar.set(entry.data, offset);
    offset += padded(entry.data.length);
  }
  return tar;
}

/** A string field: at most width - 1 characters, NUL-terminated. */
function text(value: string, width: number): string {
  return `${value.substring(0, width - 1)}\0`;
}

/** A number field: width - 1 octal digits, zero-padded, NUL-terminated. */
function octal(value: number, width: number): string {
  return `${Math.max(0, Math.floor(value)).toString(8).slice(-(width - 1)).padStart(width - 1, '0')}\0`;
}

function put(tar: Uint8Array, at: number, value: string): void {
  for (let i = 0; i < value.length; i++) tar[at + i] = value.charCodeAt(i) & 0xff;
}

/** The ustar header PGlite's archiver writes (name, mode, ids, size, time, type, magic; no prefix). */
function writeHeader(tar: Uint8Array, at: number, entry: Entry): void {
  const permissions = entry.mode & 0o777;
  put(tar, at, text(entry.name, 100));
  put(tar, at + 100, octal(permissions || 0o777, 8));
  put(tar, at + 108, octal(0, 8));
  put(tar, at + 116, octal(0, 8));
  put(tar, at + 124, octal(entry.data.length, 12));
  put(tar, at + 136, octal(entry.mtime.getTime() / 1000, 12));
  put(tar, at + 148, '        ');
  put(tar, at + 156, entry.directory ? '5' : '0');
  put(tar, at + 157, '\0');
  put(tar, at + 257, 'ustar\u000000');
  put(tar, at + 265, '\0');
  put(tar, at + 297, '\0');
  put(tar, at + 345, '\0');
  let sum = 0;
  for (let i = at; i < at + 500; i++) sum = (sum + tar[i]!) % 262144;
  put(tar, at + 148, `${octal(sum, 6)}\0 `);
}
