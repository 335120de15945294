// The last `pgpro lint` run of a project root, kept whole: when nothing it depends on has changed, the
// next run (a pre-commit hook run again, an editor saving a file it did not touch) prints the same
// result without discovering the migrations again or opening the per-file lint cache.
//
// A run's result depends on pgpro's version, the config, the paths named on the command line, the list
// of files in the directories read, and the text of every file discovery read (migrations, their
// sidecars, a sqitch plan). All of that is the run's key: the listing and arguments hashed into `key`,
// the files read recorded by path (what the next run must read again to compare) with one digest of
// their texts. A missing, unreadable or foreign memo is no memo.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PgproConfig } from '../config/schema.js';
import type { FileTree, ReviewResult } from '../types.js';
import { VERSION } from '../version.js';

const FORMAT = 2;

interface StoredRun {
  format: number;
  key: string;
  /** Paths read by the run, in the order it read them. */
  reads: string[];
  /** Digest of those paths' texts (or absence). */
  digest: string;
  result: ReviewResult;
}

/** The key of everything a run depends on except the texts of the files it reads. */
export function runKey(input: { config: PgproConfig; files: readonly string[]; directories: readonly string[]; paths: readonly string[] }): string {
  return createHash('sha256')
    .update(`${VERSION}\0${JSON.stringify(input.config)}\0${JSON.stringify(input.files)}\0${JSON.stringify(input.directories)}\0`)
    .update(input.paths.join('\0'))
    .digest('hex');
}

function digestOf(paths: readonly string[], texts: readonly (string | undefined)[]): string {
  const hash = createHash('sha256');
  paths.forEach((path, i) => {
    const text = texts[i];
    hash.update(`${path}\0${text === undefined ? '\u0001' : `\u0002${text.length}\0`}`);
    if (text !== undefined) hash.update(text);
  });
  return hash.digest('hex');
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
export function recordingTree(tree: FileTree): { tree: FileTree; reads: () => Promise<{ paths: string[]; texts: (string | undefined)[] }> } {
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

/**
 * The memo on disk: a first line with the key, the reads and their digest, then the result, so that a run
 * whose key or files differ parses the short line only.
 */
export class RunMemo {
  private constructor(
    private readonly file: string,
    private readonly header: Omit<StoredRun, 'result'> | undefined,
    private readonly body: string,
  ) {}

  /** The memo of project `root` under `dir` (the lint cache's directory). */
  static open(dir: string, root: string): RunMemo {
    const file = join(dir, `${createHash('sha256').update(root).digest('hex').slice(0, 16)}.run.json`);
    try {
      const text = readFileSync(file, 'utf8');
      const newline = text.indexOf('\n');
      const header = JSON.parse(text.slice(0, newline)) as Omit<StoredRun, 'result'>;
      if (header.format === FORMAT && typeof header.key === 'string' && Array.isArray(header.reads) && typeof header.digest === 'string') {
        return new RunMemo(file, header, text.slice(newline + 1));
      }
    } catch {
      // No memo yet, or one this version cannot read.
    }
    return new RunMemo(file, undefined, '');
  }

  /** The kept result when the run's key matches and every file it read reads the same today. */
  async lookup(key: string, tree: FileTree): Promise<ReviewResult | undefined> {
    const header = this.header;
    if (!header || header.key !== key) return undefined;
    const texts = await Promise.all(header.reads.map((path) => tree.read(path)));
    if (digestOf(header.reads, texts) !== header.digest) return undefined;
    try {
      return JSON.parse(this.body) as ReviewResult;
    } catch {
      return undefined;
    }
  }

  /** Keeps `result` as the answer for `key` and these reads (replacing the previous run's). */
  save(key: string, reads: { paths: string[]; texts: (string | undefined)[] }, result: ReviewResult): void {
    const header: Omit<StoredRun, 'result'> = { format: FORMAT, key, reads: reads.paths, digest: digestOf(reads.paths, reads.texts) };
    mkdirSync(join(this.file, '..'), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(header)}\n${JSON.stringify(result)}`);
    renameSync(temporary, this.file);
  }
}
