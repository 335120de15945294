// The last `pgpro lint` run of a project root, kept whole: when nothing it depends on has changed, the
// next run (a pre-commit hook run again, an editor saving a file it did not touch) prints the same
// result without discovering the migrations again or opening the per-file lint cache.
//
// A run's result depends on pgpro's version, the config, the paths named on the command line, the list
// of files in the directories read, and the text of every file discovery read (migrations, their
// sidecars, a sqitch plan). All of that is the run's key: the listing and arguments hashed into `key`,
// the files read recorded by path (what the next run must read again to compare) with a digest of
// each text. A missing, unreadable or foreign memo is no memo.
//
// Two ways to tell that nothing changed:
// - `lookup`, after the directories were listed again: every file read hashes as it did.
// - `quickLookup`, before anything is listed (the usual pre-commit run): the arguments are the same,
//   and each directory listed and each file read has the same stat (size, mtime, ctime, inode) as when
//   the run was saved, as git's index and ESLint's cache tell an unchanged file. A directory's mtime and
//   ctime change whenever an entry is added, removed or renamed in it, so an unchanged stat vouches for
//   its listing. A stat vouches for nothing that was modified less than RACY_MS before the run it was
//   saved by (a second edit within the file system's timestamp granularity would keep the same mtime):
//   such a file is read and hashed again, and such a directory sends the run to the full lookup.
//
// Each report the run printed (text or JSON to stdout) is kept beside the memo as rendered, cut where
// the run's duration goes, so that a run answered from the memo writes it without loading the reporter.
import { closeSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { PgproConfig } from '../config/schema.js';
import { decodeText } from '../migrations/tree.js';
import type { FileTree, ReviewResult } from '../types.js';
import { codeId } from '../code-id.js';
import { writeFileAtomicSync } from '../atomic-file.js';
import { nodeCrypto } from '../node-crypto.js';

const FORMAT = 3;

/** A stat that old (ms before the saving run began) or older vouches for a file's text or a directory's listing. */
export const RACY_MS = 2500;

interface Header {
  format: number;
  /** Tells this memo's rendered reports from an older run's. */
  id: string;
  key: string;
  /** The quick lookup's key as is (see quickKey); absent when the run read stdin. */
  quick?: string;
  /** Wall-clock ms when the run began, before it listed or read anything. */
  since: number;
  /** Directories the run listed (absolute) with their stats. */
  dirs: [string, string][];
  /** Paths read by the run, in first-read order: path, stat (null when unread), digest of the text (null when absent). */
  reads: [string, string | null, string | null][];
  conclusion: ReviewResult['conclusion'];
  /** Runs since the last full one that were answered by linting their changed files alone (no result kept). */
  edited?: number;
}

/** What a run read: the paths, their texts (undefined when absent) and the directories it listed. */
export interface RunReads {
  paths: string[];
  texts: (string | undefined)[];
}

/** A report as rendered, with the run's duration cut out: `before` + the duration + `after`. */
export interface RenderedReport {
  key: string;
  /** As one text, or in pieces. */
  before: string | Buffer | readonly Buffer[];
  after: string | Buffer;
}

/** The key of everything a run depends on except the texts of the files it reads. */
export function runKey(input: { config: PgproConfig; files: readonly string[]; directories: readonly string[]; paths: readonly string[] }): string {
  return nodeCrypto()
    .createHash('sha256')
    .update(`${codeId()}\0${JSON.stringify(input.config)}\0${JSON.stringify(input.files)}\0${JSON.stringify(input.directories)}\0`)
    .update(input.paths.join('\0'))
    .digest('hex');
}

/**
 * The key of a run as asked, before anything is listed: pgpro's code id, config, working directory and the
 * paths as named. Which files and directories those paths mean is vouched for by the stats. Kept and
 * compared as is, not hashed: the run it answers loads no node:crypto (~6 ms) and hashes nothing.
 */
export function quickKey(input: { config: PgproConfig; cwd: string; paths: readonly string[] }): string {
  return `quick\0${codeId()}\0${JSON.stringify(input.config)}\0${input.cwd}\0${JSON.stringify(input.paths)}`;
}

/** The absolute path of repo-relative POSIX `path` under the resolved `root` (join's answer, without its normalizing). */
function under(root: string, path: string): string {
  if (sep !== '/' || path.includes('//') || /(^|\/)\.\.?(\/|$)/.test(path)) return join(root, ...path.split('/'));
  return root === '/' ? `/${path}` : `${root}/${path}`;
}

/** The cache's file names: the same digests node:crypto gives, loaded on first use. */
const sha256Hex = (text: string): string => nodeCrypto().createHash('sha256').update(text).digest('hex');

const digestOf = (text: string | undefined): string | null => (text === undefined ? null : nodeCrypto().hash('sha1', text));

interface Stat {
  sig: string;
  /** The latest of mtime and ctime. */
  changedMs: number;
}

function statOf(path: string): Stat | undefined {
  try {
    const s = statSync(path, { throwIfNoEntry: false });
    return s && { sig: `${s.size}/${s.mtimeMs}/${s.ctimeMs}/${s.ino}`, changedMs: Math.max(s.mtimeMs, s.ctimeMs) };
  } catch {
    return undefined;
  }
}

/**
 * Stats taken during one run, each path once: the quick lookup's serve the save. A stat taken any time
 * after the run began is as good as one taken at its end: a change after it is too recent to be trusted.
 */
export class RunStats {
  private readonly stats = new Map<string, Stat | undefined>();

  get(path: string): Stat | undefined {
    if (this.stats.has(path)) return this.stats.get(path);
    const stat = statOf(path);
    this.stats.set(path, stat);
    return stat;
  }
}

/** `tree` reading each file at most once (the memo's check and discovery read the same files). */
export function readOnce(tree: FileTree): FileTree {
  const texts = new Map<string, Promise<string | undefined>>();
  return {
    ...tree,
    read(path) {
      let text = texts.get(path);
      if (!text) texts.set(path, (text = tree.read(path)));
      return text;
    },
  };
}

/** `tree`, recording the paths read from it (each once, in first-read order) with their texts. */
export function recordingTree(tree: FileTree): { tree: FileTree; reads: () => Promise<RunReads> } {
  const read = new Map<string, Promise<string | undefined>>();
  return {
    tree: {
      ...tree,
      read(path) {
        let text = read.get(path);
        if (!text) read.set(path, (text = tree.read(path)));
        return text;
      },
    },
    reads: async () => ({ paths: [...read.keys()], texts: await Promise.all(read.values()) }),
  };
}

/** A run answered from the memo. */
export interface MemoHit {
  conclusion: ReviewResult['conclusion'];
  /** The kept result. */
  result(): ReviewResult | undefined;
  /** The report kept under `key` as rendered, cut at the duration; undefined when none was kept. */
  rendered(key: string): { before: Buffer; after: Buffer } | undefined;
}

/**
 * The memo on disk: a first line with the header (key, stats and digests), then the result, so that a
 * run whose key or files differ parses the header only; each rendered report in a file of its own.
 */
export class RunMemo {
  private constructor(
    private readonly file: string,
    private readonly header: Header | undefined,
    /** The header line as read, newline included: the body is read after it only when asked for. */
    private readonly headerLine: Buffer,
  ) {}

  /** The memo of project `root` under `dir` (the lint cache's directory). */
  static open(dir: string, root: string): RunMemo {
    const file = join(dir, `${sha256Hex(root).slice(0, 16)}.run.json`);
    try {
      const line = readFirstLine(file);
      const header = JSON.parse(line.toString('utf8', 0, line.length - 1)) as Header;
      if (header.format === FORMAT && typeof header.key === 'string' && Array.isArray(header.reads) && Array.isArray(header.dirs)) {
        return new RunMemo(file, header, line);
      }
    } catch {
      // No memo yet, or one this version cannot read.
    }
    return new RunMemo(file, undefined, Buffer.alloc(0));
  }

  /** Whether a run was kept (a memo this version can read). */
  get kept(): boolean {
    return this.header !== undefined;
  }

  /** The result kept after the header, as bytes; undefined when the file no longer starts with that header. */
  private body(): Buffer | undefined {
    try {
      const bytes = readFileSync(this.file);
      const line = this.headerLine;
      return bytes.length >= line.length && line.equals(bytes.subarray(0, line.length)) ? bytes.subarray(line.length) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The kept run when the run's key matches and every file it read reads the same today. */
  async lookup(key: string, tree: FileTree): Promise<MemoHit | undefined> {
    const header = this.header;
    if (!header || header.key !== key) return undefined;
    const texts = await Promise.all(header.reads.map(([path]) => tree.read(path)));
    if (texts.some((text, i) => digestOf(text) !== header.reads[i]![2])) return undefined;
    return this.hit(header);
  }

  /**
   * The kept run when it was asked with the same `quick` key and no directory it listed and no file it
   * read has changed (by stat, or by digest for a file changed too close to that run), under `root`;
   * 'changed' when the listings are the same and a file's text is not (the full lookup would miss too).
   */
  quickLookup(quick: string, root: string, stats = new RunStats()): MemoHit | 'changed' | undefined {
    const found = this.quickChanges(quick, root, stats);
    return found && 'changed' in found ? 'changed' : found;
  }

  /**
   * As `quickLookup`, telling which files changed: their paths (as read) with their texts today. Every
   * file is statted; files whose stat changed are read until two have changed (a run that lints the
   * changed file alone must know it is the only one; with two, the full path reads them all anyway).
   */
  quickChanges(quick: string, root: string, stats = new RunStats()): MemoHit | { changed: Map<string, string> } | undefined {
    const header = this.header;
    if (!header || header.quick === undefined || header.quick !== quick) return undefined;
    const before = header.since - RACY_MS;
    for (const [dir, sig] of header.dirs) {
      const now = stats.get(dir);
      if (!now || now.sig !== sig || now.changedMs >= before) return undefined;
    }
    const changed = new Map<string, string>();
    for (const [path, sig, digest] of header.reads) {
      // Absent then, and every directory's listing unchanged: absent still.
      if (digest === null) continue;
      const absolute = under(root, path);
      const now = stats.get(absolute);
      if (!now) return undefined;
      if (now.sig === sig && now.changedMs < before) continue;
      if (changed.size > 1) continue;
      let text: string;
      try {
        text = decodeText(readFileSync(absolute));
      } catch {
        return undefined;
      }
      if (digestOf(text) !== digest) changed.set(path, text);
    }
    // The listings are the same, so the run reads the same files: these have changed.
    return changed.size > 0 ? { changed } : this.hit(header);
  }

  /** Every path the kept run read (each one listed then). */
  readPaths(): Set<string> | undefined {
    return this.header && new Set(this.header.reads.map(([path]) => path));
  }

  /** The edit state kept with the run (see src/lint/edit.ts), when it is this run's. */
  editState<T extends { id: string }>(): T | undefined {
    const header = this.header;
    if (!header) return undefined;
    try {
      const state = JSON.parse(readFileSync(this.editFile(), 'utf8')) as T;
      return state.id === header.id ? state : undefined;
    } catch {
      return undefined;
    }
  }

  private editFile(): string {
    return `${this.file.slice(0, -'.json'.length)}.edit.json`;
  }

  /** The kept report under `key` as bytes, cut at the duration; undefined when none is this run's. */
  renderedOf(key: string): { before: Buffer; after: Buffer } | undefined {
    return this.header && this.hit(this.header).rendered(key);
  }

  /**
   * Keeps the run that answered from the kept one with `changed` files linted again: the same key and
   * listings, today's stats, the changed files' digests, its report as rendered and its edit state. The
   * result is not kept (a run in another format renders it by the full path).
   */
  saveEdited(
    run: { quick: string; since: number; root: string; stats: RunStats },
    changed: ReadonlyMap<string, string>,
    conclusion: ReviewResult['conclusion'],
    rendered: RenderedReport,
    state: (id: string) => { id: string },
  ): void {
    const old = this.header;
    if (!old) return;
    const header: Header = {
      ...old,
      id: nodeCrypto().randomUUID(),
      quick: run.quick,
      since: run.since,
      dirs: old.dirs.map(([dir, sig]) => [dir, run.stats.get(dir)?.sig ?? sig]),
      reads: old.reads.map(([path, sig, digest]) => {
        if (digest === null) return [path, sig, digest];
        const text = changed.get(path);
        return [path, run.stats.get(under(run.root, path))?.sig ?? null, text === undefined ? digest : digestOf(text)];
      }),
      conclusion,
      edited: (old.edited ?? 0) + 1,
    };
    this.writeRendered(header.id, [rendered]);
    writeFileAtomicSync(this.editFile(), JSON.stringify(state(header.id)));
    writeFileAtomicSync(this.file, `${JSON.stringify(header)}\n`);
  }

  private writeRendered(id: string, rendered: readonly RenderedReport[]): void {
    for (const report of rendered) {
      const before = typeof report.before === 'string' ? [Buffer.from(report.before)] : Buffer.isBuffer(report.before) ? [report.before] : report.before;
      const cut = before.reduce((n, piece) => n + piece.length, 0);
      const after = typeof report.after === 'string' ? Buffer.from(report.after) : report.after;
      writeFileAtomicSync(this.renderFile(report.key), [Buffer.from(`${JSON.stringify({ id, cut })}\n`), ...before, after]);
    }
  }

  /**
   * After `lookup` answered: the kept run again, with the stats of today (files touched but not changed,
   * a checkout), so that the next run is answered by `quickLookup`.
   */
  restat(run: { quick: string; since: number; root: string; dirs: readonly string[]; stats?: RunStats }): void {
    const header = this.header;
    if (!header) return;
    const stats = run.stats ?? new RunStats();
    const restatted: Header = {
      ...header,
      quick: run.quick,
      since: run.since,
      dirs: run.dirs.map((dir) => [dir, stats.get(dir)?.sig ?? '']),
      reads: header.reads.map(([path, , digest]) => [path, digest === null ? null : (stats.get(under(run.root, path))?.sig ?? null), digest]),
    };
    const body = this.body();
    if (body) writeFileAtomicSync(this.file, Buffer.concat([Buffer.from(`${JSON.stringify(restatted)}\n`), body]));
  }

  private hit(header: Header): MemoHit {
    return {
      conclusion: header.conclusion,
      result: () => {
        try {
          const body = this.body();
          return body && (JSON.parse(body.toString('utf8')) as ReviewResult);
        } catch {
          return undefined;
        }
      },
      rendered: (key) => {
        try {
          const bytes = readFileSync(this.renderFile(key));
          const newline = bytes.indexOf(10);
          const meta = JSON.parse(bytes.toString('utf8', 0, newline)) as { id: string; cut: number };
          if (meta.id !== header.id) return undefined;
          const text = bytes.subarray(newline + 1);
          return { before: text.subarray(0, meta.cut), after: text.subarray(meta.cut) };
        } catch {
          return undefined;
        }
      },
    };
  }

  private renderFile(key: string): string {
    return `${this.file.slice(0, -'.json'.length)}.${sha256Hex(key).slice(0, 12)}.out`;
  }

  /**
   * Keeps `result` (and its rendered reports) as the answer for `key`, `quick` and these reads,
   * replacing the previous run's. `since` is when the run began; `root` is where `reads` are; `dirs`
   * are the directories it listed.
   */
  save(
    run: { key: string; quick?: string; since: number; root: string; dirs: readonly string[]; stats?: RunStats },
    reads: RunReads,
    result: ReviewResult,
    rendered: readonly RenderedReport[] = [],
    /** The edit state that goes with the run, given its id (see src/lint/edit.ts). */
    edit?: (id: string) => { id: string },
  ): void {
    const stats = run.stats ?? new RunStats();
    const header: Header = {
      format: FORMAT,
      id: nodeCrypto().randomUUID(),
      key: run.key,
      ...(run.quick !== undefined ? { quick: run.quick } : {}),
      since: run.since,
      dirs: run.dirs.map((dir) => [dir, stats.get(dir)?.sig ?? '']),
      reads: reads.paths.map((path, i) => {
        const text = reads.texts[i];
        return [path, text === undefined ? null : (stats.get(under(run.root, path))?.sig ?? null), digestOf(text)];
      }),
      conclusion: result.conclusion,
    };
    mkdirSync(join(this.file, '..'), { recursive: true });
    // The reports first: a reader that meets the previous header with a new report tells them apart by id.
    this.writeRendered(header.id, rendered);
    if (edit) writeFileAtomicSync(this.editFile(), JSON.stringify(edit(header.id)));
    writeFileAtomicSync(this.file, `${JSON.stringify(header)}\n${JSON.stringify(result)}`);
  }
}

/**
 * The first line of `file`, newline included, read in chunks: a run whose files changed, or that prints
 * its kept report, needs the header only, a tenth of a memo that keeps every source it linted.
 */
function readFirstLine(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let size = 256 * 1024;
    for (;;) {
      const chunk = Buffer.allocUnsafe(size);
      const read = readSync(fd, chunk, 0, size, null);
      const newline = chunk.subarray(0, read).indexOf(10);
      if (newline !== -1) {
        chunks.push(chunk.subarray(0, newline + 1));
        return Buffer.concat(chunks);
      }
      if (read === 0) throw new Error('no header line');
      chunks.push(chunk.subarray(0, read));
      size *= 2;
    }
  } finally {
    closeSync(fd);
  }
}
