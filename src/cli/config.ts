// The config a CLI run uses: --config, else the nearest config file up to the repository root, else the defaults.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFileAtomicSync } from '../atomic-file.js';
import { filesNewestFirstSync } from '../cache-files.js';
import { nodeCrypto } from '../node-crypto.js';
import { cacheDir } from '../cache-dir.js';
import { builtCodeId } from '../code-id.js';
import { defaultsWithoutSchema } from '../config/defaults.js';
import type { PgproConfig } from '../config/schema.js';
import { UsageError, type CliArgs } from './args.js';

/**
 * Validated configs kept on disk (a review's cache directory): reading the YAML parser and the schema
 * validator is ~80 ms of a CLI review's start, before its sandbox can begin, for a file that rarely
 * changes. An entry is named by a hash of the file's path and text and the code that validates it
 * (`code`, pgpro's code id), and is written only when its JSON is the validated config exactly.
 */
export interface ConfigMemo {
  dir: string;
  /** Names the code that parses and validates configs; none keeps no memo (builtCodeId: a build's own id). */
  code?: string;
}

/**
 * Where a CLI run keeps validated configs: none without the cache (--no-cache) or run from the sources.
 * The code is identified when a config file is read, not before: a run without one reads nothing more.
 */
export function configMemo(cache: boolean, env: NodeJS.ProcessEnv): ConfigMemo | undefined {
  return cache
    ? {
        dir: join(cacheDir(env), 'config'),
        get code() {
          return builtCodeId();
        },
      }
    : undefined;
}

export async function loadCliConfig(args: Pick<CliArgs, 'config' | 'cwd' | 'failOn'>, memo?: ConfigMemo): Promise<PgproConfig> {
  const config = await readConfig(args, memo);
  return args.failOn ? { ...config, 'fail-on': args.failOn } : config;
}

const NAMES = ['pgpro.yml', 'pgpro.yaml', join('.github', 'pgpro.yml'), join('.github', 'pgpro.yaml')];

/**
 * The config files to try, nearest first: in the working directory and each directory above it, up to
 * the repository's root (the directory holding .git) or the filesystem's.
 */
function configCandidates(cwd: string): string[] {
  const candidates: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    candidates.push(...NAMES.map((name) => join(dir, name)));
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return candidates;
  }
}

async function readConfig(args: Pick<CliArgs, 'config' | 'cwd'>, memo?: ConfigMemo): Promise<PgproConfig> {
  const candidates = args.config ? [resolve(args.cwd, args.config)] : configCandidates(args.cwd);
  for (const file of candidates) {
    let text: string;
    try {
      // Synchronous: a run without a config file tries a dozen names, and `pgpro lint` answered from its
      // memo has nothing else to wait for.
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (args.config) throw new UsageError(`Cannot read the config file ${args.config}: ${(error as Error).message}`);
      continue;
    }
    return memoized(file, text, memo, async () => {
      // The YAML parser is loaded only when there is YAML to read (it is a good part of a lint's start).
      const { parseConfig } = await import('../config/parse.js');
      return parseConfig(text, file);
    });
  }
  return defaultsWithoutSchema();
}

/** The config `parse` gives for `file`'s `text`, from the memo when it holds it (then kept there). */
export async function memoized(file: string, text: string, memo: ConfigMemo | undefined, parse: () => Promise<PgproConfig>): Promise<PgproConfig> {
  if (!memo?.code) return parse();
  const key = nodeCrypto().createHash('sha256').update(`pgpro-config-v1\0${memo.code}\0${resolve(file)}\0${text}`).digest('hex');
  const entry = join(memo.dir, `${key}.json`);
  try {
    return JSON.parse(readFileSync(entry, 'utf8')) as PgproConfig;
  } catch {
    // a miss, or an entry not whole: parsed below
  }
  // An invalid config throws here, and is never kept.
  const config = await parse();
  const json = JSON.stringify(config);
  if (isDeepStrictEqual(JSON.parse(json), config)) {
    try {
      mkdirSync(memo.dir, { recursive: true });
      writeFileAtomicSync(entry, json);
      boundMemo(memo.dir);
    } catch {
      // only the next run's shortcut
    }
  }
  return config;
}

/** Entries kept at most: one per config file, pgpro version and build in use. */
const MEMO_ENTRIES = 64;

/** Keeps the newest MEMO_ENTRIES entries (run on a miss only: a hit lists nothing). */
function boundMemo(dir: string): void {
  const names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  if (names.length <= MEMO_ENTRIES) return;
  for (const { name } of filesNewestFirstSync(dir, names).slice(MEMO_ENTRIES)) rmSync(join(dir, name), { force: true });
}
