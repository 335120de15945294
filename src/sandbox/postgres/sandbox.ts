// The sandbox on a real PostgreSQL server: a throwaway database per review, replayed and traced the way
// the PGlite sandbox does it (same outcomes, same observations), and always dropped afterwards: on
// close, when a deadline stops it, on SIGINT/SIGTERM or exit (cleanup.ts), and by the sweep at the next
// start after a killed run.
//
// Differences from PGlite, by design:
// - A statement that hits the server's statement_timeout stops the sandbox, as the PGlite worker's
//   deadline does, and its database is dropped at once. Ad-hoc query()/exec() (EXPLAIN, agent tools)
//   that time out only fail: the server cancelled them cleanly.
// - snapshot() is not supported (SnapshotNotSupportedError): the review replays the history instead of
//   restoring a cached snapshot. A PGlite tarball is meaningless here, so `tarball` is refused.
// - Extensions are whatever the server has; CREATE EXTENSION of a missing one is reported like PGlite's
//   (`missingExtension`, statement not run) and the rest of the file still runs.
import type pg from 'pg';
import type { CatalogSnapshot, StatementObservation } from '../../types.js';
import { readCatalog } from '../catalog.js';
import { BOOKKEEPING_TIMEOUT_MS, MigrationRunner, type ApplyOptions, type ExtensionAvailability, type SandboxEngine, type StatementError } from '../runner.js';
import type { MigrationRun, PreparedMigration, PreparedStatement, Sandbox, SandboxOptions } from '../sandbox.js';
import { isCopyFromStdin } from '../statements.js';
import { stopMessage } from '../limits.js';
import { SandboxQueryError, SandboxStoppedError } from '../worker-client.js';
import { PostgresSandboxError, checkServer, connect, createDatabase, createReaderRole, createSandboxRole, dropDatabase, runsAsSandboxRole, sweepWith, type ServerInfo } from './admin.js';
import { liveSandboxDatabases, trackDatabase, untrackDatabase } from './cleanup.js';
import { SandboxSession } from './connection.js';
import { sandboxDatabaseName, urlForDatabase } from './names.js';

export interface PostgresSandboxOptions extends SandboxOptions {
  /** A scratch server; its role needs CREATEDB. Only databases named pgpro_sbx_… are ever created or dropped. */
  url: string;
  /** Leftovers older than this are dropped at start (default one hour); false skips the sweep. */
  sweepOlderThanMs?: number | false;
}

/** The Sandbox on a server: its engine name, and the throwaway database it lives in. */
export interface PostgresSandbox extends Sandbox {
  readonly engine: { name: 'postgres'; version: string };
  readonly alive: boolean;
  /** The throwaway database's name (for logs and tests). */
  readonly database: string;
  /**
   * The role the agent's tool queries run as (admin.ts createReaderRole), granted to the migration
   * role; undefined when the URL's role cannot create roles.
   */
  readonly readerRole: string | undefined;
}

/** snapshot() on the postgres engine: the review should replay instead of caching. */
export class SnapshotNotSupportedError extends Error {
  constructor() {
    super('the postgres sandbox engine cannot snapshot a database; the history is replayed on every review');
    this.name = 'SnapshotNotSupportedError';
  }
}

/** The client deadline trails the server's statement_timeout so that the server normally ends it cleanly. */
const CLIENT_MARGIN_MS = 1000;
const QUERY_CANCELED = '57014';
/** PG ≤ 15: no control file (58P01); PG 16+: "extension … is not available" (0A000). */
const EXTENSION_MISSING = new Set(['58P01', '0A000']);
const INSUFFICIENT_PRIVILEGE = '42501';

export async function createPostgresSandbox(options: PostgresSandboxOptions): Promise<PostgresSandbox> {
  if (options.tarball) {
    throw new PostgresSandboxError('the postgres sandbox engine cannot start from a PGlite snapshot; do not use the snapshot cache with it');
  }
  const admin = await connect(options.url);
  let info: ServerInfo;
  let name: string | undefined;
  try {
    info = await checkServer(admin);
    if (options.sweepOlderThanMs !== false) {
      await sweepWith(admin, info.versionNum, options.sweepOlderThanMs ?? 3_600_000, { keep: liveSandboxDatabases() }).catch(() => undefined);
    }
    name = sandboxDatabaseName();
    await createDatabase(admin, name);
    trackDatabase(name, options.url, info.versionNum);
    // As the URL's role, a migration could run programs or read files on the server if it is privileged
    // (COPY … FROM PROGRAM, pg_read_file), end the sessions of pgpro and of every other review (all the
    // URL role's), or drop their databases: when it can, pgpro runs migrations as a role made for this
    // sandbox, which owns its database and nothing else (runsAsSandboxRole).
    const login = runsAsSandboxRole(info) ? await createSandboxRole(admin, name, info) : undefined;
    // The agent's tools read as a role of their own; a URL role that cannot create roles gets none, and
    // the tools then refuse to query (src/stages/agent.ts).
    const reader = info.createrole ? await createReaderRole(admin, name, login?.role ?? info.role) : undefined;
    const ms = Math.max(1, Math.round(options.statementTimeoutMs));
    // Startup options, not SET: their source is 'client', which tells them apart from a migration's SET.
    const client = await connect(sessionUrl(options.url, name, login), 'pgpro-sandbox', `-c statement_timeout=${ms} -c lock_timeout=${ms}`);
    const pid = (await client.query<{ pid: number }>('select pg_catalog.pg_backend_pid() as pid')).rows[0]!.pid;
    return new ServerSandbox(admin, client, pid, info, name, options, reader);
  } catch (error) {
    if (name) {
      await dropDatabase(admin, name, info!.versionNum).catch(() => undefined);
      untrackDatabase(name);
    }
    await admin.end().catch(() => undefined);
    throw error;
  }
}

/** The sandbox database's URL, as the sandbox role when pgpro made one. */
function sessionUrl(url: string, database: string, login: { role: string; password: string } | undefined): string {
  const parsed = new URL(urlForDatabase(url, database));
  if (login) {
    parsed.username = encodeURIComponent(login.role);
    parsed.password = encodeURIComponent(login.password);
  }
  return parsed.toString();
}

class ServerSandbox implements PostgresSandbox, SandboxEngine {
  readonly engine: { name: 'postgres'; version: string };
  readonly extensions: ExtensionAvailability;
  /** The server's statement_timeout is this sandbox's deadline: a database-level setting must not lift it. */
  readonly pinnedSettings = ['statement_timeout'] as const;
  private readonly session: SandboxSession;
  private readonly runner = new MigrationRunner(this);
  private disposed: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly admin: pg.Client,
    client: pg.Client,
    pid: number,
    private readonly info: ServerInfo,
    readonly database: string,
    private readonly options: PostgresSandboxOptions,
    readonly readerRole: string | undefined,
  ) {
    this.engine = { name: 'postgres', version: info.version };
    this.extensions = {
      kind: 'probed',
      unavailable: (name, sqlstate) =>
        sqlstate && EXTENSION_MISSING.has(sqlstate)
          ? `extension "${name}" is not available on the sandbox server (PostgreSQL ${info.version}); this statement was not run and statements that depend on it may fail`
          : sqlstate === INSUFFICIENT_PRIVILEGE && runsAsSandboxRole(info)
            ? `extension "${name}" is not trusted: only a superuser may create it, and the sandbox runs migrations as an unprivileged role; this statement was not run and statements that depend on it may fail`
            : undefined,
    };
    this.session = new SandboxSession(
      client,
      pid,
      admin,
      (stopped) => {
        if (stopped.reason !== 'closed') void this.dispose();
        options.signal?.removeEventListener('abort', this.onAbort);
      },
      options.timeBudget,
    );
    if (options.signal?.aborted) this.onAbort();
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => this.session.cancel(stopMessage(this.options.signal!));

  get alive(): boolean {
    return !this.session.stopped;
  }

  get stopped(): SandboxStoppedError | undefined {
    return this.session.stopped;
  }

  get statementDeadlineMs(): number {
    return this.options.statementTimeoutMs + CLIENT_MARGIN_MS;
  }

  // ---- Queryable -----------------------------------------------------------------------------------

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> {
    const result = await this.session.query(sql, params, this.statementDeadlineMs);
    return { rows: result.rows as T[] };
  }

  exec(sql: string): Promise<unknown> {
    return this.session.exec(sql, this.statementDeadlineMs);
  }

  // ---- setup, replay, apply (runner.ts) ------------------------------------------------------------

  runSetup(name: string, sql: string): Promise<void> {
    return this.runner.runSetup(name, sql);
  }

  replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]> {
    return this.runner.replay(files, onProgress);
  }

  apply(file: PreparedMigration, opts: ApplyOptions): Promise<MigrationRun> {
    return this.runner.apply(file, opts);
  }

  startSession(): Promise<void> {
    return this.runner.startSession();
  }

  catalog(): Promise<CatalogSnapshot> {
    return readCatalog(this);
  }

  snapshot(): Promise<Uint8Array> {
    return Promise.reject(new SnapshotNotSupportedError());
  }

  /** Ends the session, drops the database, closes the admin connection. Safe to call twice. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.dispose();
      await this.admin.end().catch(() => undefined);
    })();
    return this.closed;
  }

  // ---- SandboxEngine -------------------------------------------------------------------------------

  execWithin(sql: string, timeoutMs: number): Promise<unknown> {
    return this.session.exec(sql, timeoutMs);
  }

  runStatement(statement: PreparedStatement, timeoutMs: number): Promise<void> {
    return this.migrationSql(async () => {
      if (isCopyFromStdin(statement.text)) await this.session.copyFrom(statement.text, statement.copyData ?? '', timeoutMs);
      else await this.session.exec(statement.text, timeoutMs);
    });
  }

  /** A server that stops answering ends the session: there is no separate health to check. */
  async runScript(sql: string, timeoutMs: number): Promise<StatementError | undefined> {
    await this.migrationSql(async () => {
      await this.session.exec(sql, timeoutMs);
    });
    return undefined;
  }

  /** The database is gone when the run reports the stop. */
  settleStop(): Promise<void> {
    return this.dispose();
  }

  /** A server that stops answering ends the session (SandboxSession): no check is needed. */
  async healthCheck(): Promise<StatementError | undefined> {
    return undefined;
  }

  /**
   * The sandbox's own statement_timeout/lock_timeout are not the migration's: a timeout set at
   * connection start (source 'client') reads as unset ('0'), as it would in PGlite.
   */
  async refineObservation(observation: StatementObservation): Promise<StatementObservation> {
    if (observation.lockTimeout === '0' && observation.statementTimeout === '0') return observation;
    const { rows } = await this.session.query(
      `select name, source from pg_catalog.pg_settings where name in ('lock_timeout', 'statement_timeout')`,
      undefined,
      BOOKKEEPING_TIMEOUT_MS,
    );
    const fromClient = new Set(rows.filter((r: { source: string }) => r.source === 'client').map((r: { name: string }) => r.name));
    return {
      ...observation,
      ...(fromClient.has('lock_timeout') ? { lockTimeout: '0' } : {}),
      ...(fromClient.has('statement_timeout') ? { statementTimeout: '0' } : {}),
    };
  }

  // ---- internals -----------------------------------------------------------------------------------

  /** The server's statement_timeout cancelling migration SQL is a hard limit, as PGlite's deadline is. */
  private async migrationSql(send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (error instanceof SandboxQueryError && error.sqlstate === QUERY_CANCELED) {
        this.stopForTimeout();
        throw this.session.stopped!;
      }
      throw error;
    }
  }

  /** The session ends and the database goes, whatever stopped the sandbox. */
  private dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await this.session.close();
      try {
        await dropDatabase(this.admin, this.database, this.info.versionNum);
        untrackDatabase(this.database);
      } catch {
        // Left tracked: the exit handler or the next sweep drops it.
      }
    })();
    return this.disposed;
  }

  private stopForTimeout(): void {
    const seconds = Number((this.options.statementTimeoutMs / 1000).toFixed(3));
    this.session.stop('timeout', `statement did not finish within ${seconds} s; the sandbox was stopped`);
  }
}
