import { quoteIdentifier as quoteIdent } from '../../sql/quote.js';
// Server-level operations on the sandbox server: who we are, creating and dropping pgpro's throwaway
// databases, cancelling a runaway backend, sweeping leftovers. Connects to the database named in the
// URL only to issue these commands; every DROP goes through a name check first, so no database that
// is not recognisably pgpro's is ever dropped.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SANDBOX_NAME_LIKE, isSandboxDatabaseName, readerRoleName, sandboxCreatedAt, sandboxOfRole } from './names.js';

/** A problem with the sandbox server the user must fix (URL, role privileges, reachability). */
export class PostgresSandboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresSandboxError';
  }
}

export interface ServerInfo {
  /** `server_version`, e.g. '15.20 (Debian 15.20-0+deb12u1)'. */
  version: string;
  versionNum: number;
  role: string;
  /**
   * Why the role could reach outside its databases (superuser, server file or program access, or
   * CREATEROLE before PostgreSQL 16, which can grant those); without CREATEROLE such a role is refused.
   */
  privileged?: string;
  /** The role can create roles (needed to drop privileges). */
  createrole: boolean;
}

/**
 * Whether migrations run as a role made for the sandbox (createSandboxRole) rather than as the URL's
 * role: always when the URL's role can create roles, and a privileged role that cannot is refused. As the
 * URL's role, a migration could signal the sessions of every review on the server (its own role's) and
 * drop or take their databases (its own); as the sandbox's role it owns its one database and nothing else.
 * A role with only CREATEDB runs them itself: there is no other role to run them as.
 */
export function runsAsSandboxRole(info: ServerInfo): boolean {
  return info.createrole || info.privileged !== undefined;
}



function describeConnectError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`;
}

export async function connect(url: string, applicationName = 'pgpro-admin', options: string | undefined = undefined): Promise<pg.Client> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, application_name: applicationName, ...(options ? { options } : {}) });
  } catch (error) {
    throw new PostgresSandboxError(`sandbox.url is not a valid PostgreSQL URL: ${describeConnectError(error)}`);
  }
  // A backend terminated under us emits 'error' on the client; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new PostgresSandboxError(`cannot connect to the sandbox server: ${describeConnectError(error)}`);
  }
  return client;
}

/** Server version and role; refuses a role that cannot create databases. */
export async function checkServer(admin: pg.Client): Promise<ServerInfo> {
  const { rows } = await admin.query<{
    version: string; num: string; role: string; createdb: boolean; superuser: boolean; createrole: boolean; server_files: string | null;
  }>(
    `select current_setting('server_version') as version, current_setting('server_version_num') as num,
            r.rolname as role, r.rolcreatedb as createdb, r.rolsuper as superuser, r.rolcreaterole as createrole,
            (select string_agg(g.rolname, ', ' order by g.rolname) from pg_catalog.pg_roles g
              where g.rolname in ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files')
                and pg_catalog.pg_has_role(current_user, g.oid, 'MEMBER')) as server_files
     from pg_catalog.pg_roles r where r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new PostgresSandboxError('the sandbox server did not report the current role');
  if (!row.createdb && !row.superuser) {
    throw new PostgresSandboxError(
      `the role "${row.role}" in sandbox.url lacks CREATEDB: pgpro creates a throwaway database for each review on the sandbox server and drops it afterwards. ` +
        `Grant it (ALTER ROLE ${quoteIdent(row.role)} CREATEDB) or use a role that has it, on a scratch server, never production.`,
    );
  }
  const versionNum = Number(row.num);
  const privileged = row.superuser
    ? 'superuser'
    : row.server_files
      ? `member of ${row.server_files}`
      : row.createrole && versionNum < 160000
        ? 'CREATEROLE before PostgreSQL 16'
        : undefined;
  return { version: row.version, versionNum, role: row.role, createrole: row.superuser || row.createrole, ...(privileged ? { privileged } : {}) };
}

/**
 * The role migrations run as (runsAsSandboxRole): named like the database, able to log in with a random
 * password (its own session, so no RESET ROLE leads back to the URL's role) and to own that one
 * database, and nothing more. No other role may connect to the database (CONNECT and TEMPORARY are taken
 * from PUBLIC), the sandbox roles of other reviews included.
 */
export async function createSandboxRole(admin: pg.Client, name: string, info: ServerInfo): Promise<{ role: string; password: string }> {
  assertSandboxName(name);
  if (!info.createrole) {
    throw new PostgresSandboxError(
      `the role "${info.role}" in sandbox.url is privileged (${info.privileged}) and cannot create the unprivileged role pgpro would run migrations as. ` +
        'Use a role with only LOGIN and CREATEDB (see docs/config.md), or grant this one CREATEROLE.',
    );
  }
  const password = randomBytes(24).toString('hex');
  await admin.query(
    `create role ${quoteIdent(name)} login password '${password}' nosuperuser nocreatedb nocreaterole noreplication nobypassrls`,
  );
  // A URL role that is not a superuser may only give the database to a role it is a member of (and must
  // be one to drop the database afterwards); the membership goes with the role.
  if (info.privileged !== 'superuser') await admin.query(`grant ${quoteIdent(name)} to ${quoteIdent(info.role)}`);
  await admin.query(`alter database ${quoteIdent(name)} owner to ${quoteIdent(name)}`);
  await admin.query(`revoke connect, temporary on database ${quoteIdent(name)} from public`);
  return { role: name, password };
}

/**
 * The role the agent's tool queries run as (src/stages/agent.ts): it cannot log in, has no attribute,
 * and is granted to the role migrations run as, so that their session can SET ROLE to it inside the
 * rolled-back transaction that lends it read rights on the migrations' tables. It can do nothing else:
 * not run the migrations' functions (EXECUTE is taken from PUBLIC there), read server files or signal
 * other sessions, which the migration role could do to sessions of its own (pgpro's included).
 */
export async function createReaderRole(admin: pg.Client, name: string, migrationRole: string): Promise<string> {
  assertSandboxName(name);
  const reader = readerRoleName(name);
  await admin.query(`create role ${quoteIdent(reader)} nologin noinherit nosuperuser nocreatedb nocreaterole noreplication nobypassrls`);
  await admin.query(`grant ${quoteIdent(reader)} to ${quoteIdent(migrationRole)}`);
  return reader;
}

/** Drops a sandbox's roles (after its database); only roles named after a sandbox database. */
export async function dropSandboxRole(admin: pg.Client, name: string): Promise<void> {
  assertSandboxName(name);
  await admin.query(`drop role if exists ${quoteIdent(readerRoleName(name))}`).catch(() => undefined);
  await admin.query(`drop role if exists ${quoteIdent(name)}`);
}

function assertSandboxName(name: string): void {
  if (!isSandboxDatabaseName(name)) throw new Error(`refusing to touch database "${name}": not a pgpro sandbox name`);
}

export async function createDatabase(admin: pg.Client, name: string): Promise<void> {
  assertSandboxName(name);
  // template0: nothing a server admin put into template1 leaks into the review.
  await admin.query(`create database ${quoteIdent(name)} template template0`);
}

/** Drops a sandbox database and disconnects whoever is still in it; then its role, if pgpro made one. */
export async function dropDatabase(admin: pg.Client, name: string, versionNum: number): Promise<void> {
  assertSandboxName(name);
  if (versionNum >= 130000) {
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`);
  } else {
    await admin.query('select pg_catalog.pg_terminate_backend(pid) from pg_catalog.pg_stat_activity where datname = $1 and pid <> pg_catalog.pg_backend_pid()', [name]);
    await admin.query(`drop database if exists ${quoteIdent(name)}`);
  }
  // A role that still owns something elsewhere stays for the sweep.
  await dropSandboxRole(admin, name).catch(() => undefined);
}

/** Cancels the running statement of a backend; terminates it when `terminate` is set. */
export async function signalBackend(admin: pg.Client, pid: number, terminate: boolean): Promise<void> {
  await admin.query(`select pg_catalog.${terminate ? 'pg_terminate_backend' : 'pg_cancel_backend'}($1)`, [pid]);
}

export interface SweepOptions {
  /** Names never swept (this process's live sandboxes). */
  keep?: ReadonlySet<string>;
  now?: Date;
}

/**
 * Drops pgpro sandbox databases older than `olderThanMs` (by the time in their name) that nobody is
 * connected to: leftovers of a killed run. A database in use belongs to a review still running.
 * Returns the names dropped; a database that cannot be dropped (another role's) is left alone.
 */
export async function sweepStaleSandboxes(url: string, olderThanMs = 3_600_000, options: SweepOptions = {}): Promise<string[]> {
  const admin = await connect(url, 'pgpro-sweep');
  try {
    const info = await checkServer(admin);
    return await sweepWith(admin, info.versionNum, olderThanMs, options);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export async function sweepWith(admin: pg.Client, versionNum: number, olderThanMs: number, options: SweepOptions = {}): Promise<string[]> {
  const now = (options.now ?? new Date()).getTime();
  const { rows } = await admin.query<{ name: string; connections: number }>(
    `select d.datname as name,
            (select count(*)::int from pg_catalog.pg_stat_activity a where a.datname = d.datname) as connections
     from pg_catalog.pg_database d where d.datname like $1`,
    [SANDBOX_NAME_LIKE],
  );
  const dropped: string[] = [];
  // Roles of sandboxes whose database is gone (a killed run dropped the database but not the role).
  const roles = await admin
    .query<{ name: string }>(
      `select r.rolname as name from pg_catalog.pg_roles r
       where r.rolname like $1
         and not exists (select 1 from pg_catalog.pg_database d where d.datname = pg_catalog.regexp_replace(r.rolname, '_reader$', ''))`,
      [SANDBOX_NAME_LIKE],
    )
    .catch(() => ({ rows: [] as { name: string }[] }));
  for (const name of new Set(roles.rows.map((role) => sandboxOfRole(role.name)))) {
    const created = sandboxCreatedAt(name);
    if (!created || options.keep?.has(name) || now - created.getTime() < olderThanMs) continue;
    await dropSandboxRole(admin, name).catch(() => undefined);
  }
  for (const row of rows) {
    const created = sandboxCreatedAt(row.name);
    if (!created || options.keep?.has(row.name)) continue;
    if (now - created.getTime() < olderThanMs || row.connections > 0) continue;
    try {
      await dropDatabase(admin, row.name, versionNum);
      dropped.push(row.name);
    } catch {
      // Not ours to drop (owned by another role) or already gone: leave it.
    }
  }
  return dropped;
}
