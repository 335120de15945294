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
import type { CatalogSnapshot, MigrationStatus, StatementObservation, StatementOutcome } from '../../types.js';
import { readCatalog } from '../catalog.js';
import { extensionsIn } from '../extensions.js';
import { captureState, observeStatement } from '../observe.js';
import { SandboxSetupError, type MigrationRun, type PreparedMigration, type PreparedStatement, type SandboxOptions } from '../sandbox.js';
import { isCopyFromStdin, lineAtPosition, needsAutocommit, transactionControl } from '../statements.js';
import { SandboxQueryError, SandboxStoppedError } from '../worker-client.js';
import { PostgresSandboxError, checkServer, connect, createDatabase, dropDatabase, sweepWith, type ServerInfo } from './admin.js';
import { liveSandboxDatabases, trackDatabase, untrackDatabase } from './cleanup.js';
import { SandboxSession } from './connection.js';
import { sandboxDatabaseName, urlForDatabase } from './names.js';

export interface PostgresSandboxOptions extends SandboxOptions {
  /** A scratch server; its role needs CREATEDB. Only databases named pgpro_sbx_… are ever created or dropped. */
  url: string;
  /** Leftovers older than this are dropped at start (default one hour); false skips the sweep. */
  sweepOlderThanMs?: number | false;
}

/** The Sandbox interface as this engine implements it (the PGlite one's, with the engine name widened). */
export interface PostgresSandbox {
  readonly engine: { name: 'postgres'; version: string };
  readonly alive: boolean;
  /** Why the sandbox stopped (deadline, closed); undefined while it runs. */
  readonly stopped: SandboxStoppedError | undefined;
  /** The throwaway database's name (for logs and tests). */
  readonly database: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  runSetup(name: string, sql: string): Promise<void>;
  replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]>;
  apply(file: PreparedMigration, opts: { trace: boolean }): Promise<MigrationRun>;
  catalog(): Promise<CatalogSnapshot>;
  snapshot(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** snapshot() on the postgres engine: the review should replay instead of caching. */
export class SnapshotNotSupportedError extends Error {
  constructor() {
    super('the postgres sandbox engine cannot snapshot a database; the history is replayed on every review');
    this.name = 'SnapshotNotSupportedError';
  }
}

const BOOKKEEPING_TIMEOUT_MS = 10_000;
/** The client deadline trails the server's statement_timeout so that the server normally ends it cleanly. */
const CLIENT_MARGIN_MS = 1000;
const QUERY_CANCELED = '57014';
/** PG ≤ 15: no control file (58P01); PG 16+: "extension … is not available" (0A000). */
const EXTENSION_MISSING = new Set(['58P01', '0A000']);

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
    const ms = Math.max(1, Math.round(options.statementTimeoutMs));
    // Startup options, not SET: their source is 'client', which tells them apart from a migration's SET.
    const client = await connect(urlForDatabase(options.url, name), 'pgpro-sandbox', `-c statement_timeout=${ms} -c lock_timeout=${ms}`);
    const pid = (await client.query<{ pid: number }>('select pg_catalog.pg_backend_pid() as pid')).rows[0]!.pid;
    return new ServerSandbox(admin, client, pid, info, name, options);
  } catch (error) {
    if (name) {
      await dropDatabase(admin, name, info!.versionNum).catch(() => undefined);
      untrackDatabase(name);
    }
    await admin.end().catch(() => undefined);
    throw error;
  }
}

type StatementResult =
  | { status: 'ok' }
  | { status: 'error'; error: NonNullable<StatementOutcome['error']>; sqlstate?: string }
  | { status: 'stopped'; error: NonNullable<StatementOutcome['error']> };

class ServerSandbox implements PostgresSandbox {
  readonly engine: { name: 'postgres'; version: string };
  private readonly session: SandboxSession;
  private tracing = false;
  private disposed: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly admin: pg.Client,
    client: pg.Client,
    pid: number,
    private readonly info: ServerInfo,
    readonly database: string,
    private readonly options: PostgresSandboxOptions,
  ) {
    this.engine = { name: 'postgres', version: info.version };
    this.session = new SandboxSession(client, pid, admin, (stopped) => {
      if (stopped.reason !== 'closed') void this.dispose();
    });
  }

  get alive(): boolean {
    return !this.session.stopped;
  }

  get stopped(): SandboxStoppedError | undefined {
    return this.session.stopped;
  }

  // ---- Queryable -----------------------------------------------------------------------------------

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> {
    const result = await this.session.query(sql, params, this.deadline());
    return { rows: result.rows as T[] };
  }

  exec(sql: string): Promise<unknown> {
    return this.session.exec(sql, this.deadline());
  }

  // ---- setup, replay, apply ------------------------------------------------------------------------

  async runSetup(name: string, sql: string): Promise<void> {
    try {
      await this.session.exec(sql, this.deadline());
    } catch (error) {
      if (error instanceof SandboxQueryError) {
        throw new SandboxSetupError(name, error.message, error.position ? lineAtPosition(sql, 1, error.position) : undefined, error.sqlstate);
      }
      throw new SandboxSetupError(name, error instanceof Error ? error.message : String(error));
    }
  }

  async replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]> {
    const runs: MigrationRun[] = [];
    for (const file of files) {
      runs.push(fastPathAllowed(file) ? await this.replayWhole(file) : await this.apply(file, { trace: false }));
      onProgress?.(runs.length, files.length);
    }
    return runs;
  }

  async apply(file: PreparedMigration, opts: { trace: boolean }): Promise<MigrationRun> {
    const started = performance.now();
    const outcomes: StatementOutcome[] = [];
    if (this.session.stopped) return notRun(file, this.session.stopped.message);
    if (opts.trace) await this.startTracing();

    const wrap = file.inTransaction && !file.statements.some((s) => transactionControl(s.text));
    let openBlock = false;
    let halted: string | undefined;
    let missingExtension: string | undefined;

    if (wrap && file.statements.length > 0) {
      const begun = await this.bookkeeping('BEGIN');
      if (begun) return notRun(file, begun);
      openBlock = true;
    }

    for (const statement of file.statements) {
      const base = { index: statement.index, line: statement.line, endLine: statement.endLine };
      if (halted) {
        outcomes.push({ ...base, status: 'not-run', durationMs: 0 });
        continue;
      }
      const control = transactionControl(statement.text);
      const ownBlock = opts.trace && !openBlock && !control && !needsAutocommit(statement.text);
      const before = opts.trace ? await this.capture(ownBlock) : undefined;
      // A missing extension must not abort the file's transaction: try it under a savepoint.
      const creatingExtension = extensionsIn(statement.text)[0];
      const guarded = creatingExtension !== undefined && (openBlock || ownBlock) && !(await this.bookkeeping('SAVEPOINT pgpro_extension'));

      const t0 = performance.now();
      const result = await this.runStatement(statement);
      const durationMs = performance.now() - t0;

      if (result.status === 'error' && creatingExtension !== undefined && result.sqlstate && EXTENSION_MISSING.has(result.sqlstate)) {
        if (guarded) await this.bookkeeping('ROLLBACK TO SAVEPOINT pgpro_extension');
        if (ownBlock) await this.bookkeeping('ROLLBACK');
        missingExtension ??= creatingExtension;
        outcomes.push({
          ...base,
          status: 'not-run',
          durationMs,
          error: {
            message: `extension "${creatingExtension}" is not available on the sandbox server (PostgreSQL ${this.info.version}); this statement was not run and statements that depend on it may fail`,
            line: statement.line,
          },
        });
        continue;
      }
      if (result.status === 'stopped') await this.dispose(); // the database is gone when apply returns
      if (result.status !== 'ok') {
        outcomes.push({ ...base, status: 'error', durationMs, error: result.error });
        halted = result.error.message;
        if (result.status === 'error' && (openBlock || ownBlock)) await this.bookkeeping('ROLLBACK');
        openBlock = false;
        continue;
      }
      if (guarded) await this.bookkeeping('RELEASE SAVEPOINT pgpro_extension');
      if (control === 'begin') openBlock = true;
      if (control === 'end') openBlock = false;

      let observation: StatementObservation | undefined;
      if (before) observation = await this.observe(before, openBlock);
      if (ownBlock) {
        const committed = await this.bookkeeping('COMMIT');
        if (committed) {
          outcomes.push({ ...base, status: 'error', durationMs, error: { message: committed, line: statement.line } });
          halted = committed;
          continue;
        }
      }
      outcomes.push({ ...base, status: 'ok', durationMs, ...(observation ? { observation } : {}) });
    }

    if (wrap && !halted && openBlock) {
      const committed = await this.commitOutcome(outcomes);
      if (committed) halted = committed;
    } else if (openBlock && !halted) {
      await this.bookkeeping('ROLLBACK'); // the file left its own transaction open
    }
    return run(file, outcomes, started, missingExtension);
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

  // ---- internals -----------------------------------------------------------------------------------

  private deadline(): number {
    return this.options.statementTimeoutMs + CLIENT_MARGIN_MS;
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

  private async replayWhole(file: PreparedMigration): Promise<MigrationRun> {
    const started = performance.now();
    if (file.statements.length === 0) return run(file, [], started);
    const text = file.statements.map((s) => s.text).join('\n;\n');
    try {
      await this.session.exec(text, this.deadline());
    } catch (error) {
      if (error instanceof SandboxQueryError && !this.session.stopped && error.sqlstate !== QUERY_CANCELED) {
        // The implicit transaction rolled back: find the failing line statement by statement.
        return this.apply(file, { trace: false });
      }
      if (error instanceof SandboxQueryError) this.stopForTimeout();
      await this.dispose();
      const failure = this.stoppedError(file.statements[0]!.line, error);
      const outcomes: StatementOutcome[] = file.statements.map((s, i) => ({
        index: s.index, line: s.line, endLine: s.endLine, status: i === 0 ? 'error' : 'not-run', durationMs: 0,
        ...(i === 0 ? { error: failure } : {}),
      }));
      return run(file, outcomes, started);
    }
    const outcomes: StatementOutcome[] = file.statements.map((s) => ({
      index: s.index, line: s.line, endLine: s.endLine, status: 'ok', durationMs: 0,
    }));
    return run(file, outcomes, started);
  }

  private async runStatement(statement: PreparedStatement): Promise<StatementResult> {
    const timeout = this.deadline();
    try {
      if (isCopyFromStdin(statement.text)) await this.session.copyFrom(statement.text, statement.copyData ?? '', timeout);
      else await this.session.exec(statement.text, timeout);
      return { status: 'ok' };
    } catch (error) {
      if (error instanceof SandboxQueryError && error.sqlstate === QUERY_CANCELED) {
        // The server's statement_timeout: a hard limit, as in PGlite.
        this.stopForTimeout();
        return { status: 'stopped', error: this.stoppedError(statement.line) };
      }
      if (error instanceof SandboxQueryError) {
        return {
          status: 'error',
          ...(error.sqlstate ? { sqlstate: error.sqlstate } : {}),
          error: {
            message: error.message,
            line: lineAtPosition(statement.text, statement.line, error.position),
            ...(error.sqlstate ? { sqlstate: error.sqlstate } : {}),
            ...(error.detail ? { detail: error.detail } : {}),
            ...(error.hint ? { hint: error.hint } : {}),
          },
        };
      }
      return { status: 'stopped', error: this.stoppedError(statement.line, error) };
    }
  }

  private stopForTimeout(): void {
    const seconds = Number((this.options.statementTimeoutMs / 1000).toFixed(3));
    this.session.stop('timeout', `statement did not finish within ${seconds} s; the sandbox was stopped`);
  }

  private stoppedError(line: number, error?: unknown): NonNullable<StatementOutcome['error']> {
    const stopped = error instanceof SandboxStoppedError ? error : this.session.stopped;
    if (!stopped) return { message: error instanceof Error ? error.message : String(error), line };
    return { message: stopped.message, sqlstate: stopped.sqlstate, line };
  }

  private async bookkeeping(sql: string): Promise<string | undefined> {
    try {
      await this.session.exec(sql, Math.max(this.deadline(), BOOKKEEPING_TIMEOUT_MS));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private async commitOutcome(outcomes: StatementOutcome[]): Promise<string | undefined> {
    try {
      await this.session.exec('COMMIT', this.deadline());
      return undefined;
    } catch (error) {
      const last = [...outcomes].reverse().find((o) => o.status === 'ok') ?? outcomes[outcomes.length - 1];
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof SandboxQueryError) await this.bookkeeping('ROLLBACK');
      if (last) {
        const sqlstate = error instanceof SandboxQueryError || error instanceof SandboxStoppedError ? error.sqlstate : undefined;
        last.status = 'error';
        last.error = {
          message: `at COMMIT: ${message}`,
          line: last.line,
          ...(sqlstate ? { sqlstate } : {}),
          ...(error instanceof SandboxQueryError && error.detail ? { detail: error.detail } : {}),
        };
      }
      return message;
    }
  }

  private async startTracing(): Promise<void> {
    if (this.tracing) return;
    this.tracing = true;
    await captureState(this).catch(() => undefined);
  }

  private async capture(ownBlock: boolean): Promise<Awaited<ReturnType<typeof captureState>> | undefined> {
    if (ownBlock && (await this.bookkeeping('BEGIN'))) return undefined;
    try {
      return await captureState(this);
    } catch {
      return undefined;
    }
  }

  private async observe(before: Awaited<ReturnType<typeof captureState>>, inTransaction: boolean): Promise<StatementObservation | undefined> {
    try {
      const observation = await observeStatement(this, before, inTransaction);
      return await this.withoutInjectedTimeouts(observation);
    } catch {
      return undefined;
    }
  }

  /**
   * The sandbox's own statement_timeout/lock_timeout are not the migration's: a timeout set at
   * connection start (source 'client') reads as unset ('0'), as it would in PGlite.
   */
  private async withoutInjectedTimeouts<T extends StatementObservation>(observation: T): Promise<T> {
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
}

function fastPathAllowed(file: PreparedMigration): boolean {
  return file.statements.every(
    (s) =>
      s.copyData === undefined &&
      !isCopyFromStdin(s.text) &&
      !transactionControl(s.text) &&
      !needsAutocommit(s.text) &&
      extensionsIn(s.text).length === 0,
  );
}

function notRun(file: PreparedMigration, reason: string): MigrationRun {
  const outcomes: StatementOutcome[] = file.statements.map((s) => ({
    index: s.index, line: s.line, endLine: s.endLine, status: 'not-run', durationMs: 0,
  }));
  return {
    status: { file: file.file, status: 'not-run', statements: file.statements.length, durationMs: 0, error: { message: reason, line: file.statements[0]?.line ?? 1 } },
    outcomes,
  };
}

function run(file: PreparedMigration, outcomes: StatementOutcome[], started: number, missingExtension?: string): MigrationRun {
  const failed = outcomes.find((o) => o.status === 'error');
  const status: MigrationStatus = {
    file: file.file,
    status: failed ? 'failed' : 'applied',
    statements: file.statements.length,
    durationMs: Math.round(performance.now() - started),
    ...(failed?.error
      ? { error: { message: failed.error.message, line: failed.error.line, ...(failed.error.sqlstate ? { sqlstate: failed.error.sqlstate } : {}) } }
      : {}),
  };
  return { status, outcomes, ...(missingExtension ? { missingExtension } : {}) };
}
