// The config a CLI run uses: --config, else the nearest config file up to the repository root, else the defaults.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { defaultsWithoutSchema } from '../config/defaults.js';
import type { PgproConfig } from '../config/schema.js';
import { UsageError, type CliArgs } from './args.js';

export async function loadCliConfig(args: Pick<CliArgs, 'config' | 'cwd' | 'failOn'>): Promise<PgproConfig> {
  const config = await readConfig(args);
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

async function readConfig(args: Pick<CliArgs, 'config' | 'cwd'>): Promise<PgproConfig> {
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
    // The YAML parser is loaded only when there is YAML to read (it is a good part of a lint's start).
    const { parseConfig } = await import('../config/parse.js');
    return parseConfig(text, file);
  }
  return defaultsWithoutSchema();
}
