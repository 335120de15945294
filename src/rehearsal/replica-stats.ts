// Production sizes read from a replica's statistics (rehearsal.stats-url, PGPRO_STATS_URL or --stats-url):
// the same numbers the stats file's export query gives (docs/production-stats.md), read live in a
// read-only transaction, under a short statement timeout. The URL's credentials go nowhere but the
// connection: what the review says of the source is the database's name, and a failure's message is
// told without the URL.
import pg from 'pg';
import type { TableSize } from '../agent/types.js';

export interface ReplicaSizes {
  sizes: Map<string, TableSize>;
  /** How the source is named in evidence and notes: never the URL (it may hold a password). */
  source: string;
}

/** The query of docs/production-stats.md: rows as the larger of the live-tuple count and the planner's estimate. */
const STATS_QUERY = `
  select s.schemaname as schema, s.relname as name,
         greatest(s.n_live_tup, c.reltuples::bigint, 0)::int8 as rows,
         pg_catalog.pg_total_relation_size(s.relid)::int8 as bytes
    from pg_catalog.pg_stat_user_tables s
    join pg_catalog.pg_class c on c.oid = s.relid`;

/** The replica named without credentials: its database name, as the user gave it in the URL. */
export function replicaSource(url: string): string {
  let database = '';
  try {
    database = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  } catch {
    // An invalid URL is reported by the connection; the source stays unnamed.
  }
  return database ? `the statistics of the replica's database ${database} (rehearsal.stats-url)` : `the replica's statistics (rehearsal.stats-url)`;
}

/** Reads every user table's rows and total bytes. Throws an Error whose message holds no part of the URL. */
export async function readReplicaSizes(url: string, timeoutMs = 15_000): Promise<ReplicaSizes> {
  const source = replicaSource(url);
  let client: pg.Client;
  try {
    client = new pg.Client({
      connectionString: url,
      application_name: 'pgpro-stats',
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs + 1000,
    });
  } catch {
    throw new Error('the stats URL is not a valid PostgreSQL URL');
  }
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Read-only whatever the server is: a primary named by mistake is not written to either.
    await client.query('begin transaction isolation level repeatable read read only');
    const { rows } = await client.query<{ schema: string; name: string; rows: string; bytes: string }>(STATS_QUERY);
    await client.query('commit');
    const sizes = new Map<string, TableSize>();
    for (const row of rows) sizes.set(`${row.schema}.${row.name}`, { rows: Number(row.rows), bytes: Number(row.bytes), source });
    return { sizes, source };
  } catch (error) {
    throw new Error(withoutUrl(error, url));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** An error's message with no part of the URL in it (a driver may echo the host, the user or worse). */
function withoutUrl(error: unknown, url: string): string {
  const e = error as { message?: string; code?: string };
  let message = e.message ?? String(error);
  const secrets = [url];
  try {
    const parsed = new URL(url);
    secrets.push(parsed.password, decodeURIComponent(parsed.password), parsed.username, decodeURIComponent(parsed.username));
  } catch {
    // not a URL: the whole string is the secret
  }
  for (const secret of secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)) message = message.split(secret).join('…');
  return `${message}${e.code ? ` (${e.code})` : ''}`;
}
