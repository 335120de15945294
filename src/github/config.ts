import type { Context } from 'probot';
import { ConfigError, validateConfig } from '../config/parse.js';
import type { PgproConfig } from '../config/schema.js';
import { refuseUnlistedServers } from './server-hosts.js';

export const CONFIG_FILE = 'pgpro.yml';
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;

/**
 * Reads `.github/pgpro.yml` from the default branch (falling back to the org's `.github` repository) and
 * validates it, refusing servers the operator has not listed (`serverHosts`, see server-hosts.ts). Throws
 * ConfigError for anything the user can fix; network errors pass through.
 */
export async function loadConfig(context: Pick<Context, 'config'>, serverHosts: readonly string[]): Promise<PgproConfig> {
  let raw: unknown;
  try {
    raw = await context.config<Record<string, unknown>>(CONFIG_FILE);
  } catch (error) {
    if ((error as { status?: number }).status !== undefined) throw error;
    // The config plugin throws plain errors for unparsable YAML; the cause carries the line.
    const cause = (error as { cause?: unknown }).cause;
    const message = cause instanceof Error ? cause.message.split('\n')[0]! : 'the file is not valid YAML';
    throw new ConfigError(CONFIG_PATH, [{ path: '', message }]);
  }
  const config = validateConfig(raw, CONFIG_PATH);
  refuseUnlistedServers(config, serverHosts, CONFIG_PATH);
  return config;
}
