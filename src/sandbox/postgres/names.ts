// Names of pgpro's throwaway databases. The name carries its creation time (UTC) so that a sweep can
// tell a leftover from a review in progress without any bookkeeping table; anything that does not
// match the exact pattern is never touched.
import { randomBytes } from 'node:crypto';

const PREFIX = 'pgpro_sbx_';
const NAME = /^pgpro_sbx_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_([0-9a-f]{8})$/;

/** `pgpro_sbx_<yyyymmddhhmmss>_<8 hex>`, the timestamp in UTC. */
export function sandboxDatabaseName(now: Date = new Date()): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const stamp =
    pad(now.getUTCFullYear(), 4) +
    pad(now.getUTCMonth() + 1) +
    pad(now.getUTCDate()) +
    pad(now.getUTCHours()) +
    pad(now.getUTCMinutes()) +
    pad(now.getUTCSeconds());
  return `${PREFIX}${stamp}_${randomBytes(4).toString('hex')}`;
}

/** When a sandbox database was created, or undefined when `name` is not one of pgpro's sandboxes. */
export function sandboxCreatedAt(name: string): Date | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Reject impossible dates (month 13, day 32) that Date.UTC would roll over.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || date.getUTCHours() !== hour) return undefined;
  return date;
}

export function isSandboxDatabaseName(name: string): boolean {
  return sandboxCreatedAt(name) !== undefined;
}

/** The role the agent's tool queries run as in a sandbox database: its name with this suffix. */
const READER_SUFFIX = '_reader';

export function readerRoleName(database: string): string {
  return `${database}${READER_SUFFIX}`;
}

/** The sandbox database a pgpro role belongs to (the migration role is named like it, the reader with a suffix). */
export function sandboxOfRole(role: string): string {
  return role.endsWith(READER_SUFFIX) ? role.slice(0, -READER_SUFFIX.length) : role;
}

/** A LIKE pattern that pre-filters candidates on the server; the regex above decides. */
export const SANDBOX_NAME_LIKE = 'pgpro\\_sbx\\_%';

/** The connection URL with its database replaced (pg lets a connection string override `database`). */
export function urlForDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
