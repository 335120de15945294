// The sandbox: a PGlite in a worker thread that replays a migration history and applies new migrations
// statement by statement, in the transaction mode their tool uses.
//
// When a hard limit stops the worker (deadline, memory, a silently dead instance) the sandbox is dead
// for good: the statement gets an error outcome and everything after it in this sandbox is 'not-run'.
// It does not restart itself: whoever wants to continue starts a new sandbox from a snapshot.
import type { CatalogSnapshot, MigrationStatus, Queryable, StatementObservation, StatementOutcome } from '../types.js';
import { freshClusterTarball, gzipTar, pgliteVersion } from './cluster.js';
import { readCatalog } from './catalog.js';
import { contribModulesFor, extensionsIn, isSupportedExtension } from './extensions.js';
import { BOOKKEEPING_TIMEOUT_MS, MigrationRunner, type ApplyOptions, type ExtensionAvailability, type SandboxEngine, type StatementError } from './runner.js';
import type { ReviewLimits, SandboxTimeBudget } from './limits.js';
import { copyFromBlob } from './statements.js';
import { SandboxQueryError, SandboxStoppedError, WorkerClient } from './worker-client.js';
import { forgetPreexisting } from './observe.js';
import { pgliteWasmModule } from './wasm-module.js';
import { WAL_INSERT_LSN } from './protocol.js';

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
  /** The sandbox's own memory, absolute: Postgres' heap, its files and its worker's JS heap (memory-bound.ts). */
  memoryMb: number;
  /** Extensions to load, named as in CREATE EXTENSION. Unsupported names are ignored. */
  extensions?: string[];
  /** Start from this snapshot (snapshot()) instead of the fresh cluster. Load the same extensions. */
  tarball?: Uint8Array;
  /** Deadline for starting the worker; 60 s by default (a busy machine is slow to compile the WASM). */
  startTimeoutMs?: number;
  /**
   * Stops the sandbox at once, the statement in flight included: the review's deadline and its
   * cancellation. The abort reason's message says why (limits.ts).
   */
  signal?: AbortSignal;
  /** Sandbox time the review's sandboxes share (limits.sandbox-seconds). */
  timeBudget?: SandboxTimeBudget;
}

export interface MigrationRun {
  status: MigrationStatus;
  outcomes: StatementOutcome[];
  /** An extension the sandbox cannot provide was created here (that statement was skipped). */
  missingExtension?: string;
  /**
   * Statements not run because they need an extension the sandbox does not have (created here or in an
   * earlier file): they failed on an undefined type, function or relation after it was skipped.
   */
  extensionGaps?: { line: number; extension: string; message: string }[];
}

export interface Sandbox extends Queryable {
  readonly engine: { name: 'pglite' | 'postgres'; version: string };
  /** Why the sandbox stopped (deadline, memory, dead instance, closed); undefined while it runs. */
  readonly stopped: SandboxStoppedError | undefined;
  /** The memory its bound counts (Postgres' heap and files), now and at most; PGlite only. */
  readonly memory?: { readonly usedBytes: number; readonly peakBytes: number };
  runSetup(name: string, sql: string): Promise<void>;
  replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]>;
  /** Each replayed or applied file starts in a fresh session of its own (session.ts). */
  apply(file: PreparedMigration, opts: ApplyOptions): Promise<MigrationRun>;
  /** A fresh session with the database- and role-level settings, as production's sessions start. */
  startSession(): Promise<void>;
  catalog(): Promise<CatalogSnapshot>;
  /**
   * The state as a data-directory tarball that `restore` and `SandboxOptions.tarball` take. By default
   * gzipped, for storage; `'restore'`: only to be restored in this process, so a small one stays a plain
   * tar (gzipping it only to unpack it again costs more than its bytes). `gzipTar` before storing one.
   */
  snapshot(use?: SnapshotUse): Promise<Uint8Array>;
  /**
   * Starts over from a snapshot in the same sandbox (cheaper than a new one): everything since is
   * gone. Only engines that snapshot have it.
   */
  restore?(tarball: Uint8Array): Promise<void>;
  /**
   * The snapshot the sandbox was started or last restored from, if its state is still that snapshot's:
   * no migration, setup or exec() ran since and Postgres logged no change (its WAL did not move). Then
   * a snapshot of it now would only be another copy of that one. Only engines that snapshot have it.
   */
  unchangedSince?(): Promise<Uint8Array | undefined>;
  /**
   * Hands the sandbox to a review: its stop signal and sandbox-time budget replace the ones the sandbox
   * was started with, which reach it no more. Only while it runs nothing; engines that can be started
   * ahead of time (a warm pool) have it.
   */
  bindReview?(limits: ReviewLimits): void;
  close(): Promise<void>;
}

export { SandboxSetupError } from './runner.js';

/** What a snapshot is for: stored (gzipped), or restored in this process (plain when small). */
export type SnapshotUse = 'store' | 'restore';

/**
 * Snapshots up to this size taken for a restore stay plain tars: the fix point of a short history is
 * ~40 MB plain (5 MB gzipped), and level-1 gzip plus gunzip of it cost ~0.3 s on the review's path. A
 * review holds one (the fix point: the states before later new migrations are stored gzipped), so it
 * may be as large as a data directory whose synthetic rows filled a second 16 MB WAL segment (a
 * 300-file history: 68 MB, whose gzip alone was ~0.25 s of a cold review's path). A larger one is
 * gzipped.
 */
export const PLAIN_SNAPSHOT_MAX_BYTES = 128 * 1024 * 1024;

const ALIVE_PROBE = 'SELECT 1 AS alive';

/** Snapshots of a large history take a while to gzip. */
const DUMP_TIMEOUT_MS = 120_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;

export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const loadable = (options.extensions ?? []).filter(isSupportedExtension).map((name) => name.toLowerCase());
  const start = await startingPoint(options.tarball);
  const client = await WorkerClient.start(
    {
      contribModules: contribModulesFor(loadable),
      // Temp files live in memory in PGlite: half the memory bound, so a spilling sort usually fails on
      // temp_file_limit before the bound stops the sandbox.
      tempFileLimitMb: Math.max(16, Math.floor(options.memoryMb / 2)),
      ...start,
    },
    {
      memoryMb: options.memoryMb,
      startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeBudget ? { budget: options.timeBudget } : {}),
    },
  );
  return new WorkerSandbox(client, options, new Set(loadable), { tarball: start.tarball, walLsn: client.startWalLsn });
}

/** The compiled WASM and the data directory a worker starts from, made at once (both off this thread). */
async function startingPoint(tarball: Uint8Array | undefined): Promise<{ wasmModule: WebAssembly.Module; tarball: Uint8Array }> {
  // As stored (gzipped): the worker inflates it straight into its file system (archive-fs.ts).
  const [wasmModule, tar] = await Promise.all([pgliteWasmModule(), tarball ?? freshClusterTarball()]);
  return { wasmModule, tarball: tar };
}

class WorkerSandbox implements Sandbox, SandboxEngine {
  readonly engine: { name: 'pglite'; version: string };
  readonly extensions: ExtensionAvailability;
  private runner = new MigrationRunner(this);

  constructor(
    private readonly client: WorkerClient,
    private readonly options: SandboxOptions,
    private readonly loadedExtensions: ReadonlySet<string>,
    /** The snapshot the instance started from and where its WAL ended then; dropped once SQL not pgpro's own may have run. */
    private origin: { tarball: Uint8Array; walLsn: string } | undefined,
  ) {
    this.engine = { name: 'pglite', version: `${pgliteVersion()} (PostgreSQL ${client.serverVersion})` };
    this.extensions = { kind: 'known', missing: (text) => this.missingExtensionOf(text) };
  }

  get stopped(): SandboxStoppedError | undefined {
    return this.client.stopped;
  }

  get memory(): { usedBytes: number; peakBytes: number } {
    return this.client.memory;
  }

  get statementDeadlineMs(): number {
    return this.options.statementTimeoutMs;
  }

  // ---- Queryable: every call is bounded by the statement deadline --------------------------------

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> {
    const result = await this.client.query(sql, params, this.options.statementTimeoutMs);
    return { rows: result.rows as T[] };
  }

  exec(sql: string): Promise<unknown> {
    return this.leavingOrigin(() => this.client.exec(sql, this.options.statementTimeoutMs));
  }

  // ---- setup, replay, apply (runner.ts) ----------------------------------------------------------

  runSetup(name: string, sql: string): Promise<void> {
    return this.leavingOrigin(() => this.runner.runSetup(name, sql));
  }

  replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]> {
    return this.leavingOrigin(() => this.runner.replay(files, onProgress));
  }

  apply(file: PreparedMigration, opts: ApplyOptions): Promise<MigrationRun> {
    return this.leavingOrigin(() => this.runner.apply(file, opts));
  }

  /**
   * Runs SQL that is not pgpro's own: it may change the state in ways the WAL does not show (ALTER
   * SYSTEM writes a file), so the sandbox is no longer known to be in its origin's state.
   */
  private leavingOrigin<T>(run: () => Promise<T>): Promise<T> {
    this.origin = undefined;
    return run();
  }

  startSession(): Promise<void> {
    return this.runner.startSession();
  }

  async catalog(): Promise<CatalogSnapshot> {
    return readCatalog(this);
  }

  async snapshot(use: SnapshotUse = 'store'): Promise<Uint8Array> {
    const tar = await this.client.dump(DUMP_TIMEOUT_MS);
    return use === 'restore' && tar.byteLength <= PLAIN_SNAPSHOT_MAX_BYTES ? tar : gzipTar(tar);
  }

  bindReview(limits: ReviewLimits): void {
    this.client.rebind({ ...(limits.signal ? { signal: limits.signal } : {}), ...(limits.timeBudget ? { budget: limits.timeBudget } : {}) });
  }

  async unchangedSince(): Promise<Uint8Array | undefined> {
    const origin = this.origin;
    if (!origin?.walLsn || this.client.stopped) return undefined;
    const now = await this.client.query(`SELECT ${WAL_INSERT_LSN} AS lsn`, undefined, BOOKKEEPING_TIMEOUT_MS);
    return this.origin === origin && now.rows[0]?.lsn === origin.walLsn ? origin.tarball : undefined;
  }

  async restore(tarball: Uint8Array): Promise<void> {
    this.origin = undefined;
    const walLsn = await this.client.restore(tarball, DUMP_TIMEOUT_MS);
    this.origin = { tarball, walLsn };
    // The runner's trace state belonged to the instance that is gone, and so did its baseline.
    this.runner = new MigrationRunner(this);
    forgetPreexisting(this);
  }

  close(): Promise<void> {
    return this.client.close(BOOKKEEPING_TIMEOUT_MS);
  }

  // ---- SandboxEngine -----------------------------------------------------------------------------

  execWithin(sql: string, timeoutMs: number): Promise<unknown> {
    return this.client.exec(sql, timeoutMs);
  }

  async runStatement(statement: PreparedStatement, timeoutMs: number): Promise<void> {
    const blobSql = copyFromBlob(statement.text);
    if (blobSql !== undefined) await this.client.copy(blobSql, statement.copyData ?? '', timeoutMs);
    else await this.client.exec(statement.text, timeoutMs);
  }

  /**
   * The file, then `SELECT 1` in the same simple-query string: one worker round trip instead of two
   * per history file. A dead instance answers the probe with no row (see healthCheck).
   */
  async runScript(sql: string, timeoutMs: number, line: number): Promise<StatementError | undefined> {
    const results = await this.client.exec(`${sql}\n;\n${ALIVE_PROBE}`, timeoutMs);
    if (results.at(-1)?.rows[0]?.alive === 1) return undefined;
    return this.healthCheck(line);
  }

  /** The worker is gone already; nothing is left to clean up. */
  async settleStop(): Promise<void> {}

  /**
   * `SELECT 1` must return its row. Some statements (COPY … FROM PROGRAM) leave the instance dead:
   * later queries return nothing or never return, while PGlite still reports itself ready.
   */
  async healthCheck(line: number): Promise<StatementError | undefined> {
    const message = "the sandbox's Postgres stopped working after this statement; the sandbox was stopped";
    try {
      const result = await this.client.query(ALIVE_PROBE, undefined, Math.min(this.options.statementTimeoutMs, BOOKKEEPING_TIMEOUT_MS));
      if (result.rows[0]?.alive === 1) return undefined;
    } catch (error) {
      // A Postgres error is an answer (e.g. in an aborted transaction); anything else is not.
      if (error instanceof SandboxQueryError && error.sqlstate) return undefined;
      if (error instanceof SandboxStoppedError && error.reason !== 'timeout') return this.runner.stoppedError(line, error);
    }
    this.client.stop('died', message);
    return { message, sqlstate: 'XX000', line };
  }

  async refineObservation(observation: StatementObservation): Promise<StatementObservation> {
    return observation;
  }

  // ---- internals ---------------------------------------------------------------------------------

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
}
