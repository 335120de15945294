// Parses of history migrations kept on disk, one JSON file per parse, named by a hash of what the parse
// depends on: the file's path (its findings name it), line offset and text, pgpro's version, the
// parser's version and FORMAT. A warm CLI review of a long history otherwise parses every unchanged
// history file again (~400 ms of Lemmy's 342 files on a 2-core machine), where reading them back costs
// a tenth of that. Reads are synchronous: the review has nothing else to do until the parse is done.
// A missing, unreadable or foreign entry is a miss; the cache holds at most MAX_ENTRIES files, the
// oldest written evicted first.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ParsedFile } from '../types.js';
import { VERSION } from '../version.js';

/** Raise whenever src/sql/parse.ts (or what it calls) changes what it returns for the same text. */
const FORMAT = 1;
const MAX_ENTRIES = 20_000;

let parserVersion: string | undefined;

function libpgQueryVersion(): string {
  if (parserVersion === undefined) {
    try {
      parserVersion = (createRequire(import.meta.url)('libpg-query/package.json') as { version: string }).version;
    } catch {
      parserVersion = 'unknown';
    }
  }
  return parserVersion;
}

export interface ParseInput {
  path: string;
  sql: string;
  lineOffset: number;
}

export class ParseCache {
  constructor(private readonly dir: string) {}

  key(input: ParseInput): string {
    return createHash('sha256')
      .update(`pgpro-parse-v${FORMAT}\0${VERSION}\0${libpgQueryVersion()}\0${input.path}\0${input.lineOffset}\0${input.sql}`)
      .digest('hex');
  }

  /** The parse stored under `key` for `path`, or undefined. */
  get(key: string, path: string): ParsedFile | undefined {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as ParsedFile;
      return parsed && parsed.file === path && Array.isArray(parsed.statements) && Array.isArray(parsed.errors) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores the parses (each to a temporary file, then renamed), then keeps the directory within its bound. */
  async setAll(entries: readonly { key: string; parsed: ParsedFile }[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    for (const { key, parsed } of entries) {
      const temp = join(this.dir, `.${key}.${randomUUID()}.tmp`);
      try {
        await writeFile(temp, JSON.stringify(parsed));
        await rename(temp, join(this.dir, `${key}.json`));
      } catch {
        await rm(temp, { force: true }).catch(() => undefined);
      }
    }
    await this.bound();
  }

  private async bound(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    if (names.length <= MAX_ENTRIES) return;
    const dated = await Promise.all(
      names.map(async (name) => ({ name, mtimeMs: await stat(join(this.dir, name)).then((s) => s.mtimeMs, () => 0) })),
    );
    dated.sort((a, b) => a.mtimeMs - b.mtimeMs);
    // Down to 80 % at once, so that the next runs do not list the directory's stats again.
    for (const { name } of dated.slice(0, names.length - Math.floor(MAX_ENTRIES * 0.8))) {
      await rm(join(this.dir, name), { force: true }).catch(() => undefined);
    }
  }
}
