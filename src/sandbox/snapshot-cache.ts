// Snapshots of replayed histories, keyed by prefix hashes: a base branch that only gained migrations
// restores the longest prefix it shares with a cached history and replays just the rest.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
 * starts from everything else that shapes the state: engine version, setup SQL, loaded extensions.
 */
export function historyPrefixHashes(
  files: readonly HistoryEntry[],
  seed: { engine?: string; setup?: string; extensions?: readonly string[] } = {},
): string[] {
  let hash = sha256(['pgpro-history-v1', seed.engine ?? '', seed.setup ?? '', [...(seed.extensions ?? [])].sort().join(',')].join('\0'));
  return files.map((file) => (hash = sha256(`${hash}\0${file.path}\0${file.content}`)));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

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

  /** The snapshot of the longest cached prefix; `length` is how many files it covers. */
  async get(prefixHashes: readonly string[]): Promise<{ tarball: Uint8Array; length: number } | undefined> {
    for (let i = prefixHashes.length - 1; i >= 0; i--) {
      const hash = prefixHashes[i]!;
      const tarball = this.memory.get(hash) ?? (await this.readDisk(hash));
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

  /** A small JSON document stored beside the snapshots (e.g. what a snapshot's history was). */
  async getDocument<T>(key: string): Promise<T | undefined> {
    if (!HASH.test(key)) return undefined;
    const known = this.documents.get(key);
    if (known !== undefined) return known as T;
    if (!this.options.dir) return undefined;
    try {
      const value = JSON.parse(await readFile(join(this.options.dir, `${key}.json`), 'utf8')) as T;
      this.documents.set(key, value);
      return value;
    } catch {
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
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify(value));
    await rename(tmp, file);
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

  private async readDisk(hash: string): Promise<Uint8Array | undefined> {
    if (!this.options.dir || !HASH.test(hash)) return undefined;
    const file = join(this.options.dir, `${hash}.tar.gz`);
    try {
      const bytes = new Uint8Array(await readFile(file));
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined); // recently used: evicted last
      return bytes;
    } catch {
      return undefined;
    }
  }

  private async writeDisk(hash: string, tarball: Uint8Array): Promise<void> {
    const dir = this.options.dir;
    if (!dir || tarball.byteLength > this.maxDiskBytes) return;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${hash}.tar.gz`);
    // Write then rename: concurrent processes never read a half-written snapshot.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, tarball);
    await rename(tmp, file);
    await this.evictDisk(dir);
  }

  private async evictDisk(dir: string): Promise<void> {
    const entries = await Promise.all(
      (await readdir(dir))
        .filter((name) => /^[0-9a-f]{64}\.tar\.gz$/.test(name))
        .map(async (name) => {
          const info = await stat(join(dir, name)).catch(() => undefined);
          return info ? { name, bytes: info.size, mtime: info.mtimeMs } : undefined;
        }),
    );
    const files = entries.filter((e): e is NonNullable<typeof e> => e !== undefined).sort((a, b) => a.mtime - b.mtime);
    let total = files.reduce((sum, f) => sum + f.bytes, 0);
    for (const f of files) {
      if (total <= this.maxDiskBytes) break;
      await rm(join(dir, f.name), { force: true });
      total -= f.bytes;
    }
  }
}
