// Parses of history migrations kept on disk, one JSON file per parse, named by a hash of what the parse
// depends on: the file's path (its findings name it), line offset and text, pgpro's version, the
// parser's version and FORMAT. A warm CLI review of a long history otherwise parses every unchanged
// history file again (~400 ms of Lemmy's 342 files on a 2-core machine), where reading them back costs
// a tenth of that. Reads are synchronous: the review has nothing else to do until the parse is done.
// A missing, unreadable or foreign entry is a miss; the cache holds at most MAX_ENTRIES files, the
// oldest written evicted first.
//
// A whole history is also kept as one pack, named by the hash of its files' keys: each file's
// statement count and its parse as JSON text, decoded only when asked for. A warm review that restores
// the whole history from a snapshot needs the counts alone, and decoding 4 MB of Lemmy's ASTs cost more
// than the rest of its parse stage. Only the newest MAX_PACKS packs are kept.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ParsedFile } from '../types.js';
import { VERSION } from '../version.js';
import { writeFileAtomic } from '../atomic-file.js';

/** Raise whenever src/sql/parse.ts (or what it calls) changes what it returns for the same text. */
const FORMAT = 1;
const MAX_ENTRIES = 20_000;
const MAX_PACKS = 8;

/** A history's parses from its pack: counts at once, each parse decoded on demand. */
export interface ParsePack {
  counts: number[];
  texts: string[];
}

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

  /** The parse stored under `key` for `path`, with its JSON text, or undefined. */
  get(key: string, path: string): { parsed: ParsedFile; text: string } | undefined {
    try {
      const text = readFileSync(join(this.dir, `${key}.json`), 'utf8');
      const parsed = JSON.parse(text) as ParsedFile;
      return parsed && parsed.file === path && Array.isArray(parsed.statements) && Array.isArray(parsed.errors) ? { parsed, text } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The pack of exactly these keys, or undefined. */
  getPack(keys: readonly string[]): ParsePack | undefined {
    try {
      const pack = JSON.parse(readFileSync(join(this.dir, `${packName(keys)}.pack`), 'utf8')) as { keys: string[] } & ParsePack;
      const whole =
        pack.keys.length === keys.length &&
        pack.counts.length === keys.length &&
        pack.texts.length === keys.length &&
        keys.every((key, i) => pack.keys[i] === key && typeof pack.texts[i] === 'string' && Number.isInteger(pack.counts[i]));
      return whole ? { counts: pack.counts, texts: pack.texts } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The text of a pack, made when called (the review goes on with the same objects meanwhile). */
  packText(keys: readonly string[], pack: ParsePack): string {
    return JSON.stringify({ keys, counts: pack.counts, texts: pack.texts });
  }

  /** Stores a pack (packText) of `keys`, keeping the newest MAX_PACKS. */
  async setPack(keys: readonly string[], text: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = packName(keys);
    try {
      await writeFileAtomic(join(this.dir, `${name}.pack`), text);
    } catch {
      return;
    }
    const packs = (await readdir(this.dir)).filter((n) => n.endsWith('.pack'));
    if (packs.length <= MAX_PACKS) return;
    const dated = await Promise.all(packs.map(async (n) => ({ n, mtimeMs: await stat(join(this.dir, n)).then((st) => st.mtimeMs, () => 0) })));
    dated.sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const { n } of dated.slice(MAX_PACKS)) await rm(join(this.dir, n), { force: true }).catch(() => undefined);
  }

  /** Stores parses as JSON text (each to a temporary file, then renamed), then keeps the directory within its bound. */
  async setAll(entries: readonly { key: string; text: string }[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    for (const { key, text } of entries) {
      await writeFileAtomic(join(this.dir, `${key}.json`), text).catch(() => undefined);
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

function packName(keys: readonly string[]): string {
  return createHash('sha256').update(`pack\0${keys.join('\0')}`).digest('hex');
}
