// Parses of history migrations kept on disk, one JSON file per parse, named by a hash of what the parse
// depends on: the file's path (its findings name it), line offset and text, pgpro's version, the
// parser's version and FORMAT. A warm CLI review of a long history otherwise parses every unchanged
// history file again (~400 ms of Lemmy's 342 files on a 2-core machine), where reading them back costs
// a tenth of that. Reads are synchronous: the review has nothing else to do until the parse is done.
// A missing, unreadable or foreign entry is a miss; the cache holds at most MAX_ENTRIES files, the
// oldest written evicted first.
//
// A whole history is also kept as one pack, named by the hash of its files' keys: each file's
// statement count, and (in a second file beside it) its parse as JSON text. A warm review that restores
// the whole history from a snapshot needs the counts alone: the parses are read only when a stage asks
// for one (reading and decoding Lemmy's 4 MB of them cost more than the rest of its parse stage, and sat
// before the sandbox restore). Only the newest MAX_PACKS packs are kept.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ParsedFile } from '../types.js';
import { codeId } from '../code-id.js';
import { writeFileAtomic } from '../atomic-file.js';
import { filesNewestFirst } from '../cache-files.js';

/** Raise whenever src/sql/parse.ts (or what it calls) changes what it returns for the same text. */
const FORMAT = 1;
const MAX_ENTRIES = 20_000;
const MAX_PACKS = 8;
/** A pack's two files: its keys and counts, and its parses' texts. */
const HEAD = '.pack-head';
const TEXTS = '.pack-texts';
/** Packs of the earlier one-file format: removed when a pack is stored. */
const LEGACY = '.pack';

/** What a pack is written from: each file's statement count and its parse as JSON text. */
export interface ParsePack {
  counts: number[];
  texts: string[];
}

/** A history's pack as read: its counts at once; a parse's text read (with all others) when first asked. */
export interface ReadPack {
  counts: number[];
  /** The parse of file `i` as JSON text, or undefined when the pack's texts are missing or damaged. */
  text(i: number): string | undefined;
}

/** The two files of a pack, as packText makes them: the keys and counts, and the parses' texts. */
export interface PackText {
  head: string;
  texts: string;
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
      .update(`pgpro-parse-v${FORMAT}\0${codeId()}\0${libpgQueryVersion()}\0${input.path}\0${input.lineOffset}\0${input.sql}`)
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

  /**
   * The pack of exactly these keys, or undefined. Only its counts are read now: the texts file is read
   * when a parse is first asked for (most warm reviews never do).
   */
  getPack(keys: readonly string[]): ReadPack | undefined {
    const name = packName(keys);
    try {
      const pack = JSON.parse(readFileSync(join(this.dir, `${name}${HEAD}`), 'utf8')) as { keys: string[]; counts: number[] };
      const whole =
        pack.keys.length === keys.length &&
        pack.counts.length === keys.length &&
        keys.every((key, i) => pack.keys[i] === key && Number.isInteger(pack.counts[i]));
      if (!whole) return undefined;
      let texts: readonly unknown[] | undefined;
      const file = join(this.dir, `${name}${TEXTS}`);
      return {
        counts: pack.counts,
        text: (i) => {
          if (texts === undefined) {
            try {
              const read = JSON.parse(readFileSync(file, 'utf8')) as unknown;
              texts = Array.isArray(read) && read.length === keys.length ? read : [];
            } catch {
              texts = [];
            }
          }
          const text = texts[i];
          return typeof text === 'string' ? text : undefined;
        },
      };
    } catch {
      return undefined;
    }
  }

  /** The text of a pack, made when called (the review goes on with the same objects meanwhile). */
  packText(keys: readonly string[], pack: ParsePack): PackText {
    return { head: JSON.stringify({ keys, counts: pack.counts }), texts: JSON.stringify(pack.texts) };
  }

  /** Stores a pack (packText) of `keys`, its texts before its head (a head is read only with its texts there), keeping the newest MAX_PACKS. */
  async setPack(keys: readonly string[], text: PackText): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const name = packName(keys);
    for (const [suffix, content] of [[TEXTS, text.texts], [HEAD, text.head]] as const) {
      try {
        await writeFileAtomic(join(this.dir, `${name}${suffix}`), content);
      } catch {
        return;
      }
    }
    const names = await readdir(this.dir);
    for (const n of names.filter((n) => n.endsWith(LEGACY))) await rm(join(this.dir, n), { force: true }).catch(() => undefined);
    const packs = names.filter((n) => n.endsWith(HEAD));
    if (packs.length <= MAX_PACKS) return;
    for (const { name } of (await filesNewestFirst(this.dir, packs)).slice(MAX_PACKS)) {
      const base = name.slice(0, -HEAD.length);
      await rm(join(this.dir, name), { force: true }).catch(() => undefined);
      await rm(join(this.dir, `${base}${TEXTS}`), { force: true }).catch(() => undefined);
    }
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
    // Down to 80 % at once, so that the next runs do not list the directory's stats again.
    for (const { name } of (await filesNewestFirst(this.dir, names)).slice(Math.floor(MAX_ENTRIES * 0.8))) {
      await rm(join(this.dir, name), { force: true }).catch(() => undefined);
    }
  }
}

function packName(keys: readonly string[]): string {
  return createHash('sha256').update(`pack\0${keys.join('\0')}`).digest('hex');
}
