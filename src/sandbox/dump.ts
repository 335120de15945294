// The sandbox's data directory as a plain tar, for snapshot(). PGlite's own dumpDataDir copies every
// file (readFile), then builds the tar from the copies, then copies that into a Blob, which the worker
// then copies out again: about four times the data directory at once, in array buffers no bound saw
// (they are neither Postgres' heap, nor its files, nor the worker's V8 heap). Here the tar is one array
// of its exact size, filled straight from the files, so a dump takes one copy, and that copy is
// reserved against the sandbox's memory bound before it is made (memory-bound.ts) until it leaves the
// worker. The archive is the one PGlite writes (same entries, names, header layout), so PGlite loads it
// as its own; only the header's access and creation times, which nothing reads, are left empty.
//
// Given the extent of the write-ahead log a restore reads (walExtent), the archive leaves out the rest:
// a restored instance starts by redoing the log from its last checkpoint's redo point to the log's end,
// and reads nothing before or after. Segments wholly outside that range (old ones a checkpoint recycled
// as future segments keep their stale contents: 16 MB that gzip barely shrinks) are not archived, and a
// segment inside it keeps its first page (its header, which recovery validates) and the range itself,
// the rest archived as zeros, as Postgres initialises a new segment. Postgres makes missing future
// segments when the log reaches them.

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
  /** Byte ranges of `data` archived; the rest is archived as zeros. All of it when absent. */
  keep?: [number, number][];
}

/** The write-ahead log a restore reads: from the redo point of the last checkpoint to the end of the log. */
export interface WalExtent {
  timeline: number;
  segmentBytes: number;
  pageBytes: number;
  /** LSNs, as byte positions in the log. */
  redo: bigint;
  end: bigint;
}

/** Every file and directory under `root`, depth first as PGlite lists them; file data are views, not copies. */
function entriesOf(fs: DumpFs, root: string, wal?: WalExtent): Entry[] {
  const entries: Entry[] = [];
  const visit = (dir: string): void => {
    for (const name of fs.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const path = `${dir}/${name}`;
      const { mode, mtime } = fs.stat(path);
      const file = fs.isFile(mode);
      const entry: Entry = { name: path.substring(root.length), mode, mtime, directory: !file, data: file ? contentsOf(fs, path) : new Uint8Array(0) };
      const keep = file && wal && dir === `${root}/pg_wal` ? walRanges(name, entry.data.length, wal) : undefined;
      if (keep?.length === 0) continue;
      if (keep) entry.keep = keep;
      entries.push(entry);
      if (fs.isDir(mode)) visit(path);
    }
  };
  visit(root);
  return entries;
}

/**
 * The log a restore reads, asked of the instance: from the last checkpoint's redo point to the end of
 * the log. None while a replication slot exists, which may need older log kept.
 */
export async function walExtent(db: { query<T>(sql: string): Promise<{ rows: T[] }> }): Promise<WalExtent | undefined> {
  const { rows } = await db.query<{ timeline: number; segment: string; page: string; redo: string; end: string; slots: number }>(
    `SELECT c.timeline_id AS timeline, current_setting('wal_block_size') AS page,
       (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment,
       c.redo_lsn - '0/0'::pg_lsn AS redo, pg_current_wal_insert_lsn() - '0/0'::pg_lsn AS "end",
       (SELECT count(*)::int FROM pg_replication_slots) AS slots
     FROM pg_control_checkpoint() c`,
  );
  const row = rows[0];
  if (!row || row.slots > 0) return undefined;
  return { timeline: row.timeline, segmentBytes: Number(row.segment), pageBytes: Number(row.page), redo: BigInt(row.redo), end: BigInt(row.end) };
}

const SEGMENT_NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

/**
 * The byte ranges of a pg_wal file that a restore reads: none for a segment outside the extent, its
 * first page and its part of the extent for one inside, undefined (all of it) for any other file.
 */
export function walRanges(name: string, size: number, wal: WalExtent): [number, number][] | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (!match || Number.parseInt(match[1]!, 16) !== wal.timeline || size !== wal.segmentBytes) return undefined;
  const perLogId = 0x1_0000_0000n / BigInt(wal.segmentBytes);
  const start = (BigInt(Number.parseInt(match[2]!, 16)) * perLogId + BigInt(Number.parseInt(match[3]!, 16))) * BigInt(wal.segmentBytes);
  const page = BigInt(wal.pageBytes);
  // Whole pages: from the one the redo point is on to the one the log ends on.
  const from = (wal.redo / page) * page;
  const to = ((wal.end + page - 1n) / page) * page;
  const segmentEnd = start + BigInt(wal.segmentBytes);
  if (segmentEnd <= from || start >= to) return [];
  const first = Number((from > start ? from : start) - start);
  const last = Number((to < segmentEnd ? to : segmentEnd) - start);
  return first <= wal.pageBytes ? [[0, last]] : [[0, wal.pageBytes], [first, last]];
}

/** A MEMFS file's bytes as a view on its storage; a copy only for storage of another kind. */
function contentsOf(fs: DumpFs, path: string): Uint8Array {
  const node = fs.lookupPath(path).node;
  if (node.contents instanceof Uint8Array && typeof node.usedBytes === 'number') return node.contents.subarray(0, node.usedBytes);
  return fs.readFile(path, { encoding: 'binary' });
}

const padded = (bytes: number): number => Math.ceil(bytes / RECORD) * RECORD;

/** The tar's size: a header and the padded data per entry, and two empty records at the end. */
export function tarSize(fs: DumpFs, root = PGLITE_DATA_DIR, wal?: WalExtent): number {
  return entriesOf(fs, root, wal).reduce((total, e) => total + RECORD + padded(e.data.length), 2 * RECORD);
}

/**
 * The data directory under `root` as a tar. `reserve` is told the archive's size before it is
 * allocated, and may refuse by throwing. With `wal`, only that extent of the log is archived.
 */
export function dumpDataDir(fs: DumpFs, reserve: (bytes: number) => void, root = PGLITE_DATA_DIR, wal?: WalExtent): Uint8Array {
  const entries = entriesOf(fs, root, wal);
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
    if (!entry.keep) tar.set(entry.data, offset);
    // The array is zeros to begin with.
    else for (const [from, to] of entry.keep) tar.set(entry.data.subarray(from, to), offset + from);
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
