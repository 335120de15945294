// A PGlite started from a data-directory archive (gzipped or plain tar), unpacked straight into its
// file system. PGlite's loadDataDir holds the archive several times over at once: the caller's bytes, a
// Blob of them, the Blob's arrayBuffer, a slice per file, then MEMFS's own copy of each slice; and the
// caller had gunzipped it whole first. Here the gzip is inflated as a stream and each file's bytes are
// gathered into one array of the file's size, which MEMFS then owns: at any moment the archive is held
// once compressed plus the files themselves (what the instance holds anyway) and the inflated bytes not
// unpacked yet: one chunk, or up to AHEAD_BYTES inflated while PGlite instantiates, before its file
// system exists. The files land where loadDataDir puts them, with its times and modes, before PGlite looks for
// PG_VERSION; PGlite then starts on them as on any existing data directory.
import { MemoryFS } from '@electric-sql/pglite';
import { createGunzip } from 'node:zlib';
import { isGzip } from './cluster.js';

const RECORD = 512;
/**
 * Inflated bytes handed over at a time. Each chunk is one job on the thread pool, and the next starts
 * only once this thread has taken it: while PGlite instantiates (this thread busy), larger chunks
 * inflate more ahead (256 KB: ~50 ms more of a warm review's restore).
 */
const CHUNK = 2 * 1024 * 1024;
/** Where PGlite keeps its data directory in its file system. */
const PGLITE_DATA_DIR = '/pglite/data';

/** The part of Emscripten's FS the extraction uses. */
export interface ExtractFs {
  analyzePath(path: string): { exists: boolean };
  mkdirTree(path: string): void;
  writeFile(path: string, data: Uint8Array, options: { canOwn: boolean }): void;
  utime(path: string, atime: number, mtime: number): void;
}

/** The block a file's bytes are skipped in when all zero: the kernel's page. */
const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);

/**
 * Copies `length` bytes of `from` at `at` into `to` at `offset`, leaving out the pages of `to` whose
 * bytes would all be zero: `to` is new (all zero), and a page no one writes is never made resident.
 * A page the process touches first, read or written, costs the kernel a fault and a zeroed page; the
 * zeros of a data directory (a WAL segment's unused tail, relations' empty pages) were a third of a
 * warm review's restored bytes, touched twice over for nothing (issue 14).
 */
function copyNonZero(from: Uint8Array, at: number, length: number, to: Uint8Array, offset: number): void {
  const source = Buffer.from(from.buffer, from.byteOffset + at, length);
  let done = 0;
  while (done < length) {
    // Up to the next page boundary of the file being written.
    const n = Math.min(length - done, PAGE - ((offset + done) % PAGE));
    if (ZERO_PAGE.compare(source, done, done + n, 0, n) !== 0) to.set(source.subarray(done, done + n), offset + done);
    done += n;
  }
}

/** A NUL-terminated string field of a tar header. */
function field(header: Uint8Array, at: number, width: number): string {
  let end = at;
  while (end < at + width && header[end] !== 0) end++;
  return String.fromCharCode(...header.subarray(at, end));
}

function octal(header: Uint8Array, at: number, width: number): number {
  const text = field(header, at, width).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

/** A ustar header's checksum: its bytes summed with the checksum field read as spaces. */
function checksumOf(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < RECORD; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  return sum;
}

/**
 * Unpacks a tar fed in chunks of any size into `root`: directories made, each file written once, as an
 * array MEMFS takes as its own storage (canOwn), with the archive's modification time.
 */
export class TarExtractor {
  private readonly header = new Uint8Array(RECORD);
  private headerFill = 0;
  private file: { path: string; data: Uint8Array; fill: number; mtime: number } | undefined;
  private skip = 0;
  private ended = false;
  private readonly dirs = new Set<string>();
  /** Files written. */
  files = 0;

  constructor(
    private readonly fs: ExtractFs,
    private readonly root: string,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
      } else if (this.file) {
        const file = this.file;
        const n = Math.min(file.data.length - file.fill, chunk.length - at);
        copyNonZero(chunk, at, n, file.data, file.fill);
        file.fill += n;
        at += n;
        if (file.fill === file.data.length) {
          this.file = undefined;
          this.write(file.path, file.data, file.mtime);
          this.skip = (RECORD - (file.data.length % RECORD)) % RECORD;
        }
      } else {
        const n = Math.min(RECORD - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill === RECORD) {
          this.headerFill = 0;
          this.entry();
        }
      }
    }
  }

  /** Throws unless the archive ended where a tar ends. */
  finish(): void {
    if (this.file || this.headerFill > 0 || this.skip > 0) throw new Error('the data directory archive is truncated');
  }

  private entry(): void {
    const header = this.header;
    if (header.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    if (octal(header, 148, 8) !== checksumOf(header)) throw new Error('the data directory archive is corrupted (a header checksum does not match)');
    const prefix = field(header, 257, 6) === 'ustar' ? field(header, 345, 155) : '';
    const name = prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100);
    const path = `${this.root}/${name.replace(/^\/+/, '')}`.replace(/\/+$/, '');
    const type = String.fromCharCode(header[156]!);
    const size = octal(header, 124, 12);
    const mtime = octal(header, 136, 12) * 1000;
    if (type === '5') {
      this.mkdir(path);
    } else if (type === '0' || type === '\0') {
      this.mkdir(path.substring(0, path.lastIndexOf('/')));
      if (size === 0) this.write(path, new Uint8Array(0), mtime);
      else this.file = { path, data: new Uint8Array(size), fill: 0, mtime };
    } else {
      // Nothing else is in a data directory archive: skip its data.
      this.skip = Math.ceil(size / RECORD) * RECORD;
    }
  }

  private mkdir(path: string): void {
    if (!path || this.dirs.has(path)) return;
    if (!this.fs.analyzePath(path).exists) this.fs.mkdirTree(path);
    this.dirs.add(path);
  }

  private write(path: string, data: Uint8Array, mtime: number): void {
    this.fs.writeFile(path, data, { canOwn: true });
    const time = mtime || Date.now();
    this.fs.utime(path, time, time);
    this.files++;
  }
}

/** Unpacks a data-directory archive (gzipped or plain) into `root` of `fs`. */
export async function extractArchive(fs: ExtractFs, archive: Uint8Array, root = PGLITE_DATA_DIR): Promise<number> {
  return new ArchiveInflater(archive).extractInto(fs, root);
}

/** Inflated bytes kept waiting for the file system at most: inflating pauses beyond them. */
const AHEAD_BYTES = 32 * 1024 * 1024;

/**
 * An archive being inflated from the moment it is made (zlib works on the thread pool), before there
 * is a file system to unpack it into: PGlite instantiates its WebAssembly meanwhile. What is inflated
 * ahead waits, up to AHEAD_BYTES (then inflating pauses), and is unpacked first.
 */
export class ArchiveInflater {
  private readonly gunzip: ReturnType<typeof createGunzip> | undefined;
  private readonly waiting: Buffer[] = [];
  private waitingBytes = 0;
  private extractor: TarExtractor | undefined;
  private failure: Error | undefined;
  private readonly ended: Promise<void>;

  constructor(private readonly archive: Uint8Array) {
    if (!isGzip(archive)) {
      this.ended = Promise.resolve();
      return;
    }
    const gunzip = createGunzip({ chunkSize: CHUNK });
    this.gunzip = gunzip;
    this.ended = new Promise<void>((resolve, reject) => {
      gunzip.once('error', (error) => {
        this.failure ??= error;
        reject(this.failure);
      });
      gunzip.once('end', resolve);
    });
    // Settled by extractInto; a failure before it is reported there.
    this.ended.catch(() => undefined);
    gunzip.on('data', (chunk: Buffer) => {
      if (this.extractor) return this.push(chunk);
      this.waiting.push(chunk);
      this.waitingBytes += chunk.length;
      if (this.waitingBytes >= AHEAD_BYTES) gunzip.pause();
    });
    gunzip.end(archive);
  }

  private push(chunk: Uint8Array): void {
    try {
      this.extractor!.push(chunk);
    } catch (error) {
      this.failure ??= error as Error;
      this.gunzip?.destroy(this.failure);
    }
  }

  async extractInto(fs: ExtractFs, root = PGLITE_DATA_DIR): Promise<number> {
    const extractor = new TarExtractor(fs, root);
    this.extractor = extractor;
    if (!this.gunzip) {
      extractor.push(this.archive);
    } else {
      for (const chunk of this.waiting.splice(0)) this.push(chunk);
      this.waitingBytes = 0;
      this.gunzip.resume();
      await this.ended;
    }
    if (this.failure) throw this.failure;
    extractor.finish();
    return extractor.files;
  }
}

/**
 * PGlite's in-memory file system with the data directory unpacked from `archive` before Postgres
 * starts (pass as PGlite's `fs`, without `loadDataDir`). A gzipped archive starts inflating at once,
 * while PGlite instantiates its WebAssembly, and is unpacked once the file system exists.
 */
export class ArchiveFS extends MemoryFS {
  private archive: ArchiveInflater | undefined;

  constructor(archive: Uint8Array) {
    super();
    this.archive = new ArchiveInflater(archive);
  }

  override async initialSyncFs(): Promise<void> {
    const archive = this.archive;
    if (!archive) return;
    // Only once, and the compressed bytes are not this object's to keep.
    this.archive = undefined;
    const fs = (this.pg as unknown as { Module?: { FS?: ExtractFs } } | undefined)?.Module?.FS;
    if (!fs) throw new Error('this PGlite version does not expose its file system; the data directory cannot be loaded');
    await archive.extractInto(fs);
  }
}
