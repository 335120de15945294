// The sandbox: a PGlite in a worker thread that replays a migration history and applies new migrations
// statement by statement, in the transaction mode their tool uses.
//
// When a hard limit stops the worker (deadline, memory, a silently dead instance) the sandbox is dead
// for good: the statement gets an error outcome and everything after it in this sandbox is 'not-run'.
// It does not restart itself: whoever wants to continue starts a new sandbox from a snapshot.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogSnapshot, MigrationStatus, Queryable, StatementObservation, StatementOutcome } from '../types.js';
import { pgliteVersion } from './cluster.js';
import { readCatalog } from './catalog.js';
import { contribModulesFor, extensionsIn, isSupportedExtension } from './extensions.js';
import { captureState, observeStatement } from './observe.js';
import { copyFromBlob, isCopyFromStdin, lineAtPosition, needsAutocommit, transactionControl } from './statements.js';
import { SandboxQueryError, SandboxStoppedError, WorkerClient } from './worker-client.js';

export interface PreparedStatement {
  index: number;
  text: string;
  line: number;
  endLine: number;
  copyData?: string;
}

export interface PreparedMigration {
  file: string;
  inTransaction: boolean;
  statements: PreparedStatement[];
}

export interface SandboxOptions {
  /** Per-statement deadline; an overrun terminates the worker. */
  statementTimeoutMs: number;
  /** How far the process RSS may grow above the ready sandbox while a statement runs. */
  memoryMb: number;
  /** Extensions to load, named as in CREATE EXTENSION. Unsupported names are ignored. */
  extensions?: string[];
  /** Start from this snapshot (snapshot()) instead of the fresh cluster. Load the same extensions. */
  tarball?: Uint8Array;
  /** Deadline for starting the worker; 60 s by default (a busy machine is slow to compile the WASM). */
  startTimeoutMs?: number;
}

export interface MigrationRun {
  status: MigrationStatus;
  outcomes: StatementOutcome[];
  /** An extension the sandbox cannot provide was created here; later errors may stem from it. */
  missingExtension?: string;
}

export interface Sandbox extends Queryable {
  readonly engine: { name: 'pglite' | 'postgres'; version: string };
  /** Why the sandbox stopped (deadline, memory, dead instance, closed); undefined while it runs. */
  readonly stopped: SandboxStoppedError | undefined;
  runSetup(name: string, sql: string): Promise<void>;
  replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]>;
  apply(file: PreparedMigration, opts: { trace: boolean }): Promise<MigrationRun>;
  catalog(): Promise<CatalogSnapshot>;
  snapshot(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Setup SQL (a prelude) failed: the review cannot replay anything on top of it. */
export class SandboxSetupError extends Error {
  constructor(
    readonly setupName: string,
    message: string,
    readonly line?: number,
    readonly sqlstate?: string,
  ) {
    super(`setup "${setupName}" failed${line ? ` at line ${line}` : ''}: ${message}`);
    this.name = 'SandboxSetupError';
  }
}

/** Health checks, COMMIT/ROLLBACK and similar bookkeeping should take milliseconds. */
const BOOKKEEPING_TIMEOUT_MS = 10_000;
/** Snapshots of a large history take a while to gzip. */
const DUMP_TIMEOUT_MS = 120_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;

export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const loadable = (options.extensions ?? []).filter(isSupportedExtension).map((name) => name.toLowerCase());
  const client = await WorkerClient.start(
    {
      contribModules: contribModulesFor(loadable),
      // Temp files live in memory in PGlite: half the memory bound, so the RSS watch rarely has to act.
      tempFileLimitMb: Math.max(16, Math.floor(options.memoryMb / 2)),
      wasmModule: await pgliteWasmModule(),
      ...(options.tarball ? { tarball: options.tarball } : {}),
    },
    { memoryMb: options.memoryMb, startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS },
  );
  return new WorkerSandbox(client, options, new Set(loadable));
}

let compiledWasm: Promise<WebAssembly.Module> | undefined;

/** pglite.wasm compiled once per process; a compiled module is shared with workers without recompiling. */
function pgliteWasmModule(): Promise<WebAssembly.Module> {
  compiledWasm ??= (async () => {
    const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
    // @types/node declares WebAssembly's types but not its value.
    const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;
    return wasm.compile(await readFile(join(dirname(entry), 'pglite.wasm')));
  })().catch((error: unknown) => {
    compiledWasm = undefined;
    throw error;
  });
  return compiledWasm;
}

type StatementResult =
  | { status: 'ok' }
  | { status: 'error'; error: NonNullable<StatementOutcome['error']> }
  | { status: 'stopped'; error: NonNullable<StatementOutcome['error']> };

class WorkerSandbox implements Sandbox {
  readonly engine: { name: 'pglite'; version: string };
  private tracing = false;

  constructor(
    private readonly client: WorkerClient,
    private readonly options: SandboxOptions,
    private readonly loadedExtensions: ReadonlySet<string>,
  ) {
    this.engine = { name: 'pglite', version: `${pgliteVersion()} (PostgreSQL ${client.serverVersion})` };
  }

  get stopped(): SandboxStoppedError | undefined {
    return this.client.stopped;
  }

  // ---- Queryable: every call is bounded by the statement deadline --------------------------------

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> {
    const result = await this.client.query(sql, params, this.options.statementTimeoutMs);
    return { rows: result.rows as T[] };
  }

  exec(sql: string): Promise<unknown> {
    return this.client.exec(sql, this.options.statementTimeoutMs);
  }

  // ---- setup, replay, apply ----------------------------------------------------------------------

  async runSetup(name: string, sql: string): Promise<void> {
    try {
      await this.client.exec(sql, this.options.statementTimeoutMs);
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
      runs.push(this.fastPathAllowed(file) ? await this.replayWhole(file) : await this.apply(file, { trace: false }));
      onProgress?.(runs.length, files.length);
    }
    return runs;
  }

  async apply(file: PreparedMigration, opts: { trace: boolean }): Promise<MigrationRun> {
    const started = performance.now();
    const outcomes: StatementOutcome[] = [];
    if (this.client.stopped) return this.notRun(file, this.client.stopped.message);
    if (opts.trace) await this.startTracing();

    const wrap = file.inTransaction && !file.statements.some((s) => transactionControl(s.text));
    let openBlock = false; // a transaction block is open (ours or the file's own BEGIN)
    let halted: string | undefined; // why the rest of the file does not run
    let missingExtension: string | undefined;

    if (wrap && file.statements.length > 0) {
      const begun = await this.bookkeeping('BEGIN');
      if (begun) return this.notRun(file, begun);
      openBlock = true;
    }

    for (const statement of file.statements) {
      const base = { index: statement.index, line: statement.line, endLine: statement.endLine };
      if (halted) {
        outcomes.push({ ...base, status: 'not-run', durationMs: 0 });
        continue;
      }
      const missing = this.missingExtensionOf(statement.text);
      if (missing) {
        missingExtension ??= missing.name;
        outcomes.push({ ...base, status: 'not-run', durationMs: 0, error: { message: missing.message, line: statement.line } });
        continue;
      }

      const control = transactionControl(statement.text);
      // Locks show only while held: a traced autocommit statement runs in its own block, which changes
      // nothing else since an autocommit statement is its own transaction anyway.
      const ownBlock = opts.trace && !openBlock && !control && !needsAutocommit(statement.text);
      const before = opts.trace ? await this.capture(ownBlock) : undefined;
      const stoppedWhileTracing = this.stoppedReason();
      if (stoppedWhileTracing) {
        outcomes.push({ ...base, status: 'error', durationMs: 0, error: this.stoppedError(statement.line) });
        halted = stoppedWhileTracing;
        continue;
      }

      const t0 = performance.now();
      const result = await this.runStatement(statement);
      const durationMs = Math.round((performance.now() - t0) * 10) / 10;

      if (result.status !== 'ok') {
        outcomes.push({ ...base, status: 'error', durationMs, error: result.error });
        halted = result.error.message;
        if (result.status === 'error' && (openBlock || ownBlock)) await this.bookkeeping('ROLLBACK');
        openBlock = false;
        continue;
      }
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
      const dead = await this.healthCheck(statement.line);
      if (dead) {
        outcomes.push({ ...base, status: 'error', durationMs, error: dead });
        halted = dead.message;
        openBlock = false;
        continue;
      }
      outcomes.push({ ...base, status: 'ok', durationMs, ...(observation ? { observation } : {}) });
    }

    if (wrap && !halted && openBlock) {
      const committed = await this.commitOutcome(outcomes);
      if (committed) halted = committed;
    } else if (openBlock && !halted) {
      // The file left its own transaction open: Postgres would roll it back when the session ends.
      await this.bookkeeping('ROLLBACK');
    }
    return this.run(file, outcomes, started, missingExtension);
  }

  async catalog(): Promise<CatalogSnapshot> {
    return readCatalog(this);
  }

  snapshot(): Promise<Uint8Array> {
    return this.client.dump(DUMP_TIMEOUT_MS);
  }

  close(): Promise<void> {
    return this.client.close(BOOKKEEPING_TIMEOUT_MS);
  }

  // ---- internals ---------------------------------------------------------------------------------

  private fastPathAllowed(file: PreparedMigration): boolean {
    return file.statements.every(
      (s) =>
        s.copyData === undefined &&
        !isCopyFromStdin(s.text) &&
        !transactionControl(s.text) &&
        !needsAutocommit(s.text) &&
        !this.missingExtensionOf(s.text),
    );
  }

  /**
   * The whole file in one exec: one round trip instead of one per statement. Postgres runs a
   * multi-statement string as one implicit transaction, so a failure leaves nothing behind and the
   * file is re-run statement by statement to find the failing line and reach the state its tool would
   * leave (autocommit files keep the statements before the error).
   */
  private async replayWhole(file: PreparedMigration): Promise<MigrationRun> {
    if (file.statements.length === 0) return this.run(file, [], performance.now());
    const started = performance.now();
    // A newline before each separator: a statement may end in a `--` comment.
    const text = file.statements.map((s) => s.text).join('\n;\n');
    try {
      await this.client.exec(text, this.options.statementTimeoutMs);
    } catch (error) {
      if (!(error instanceof SandboxQueryError)) return this.stoppedRun(file, started);
      const cleanup = await this.bookkeeping('ROLLBACK');
      if (cleanup) return this.stoppedRun(file, started);
      return this.apply(file, { trace: false });
    }
    const durationMs = performance.now() - started;
    const last = file.statements[file.statements.length - 1]!;
    const dead = await this.healthCheck(last.line);
    if (dead) {
      const first = file.statements[0]!;
      const outcomes: StatementOutcome[] = file.statements.map((s) => ({
        index: s.index, line: s.line, endLine: s.endLine, status: 'not-run', durationMs: 0,
      }));
      outcomes[0] = { index: first.index, line: first.line, endLine: first.endLine, status: 'error', durationMs, error: { ...dead, line: first.line } };
      return this.run(file, outcomes, started);
    }
    // Per-statement durations are unknown on the fast path; the file's total is on the status.
    const outcomes: StatementOutcome[] = file.statements.map((s) => ({
      index: s.index, line: s.line, endLine: s.endLine, status: 'ok', durationMs: 0,
    }));
    return this.run(file, outcomes, started);
  }

  private async runStatement(statement: PreparedStatement): Promise<StatementResult> {
    const timeout = this.options.statementTimeoutMs;
    try {
      const blobSql = copyFromBlob(statement.text);
      if (blobSql !== undefined) await this.client.copy(blobSql, statement.copyData ?? '', timeout);
      else await this.client.exec(statement.text, timeout);
      return { status: 'ok' };
    } catch (error) {
      if (error instanceof SandboxQueryError) {
        return {
          status: 'error',
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

  /** Read through a method: TypeScript would keep a narrowing of the getter across awaits. */
  private stoppedReason(): string | undefined {
    return this.client.stopped?.message;
  }

  private stoppedError(line: number, error?: unknown): NonNullable<StatementOutcome['error']> {
    const stopped = error instanceof SandboxStoppedError ? error : this.client.stopped;
    if (!stopped) return { message: error instanceof Error ? error.message : String(error), line };
    return { message: stopped.message, sqlstate: stopped.sqlstate, line };
  }

  /**
   * `SELECT 1` must return its row. Some statements (COPY … FROM PROGRAM) leave the instance dead:
   * later queries return nothing or never return, while PGlite still reports itself ready.
   */
  private async healthCheck(line: number): Promise<NonNullable<StatementOutcome['error']> | undefined> {
    const message = "the sandbox's Postgres stopped working after this statement; the sandbox was stopped";
    try {
      const result = await this.client.query('SELECT 1 AS alive', undefined, Math.min(this.options.statementTimeoutMs, BOOKKEEPING_TIMEOUT_MS));
      if (result.rows[0]?.alive === 1) return undefined;
    } catch (error) {
      // A Postgres error is an answer (e.g. in an aborted transaction); anything else is not.
      if (error instanceof SandboxQueryError && error.sqlstate) return undefined;
      if (error instanceof SandboxStoppedError && error.reason !== 'timeout') return this.stoppedError(line, error);
    }
    this.client.stop('died', message);
    return { message, sqlstate: 'XX000', line };
  }

  /** Runs a bookkeeping statement; returns why it failed, or undefined. */
  private async bookkeeping(sql: string): Promise<string | undefined> {
    try {
      await this.client.exec(sql, Math.max(this.options.statementTimeoutMs, BOOKKEEPING_TIMEOUT_MS));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** COMMIT of the file's transaction; deferred constraints fail here and count against the last statement. */
  private async commitOutcome(outcomes: StatementOutcome[]): Promise<string | undefined> {
    try {
      await this.client.exec('COMMIT', this.options.statementTimeoutMs);
      return undefined;
    } catch (error) {
      const last = [...outcomes].reverse().find((o) => o.status === 'ok') ?? outcomes[outcomes.length - 1];
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof SandboxQueryError) await this.bookkeeping('ROLLBACK');
      if (last) {
        last.status = 'error';
        last.error = {
          message: `at COMMIT: ${message}`,
          line: last.line,
          ...(error instanceof SandboxQueryError || error instanceof SandboxStoppedError ? (error.sqlstate ? { sqlstate: error.sqlstate } : {}) : {}),
          ...(error instanceof SandboxQueryError && error.detail ? { detail: error.detail } : {}),
        };
      }
      return message;
    }
  }

  private missingExtensionOf(text: string): { name: string; message: string } | undefined {
    for (const name of extensionsIn(text)) {
      if (!isSupportedExtension(name)) {
        return {
          name,
          message: `extension "${name}" is not available in the PGlite sandbox; this statement was not run and statements that depend on it may fail`,
        };
      }
      const lower = name.toLowerCase();
      if (lower !== 'plpgsql' && !this.loadedExtensions.has(lower)) {
        return { name, message: `extension "${name}" was not loaded when the sandbox started; this statement was not run` };
      }
    }
    return undefined;
  }

  private async startTracing(): Promise<void> {
    if (this.tracing) return;
    this.tracing = true;
    // The first traced capture records the relations that exist now (after the history) as pre-existing.
    await captureState(this).catch(() => undefined);
  }

  private async capture(ownBlock: boolean): Promise<Awaited<ReturnType<typeof captureState>> | undefined> {
    if (ownBlock && (await this.bookkeeping('BEGIN'))) return undefined;
    try {
      return await captureState(this);
    } catch {
      return undefined; // tracing is best effort; the statement still runs
    }
  }

  private async observe(before: Awaited<ReturnType<typeof captureState>>, inTransaction: boolean): Promise<StatementObservation | undefined> {
    try {
      return await observeStatement(this, before, inTransaction);
    } catch {
      return undefined;
    }
  }

  private notRun(file: PreparedMigration, reason: string): MigrationRun {
    const outcomes: StatementOutcome[] = file.statements.map((s) => ({
      index: s.index, line: s.line, endLine: s.endLine, status: 'not-run', durationMs: 0,
    }));
    return {
      status: {
        file: file.file,
        status: 'not-run',
        statements: file.statements.length,
        durationMs: 0,
        error: { message: reason, line: file.statements[0]?.line ?? 1 },
      },
      outcomes,
    };
  }

  private stoppedRun(file: PreparedMigration, started: number): MigrationRun {
    const error = this.stoppedError(file.statements[0]?.line ?? 1);
    const outcomes: StatementOutcome[] = file.statements.map((s, i) => ({
      index: s.index, line: s.line, endLine: s.endLine,
      status: i === 0 ? 'error' : 'not-run',
      durationMs: 0,
      ...(i === 0 ? { error } : {}),
    }));
    return this.run(file, outcomes, started);
  }

  private run(file: PreparedMigration, outcomes: StatementOutcome[], started: number, missingExtension?: string): MigrationRun {
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
}
