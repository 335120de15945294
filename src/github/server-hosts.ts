// Which database servers a repository's config may make the App connect to. The App runs for every
// repository it is installed on, so a URL in one repository's `.github/pgpro.yml` would otherwise have
// the App open connections from its own network (to its own database, say) on that repository's behalf.
import pg from 'pg';
import { ConfigError } from '../config/parse.js';
import type { PgproConfig } from '../config/schema.js';

export const SERVER_HOSTS_ENV = 'PGPRO_REPO_SERVER_HOSTS';

/** The operator's list: `host` or `host:port` entries, comma or space separated; none when unset. */
export function repoServerHosts(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[SERVER_HOSTS_ENV] ?? '')
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry.length > 0);
}

interface ServerAddress {
  host: string;
  port: number;
}

/** Where pg would connect for this URL (a Unix socket's directory is its host); undefined if unparsable. */
function addressOf(url: string): ServerAddress | undefined {
  try {
    const client = new pg.Client({ connectionString: url });
    return { host: String(client.host).toLowerCase(), port: Number(client.port) };
  } catch {
    return undefined;
  }
}

function listed(address: ServerAddress, hosts: readonly string[]): boolean {
  return hosts.some((entry) => {
    if (entry === address.host) return true;
    // host:port (a socket directory has no port of its own in the list).
    const colon = entry.lastIndexOf(':');
    return colon > 0 && !entry.startsWith('/') && entry.slice(0, colon) === address.host && Number(entry.slice(colon + 1)) === address.port;
  });
}

const KEYS = [
  { path: 'sandbox.url', read: (c: PgproConfig) => c.sandbox.url, operatorEnv: 'PGPRO_SANDBOX_URL' },
  { path: 'rehearsal.stats-url', read: (c: PgproConfig) => c.rehearsal['stats-url'], operatorEnv: 'PGPRO_STATS_URL' },
] as const;

/**
 * Throws ConfigError when the repository's config names a server the operator has not listed. The
 * message names the host and port only: the URL may hold a password, and the check run is public.
 */
export function refuseUnlistedServers(config: PgproConfig, hosts: readonly string[], file: string): void {
  const problems: { path: string; message: string }[] = [];
  for (const key of KEYS) {
    const url = key.read(config);
    if (url === undefined) continue;
    const address = addressOf(url);
    if (!address) {
      problems.push({ path: key.path, message: 'is not a valid PostgreSQL connection URL.' });
      continue;
    }
    if (listed(address, hosts)) continue;
    const where = address.host.startsWith('/') ? `the Unix socket in ${address.host}` : `${address.host}:${address.port}`;
    problems.push({
      path: key.path,
      message:
        `names the server ${where}, which this pgpro App may not connect to for a repository: ` +
        `its operator lists the servers repositories may name in ${SERVER_HOSTS_ENV} (${hosts.length === 0 ? 'none are listed' : `listed: ${hosts.join(', ')}`}). ` +
        `Remove the key to use the operator's own server (${key.operatorEnv}), if one is set, or ask the operator to list this one.`,
    });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
}
