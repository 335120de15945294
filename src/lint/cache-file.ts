// The lint cache on disk: one JSON file per project root, holding linted files by key. Written whole
// (to a temporary file, then renamed) when the run added something; entries not used by the run are kept
// up to a bound, newest first. A missing, unreadable or foreign file is an empty cache. Read and written
// synchronously: the CLI has nothing else to do meanwhile, and a loaded machine made the thread pool's
// round trips for a 1.5 MB file a visible wait.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LintCache, LintedFile } from './index.js';
import type { StaticCatalogData } from './static-catalog.js';
import { writeFileAtomicSync } from '../atomic-file.js';

const FORMAT = 2;
/** Entries kept besides the ones this run used. */
const KEEP_UNUSED = 5000;

/**
 * Catalogs kept (each is the whole schema a history describes): the newest few, enough for the newest
 * file of each of a monorepo's migration folders. Each in a file of its own beside the cache, read only
 * when a run starts from it: together they weigh as much as the rest of the cache.
 */
const KEEP_CATALOGS = 12;

/** Catalog digests kept (see LintCache.setCatalogDigest), the first key of each digest before the rest. */
const KEEP_DIGESTS = 200;

interface Stored {
  format: number;
  entries: [string, LintedFile][];
  /** Keys of the catalogs kept, oldest first. */
  catalogs?: string[];
  /** History keys with the digest of the catalog after them, oldest first. */
  digests?: [string, string][];
}

const cacheFileOf = (dir: string, root: string): string => join(dir, `${createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`);

const catalogFileOf = (file: string, key: string): string =>
  `${file.slice(0, -'.json'.length)}.catalog.${createHash('sha256').update(key).digest('hex').slice(0, 16)}.json`;

export class FileLintCache implements LintCache {
  private readonly used = new Map<string, LintedFile>();
  /** Catalogs this run added, as JSON. */
  private readonly added = new Map<string, string>();
  private changed = false;
  /** Digest of the catalog after each history key recorded, oldest first. */
  private readonly digests: Map<string, string>;
  /** The first history key recorded with each digest. */
  private readonly firstWith = new Map<string, string>();

  private constructor(
    private readonly file: string,
    private readonly stored: Map<string, LintedFile>,
    /** Keys of the catalogs on disk, oldest first. */
    private readonly catalogs: string[],
    digests: [string, string][],
  ) {
    this.digests = new Map(digests);
    for (const [key, digest] of digests) if (!this.firstWith.has(digest)) this.firstWith.set(digest, key);
  }

  /** The cache of project `root` under `dir`. */
  static async open(dir: string, root: string): Promise<FileLintCache> {
    const file = cacheFileOf(dir, root);
    let stored = new Map<string, LintedFile>();
    let catalogs: string[] = [];
    let digests: [string, string][] = [];
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Stored;
      if (parsed.format === FORMAT && Array.isArray(parsed.entries)) {
        stored = new Map(parsed.entries);
        if (Array.isArray(parsed.catalogs)) catalogs = parsed.catalogs.filter((key) => typeof key === 'string');
        if (Array.isArray(parsed.digests)) digests = parsed.digests.filter((d) => Array.isArray(d) && typeof d[0] === 'string' && typeof d[1] === 'string');
      }
    } catch {
      // No cache yet, or one this version cannot read: start empty.
    }
    return new FileLintCache(file, stored, catalogs, digests);
  }

  private catalogFile(key: string): string {
    return catalogFileOf(this.file, key);
  }

  /** Whether a catalog is kept under history key `key` (this run's or an earlier one's). */
  hasCatalog(key: string): boolean {
    return this.added.has(key) || this.catalogs.includes(key);
  }

  /** The digest recorded for the catalog after history key `key`. */
  catalogDigest(key: string): string | undefined {
    return this.digests.get(key);
  }

  /** The catalog kept under `key` for project `root` under `dir`, read without opening the cache itself. */
  static readCatalog(dir: string, root: string, key: string): StaticCatalogData | undefined {
    try {
      const stored = JSON.parse(readFileSync(catalogFileOf(cacheFileOf(dir, root), key), 'utf8')) as { key: string; catalog: StaticCatalogData };
      return stored.key === key ? stored.catalog : undefined;
    } catch {
      return undefined;
    }
  }

  getCatalog(key: string): StaticCatalogData | undefined {
    const added = this.added.get(key);
    if (added !== undefined) return JSON.parse(added) as StaticCatalogData;
    if (!this.catalogs.includes(key)) return undefined;
    try {
      const stored = JSON.parse(readFileSync(this.catalogFile(key), 'utf8')) as { key: string; catalog: StaticCatalogData };
      return stored.key === key ? stored.catalog : undefined;
    } catch {
      return undefined;
    }
  }

  setCatalog(key: string, json: string): void {
    this.added.set(key, json);
    this.changed = true;
  }

  sameCatalogAs(key: string): string | undefined {
    const digest = this.digests.get(key);
    return digest === undefined ? undefined : this.firstWith.get(digest);
  }

  setCatalogDigest(key: string, digest: string): void {
    if (this.digests.get(key) === digest) return;
    this.digests.set(key, digest);
    if (!this.firstWith.has(digest)) this.firstWith.set(digest, key);
    this.changed = true;
  }

  get(key: string): LintedFile | undefined {
    const value = this.used.get(key) ?? this.stored.get(key);
    if (value) this.used.set(key, value);
    return value;
  }

  set(key: string, value: LintedFile): void {
    this.used.set(key, value);
    this.changed = true;
  }

  /** Writes the cache when this run added entries (and the catalogs it added, dropping the oldest). */
  async save(): Promise<void> {
    if (!this.changed) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    for (const [key, json] of this.added) writeFileAtomicSync(this.catalogFile(key), `{"key":${JSON.stringify(key)},"catalog":${json}}`);
    const keys = [...this.catalogs.filter((key) => !this.added.has(key)), ...this.added.keys()];
    const kept = keys.slice(-KEEP_CATALOGS);
    for (const key of keys.slice(0, -KEEP_CATALOGS)) rmSync(this.catalogFile(key), { force: true });
    const unused = [...this.stored].filter(([key]) => !this.used.has(key)).slice(-KEEP_UNUSED);
    writeFileAtomicSync(this.file, JSON.stringify({ format: FORMAT, entries: [...unused, ...this.used], catalogs: kept, digests: this.keptDigests() } satisfies Stored));
  }

  /** The newest digests, the first key of each digest (which the others stand for) kept before the rest. */
  private keptDigests(): [string, string][] {
    const all = [...this.digests];
    if (all.length <= KEEP_DIGESTS) return all;
    const first = new Set(this.firstWith.values());
    const firsts = all.filter(([key]) => first.has(key)).slice(-KEEP_DIGESTS / 2);
    const others = all.filter(([key]) => !first.has(key)).slice(-(KEEP_DIGESTS - firsts.length));
    const keep = new Set([...firsts, ...others].map(([key]) => key));
    return all.filter(([key]) => keep.has(key));
  }
}
