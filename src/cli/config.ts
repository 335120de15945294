// The config a CLI run uses: --config, else the first config file found, else the defaults.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { configSchema, type PgproConfig } from '../config/schema.js';
import { UsageError, type CliArgs } from './args.js';

export async function loadCliConfig(args: Pick<CliArgs, 'config' | 'cwd' | 'failOn'>): Promise<PgproConfig> {
  const config = await readConfig(args);
  return args.failOn ? { ...config, 'fail-on': args.failOn } : config;
}

async function readConfig(args: Pick<CliArgs, 'config' | 'cwd'>): Promise<PgproConfig> {
  const candidates = args.config ? [resolve(args.cwd, args.config)] : [join(args.cwd, 'pgpro.yml'), join(args.cwd, '.github', 'pgpro.yml')];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (args.config) throw new UsageError(`Cannot read the config file ${args.config}: ${(error as Error).message}`);
      continue;
    }
    // The YAML parser is loaded only when there is YAML to read (it is a good part of a lint's start).
    const { parseConfig } = await import('../config/parse.js');
    return parseConfig(text, file);
  }
  return configSchema.parse({});
}
