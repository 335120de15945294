// Snapshots of replayed histories, keyed by prefix hashes: a base branch that only gained migrations
// restores the longest prefix it shares with a cached history and replays just the rest.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { filesNewestFirst } from '../cache-files.js';

export interface SnapshotCacheOptions {
  /** In-memory LRU bound; 512 MB by default. */
  maxMemoryBytes?: number;
  /** Optional directory for snapshots that outlive the process. */
  dir?: string;
  /** Disk bound; the oldest snapshots are evicted beyond it. 2 GB by default. */
  maxDiskBytes?: number;
}

export interface HistoryEntry {
  path: string;
  content: string;
}

/**
 * Hash after each file of the ordered history: hashes[i] names the state after files 0..i. The chain
 * starts from everything else that shapes the state: engine version, the code that replays (src/code-id.ts),
 * setup SQL, loaded extensions.
 */
export function historyPrefixHashes(
  files: readonly HistoryEntry[],
  seed: { engine?: string; code?: string; setup?: string; extensions?: readonly string[] } = {},
): string[] {
  let hash = sha256(['pgpro-history-v1', seed.engine ?? '', seed.code ?? '', seed.setup ?? '', [...(seed.extensions ?? [])].sort().join(',')].join('\0'));
  return files.map((file) => (hash = sha256(`${hash}\0${file.path}\0${file.content}`)));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * A snapshot on disk: this header, then the tarball. The length and checksum tell a whole entry from a
 * half-written, truncated or corrupted one (or one in an older format), which is deleted on read.
 */
const MAGIC = Buffer.from('PGPSNAP1');
const HEADER_BYTES = MAGIC.length + 8 + 32;

/** Temp files of writers that died before their rename are removed after this long. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** Called when a cache entry is found bad and deleted: the caller replays instead, and may say so. */
export type DiscardListener = (why: string) => void;

function sealed(tarball: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeBigUInt64LE(BigInt(tarball.byteLength), MAGIC.length);
  createHash('sha256').update(tarball).digest().copy(header, MAGIC.length + 8);
  return Buffer.concat([header, tarball]);
}

/** The tarball of a whole entry, or why the entry is bad. */
function unsealed(bytes: Buffer): Uint8Array | string {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return 'not a pgpro snapshot (an older format, or damaged)';
  const length = bytes.readBigUInt64LE(MAGIC.length);
  const body = bytes.subarray(HEADER_BYTES);
  if (BigInt(body.length) !== length) return `${body.length} of ${length} bytes (half-written or truncated)`;
  const sum = createHash('sha256').update(body).digest();
  if (!sum.equals(bytes.subarray(MAGIC.length + 8, HEADER_BYTES))) return 'checksum mismatch (corrupted)';
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** Documents kept in memory at most (they are small; the disk keeps the rest). */
const MAX_DOCUMENTS = 1000;

export class SnapshotCache {
  private readonly memory = new Map<string, Uint8Array>();
  private readonly documents = new Map<string, unknown>();
  private memoryBytes = 0;
  private readonly maxMemoryBytes: number;
  private readonly maxDiskBytes: number;

  constructor(private readonly options: SnapshotCacheOptions = {}) {
    this.maxMemoryBytes = options.maxMemoryBytes ?? 512 * 1024 * 1024;
    this.maxDiskBytes = options.maxDiskBytes ?? 2 * 1024 * 1024 * 1024;
  }

  /**
   * The snapshot of the longest cached prefix; `length` is how many files it covers. An entry that fails
   * its check is deleted (`onDiscard` hears why) and the next shorter prefix is tried.
   */
  async get(prefixHashes: readonly string[], onDiscard?: DiscardListener): Promise<{ tarball: Uint8Array; length: number } | undefined> {
    for (let i = prefixHashes.length - 1; i >= 0; i--) {
      const hash = prefixHashes[i]!;
      const tarball = this.memory.get(hash) ?? (await this.readDisk(hash, onDiscard));
      if (tarball) {
        this.remember(hash, tarball);
        return { tarball, length: i + 1 };
      }
    }
    return undefined;
  }

  async set(hash: string, tarball: Uint8Array): Promise<void> {
    if (!HASH.test(hash)) throw new Error(`not a prefix hash: ${hash}`);
    this.remember(hash, tarball);
    await this.writeDisk(hash, tarball);
  }

  /** Whether the entry is cached, without reading it (whether it is whole is known only when it is read). */
  async has(hash: string): Promise<boolean> {
    if (!HASH.test(hash)) return false;
    if (this.memory.has(hash)) return true;
    if (!this.options.dir) return false;
    return stat(join(this.options.dir, `${hash}.tar.gz`)).then(
      (info) => info.isFile(),
      () => false,
    );
  }

  /**
   * Marks an entry used without reading it (its bytes are not needed this time): the disk bound evicts
   * the least recently used entries first. Nothing happens for an entry that is not cached.
   */
  async touch(hash: string): Promise<void> {
    if (!HASH.test(hash)) return;
    const held = this.memory.get(hash);
    if (held) this.remember(hash, held);
    if (!this.options.dir) return;
    const now = new Date();
    await utimes(join(this.options.dir, `${hash}.tar.gz`), now, now).catch(() => undefined);
  }

  /** Forgets an entry whose snapshot could not be restored, so that the next review replays instead. */
  async delete(hash: string): Promise<void> {
    if (!HASH.test(hash)) return;
    const previous = this.memory.get(hash);
    if (previous) {
      this.memory.delete(hash);
      this.memoryBytes -= previous.byteLength;
    }
    if (this.options.dir) await rm(join(this.options.dir, `${hash}.tar.gz`), { force: true });
  }

  /** A small JSON document stored beside the snapshots (e.g. what a snapshot's history was). */
  async getDocument<T>(key: string): Promise<T | undefined> {
    if (!HASH.test(key)) return undefined;
    const known = this.documents.get(key);
    if (known !== undefined) return known as T;
    if (!this.options.dir) return undefined;
    const file = join(this.options.dir, `${key}.json`);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const value = JSON.parse(text) as T;
      this.documents.set(key, value);
      return value;
    } catch {
      // Written atomically, so only damage makes it unreadable: delete it rather than trip on it again.
      await rm(file, { force: true });
      return undefined;
    }
  }

  async setDocument(key: string, value: unknown): Promise<void> {
    if (!HASH.test(key)) throw new Error(`not a document key: ${key}`);
    this.documents.set(key, value);
    if (this.documents.size > MAX_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
    const dir = this.options.dir;
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${key}.json`);
    await writeFileAtomic(file, JSON.stringify(value));
  }

  private remember(hash: string, tarball: Uint8Array): void {
    const previous = this.memory.get(hash);
    if (previous) {
      this.memory.delete(hash);
      this.memoryBytes -= previous.byteLength;
    }
    if (tarball.byteLength > this.maxMemoryBytes) return;
    this.memory.set(hash, tarball);
    this.memoryBytes += tarball.byteLength;
    for (const [oldest, bytes] of this.memory) {
      if (this.memoryBytes <= this.maxMemoryBytes) break;
      this.memory.delete(oldest);
      this.memoryBytes -= bytes.byteLength;
    }
  }

  private async readDisk(hash: string, onDiscard?: DiscardListener): Promise<Uint8Array | undefined> {
    if (!this.options.dir || !HASH.test(hash)) return undefined;
    const file = join(this.options.dir, `${hash}.tar.gz`);
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes) return undefined;
    const tarball = unsealed(bytes);
    if (typeof tarball === 'string') {
      await rm(file, { force: true });
      onDiscard?.(`the cached snapshot ${hash.slice(0, 12)} was unusable (${tarball}) and was deleted`);
      return undefined;
    }
    const now = new Date();
    await utimes(file, now, now).catch(() => undefined); // recently used: evicted last
    return tarball;
  }

  private async writeDisk(hash: string, tarball: Uint8Array): Promise<void> {
    const dir = this.options.dir;
    if (!dir || tarball.byteLength > this.maxDiskBytes) return;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${hash}.tar.gz`);
    // Readers see a whole entry or none; the header's checksum catches anything else.
    await writeFileAtomic(file, sealed(tarball));
    await this.evictDisk(dir);
  }

  private async evictDisk(dir: string): Promise<void> {
    const names = await readdir(dir);
    // Temp files of writers that died before renaming.
    const now = Date.now();
    for (const name of names.filter((n) => n.endsWith('.tmp'))) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(join(dir, name), { force: true });
    }
    const files = (await filesNewestFirst(dir, names.filter((name) => /^[0-9a-f]{64}\.tar\.gz$/.test(name)))).reverse();
    let total = files.reduce((sum, f) => sum + f.bytes, 0);
    for (const f of files) {
      if (total <= this.maxDiskBytes) break;
      await rm(join(dir, f.name), { force: true });
      total -= f.bytes;
    }
  }
}
