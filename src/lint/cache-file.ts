// The lint cache on disk: one JSON file per project root, holding linted files by key. Written whole
// (to a temporary file, then renamed) when the run added something; entries not used by the run are kept
// up to a bound, newest first. A missing, unreadable or foreign file is an empty cache. Read and written
// synchronously: the CLI has nothing else to do meanwhile, and a loaded machine made the thread pool's
// round trips for a 1.5 MB file a visible wait.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LintCache, LintedFile } from './index.js';
import type { StaticCatalogData } from './static-catalog.js';

const FORMAT = 1;
/** Entries kept besides the ones this run used. */
const KEEP_UNUSED = 5000;

/**
 * Catalogs kept (each is the whole schema a history describes): the newest few, enough for the newest
 * file of each of a monorepo's migration folders.
 */
const KEEP_CATALOGS = 12;

interface Stored {
  format: number;
  entries: [string, LintedFile][];
  catalogs?: [string, StaticCatalogData][];
}

export class FileLintCache implements LintCache {
  private readonly used = new Map<string, LintedFile>();
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly stored: Map<string, LintedFile>,
    private readonly catalogs: Map<string, StaticCatalogData>,
  ) {}

  /** The cache of project `root` under `dir`. */
  static async open(dir: string, root: string): Promise<FileLintCache> {
    const file = join(dir, `${createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`);
    let stored = new Map<string, LintedFile>();
    let catalogs = new Map<string, StaticCatalogData>();
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Stored;
      if (parsed.format === FORMAT && Array.isArray(parsed.entries)) {
        stored = new Map(parsed.entries);
        if (Array.isArray(parsed.catalogs)) catalogs = new Map(parsed.catalogs);
      }
    } catch {
      // No cache yet, or one this version cannot read: start empty.
    }
    return new FileLintCache(file, stored, catalogs);
  }

  getCatalog(key: string): StaticCatalogData | undefined {
    return this.catalogs.get(key);
  }

  setCatalog(key: string, catalog: StaticCatalogData): void {
    this.catalogs.delete(key);
    this.catalogs.set(key, catalog);
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

  /** Writes the cache when this run added entries. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const unused = [...this.stored].filter(([key]) => !this.used.has(key)).slice(-KEEP_UNUSED);
    const data: Stored = { format: FORMAT, entries: [...unused, ...this.used], catalogs: [...this.catalogs].slice(-KEEP_CATALOGS) };
    mkdirSync(join(this.file, '..'), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(data));
    renameSync(temporary, this.file);
  }
}
