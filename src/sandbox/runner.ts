// The engine-independent half of a sandbox: setup SQL, the fast-path replay of a history and the
// statement-by-statement apply (transaction wrapping, tracing around each statement, outcomes, the
// rest of a file not run after a failure, missing extensions). An engine (the PGlite worker, a server
// database) only runs SQL under its deadlines and says when it has stopped.
import type { MigrationStatus, Queryable, StatementObservation, StatementOutcome } from '../types.js';
import { extensionsIn } from './extensions.js';
import { captureState, observeWithState, type RelationState } from './observe.js';
import { databaseSettingsSql, END_SESSION_SQL, startSessionSql } from './session.js';
import type { MigrationRun, PreparedMigration, PreparedStatement } from './sandbox.js';
import { isCopyFromStdin, lineAtPosition, needsAutocommit, transactionControl } from './statements.js';
import { SandboxQueryError, SandboxStoppedError } from './worker-client.js';

export type StatementError = NonNullable<StatementOutcome['error']>;

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

/**
 * What the runner needs from an engine. query()/exec() are the sandbox's own (bounded by its
 * statement deadline): tracing reads the catalog through them.
 */
export interface SandboxEngine extends Queryable {
  /** Why the engine stopped (deadline, memory, dead instance, closed); undefined while it runs. */
  readonly stopped: SandboxStoppedError | undefined;
  /** The deadline of a migration statement, of a whole file on the fast path and of setup SQL. */
  readonly statementDeadlineMs: number;
  /** exec() with a deadline of its own (bookkeeping: BEGIN, COMMIT, savepoints). */
  execWithin(sql: string, timeoutMs: number): Promise<unknown>;
  /**
   * Runs one migration statement, feeding a COPY from its data. A hard limit (the deadline) stops
   * the engine and throws SandboxStoppedError; a Postgres error throws SandboxQueryError.
   */
  runStatement(statement: PreparedStatement, timeoutMs: number): Promise<void>;
  /**
   * A whole file in one simple-query string; errors as runStatement's. Then, in the same round trip
   * where the engine can, whether it still answers (as healthCheck, at file line `line`).
   */
  runScript(sql: string, timeoutMs: number, line: number): Promise<StatementError | undefined>;
  /** After a hard limit stopped the engine, before the run reports it (a server drops its database). */
  settleStop(): Promise<void>;
  /** After a statement that succeeded: whether the engine still answers; if not, it is stopped. */
  healthCheck(line: number): Promise<StatementError | undefined>;
  /** Engine-specific touches on a traced observation. */
  refineObservation(observation: StatementObservation): Promise<StatementObservation>;
  readonly extensions: ExtensionAvailability;
  /** Settings the engine depends on (a server's statement_timeout is its deadline): a database-level SET leaves them. */
  readonly pinnedSettings?: readonly string[];
}

/**
 * PGlite knows before running a statement which extensions it cannot provide; a server finds out by
 * trying (under a savepoint, so that the file's transaction survives).
 */
export type ExtensionAvailability =
  | { kind: 'known'; missing(text: string): { name: string; message: string } | undefined }
  | { kind: 'probed'; unavailable(name: string, sqlstate: string | undefined): string | undefined };

type StatementResult = { status: 'ok' } | { status: 'error' | 'stopped'; error: StatementError };

/**
 * A second chance for a statement that failed only because of rows pgpro made up: run it again on the
 * same state without them (src/stages/synthetic-rerun.ts decides which statements and which rows).
 */
export interface SyntheticRowsRerun {
  /** Whether the statement touches tables holding synthetic rows (inside a transaction, a savepoint is set before it). */
  mayNeed(statement: PreparedStatement): boolean;
  /** For a failed statement: the tables to empty and the SQL that empties them; undefined for no re-run. */
  plan(statement: PreparedStatement, error: StatementError): { tables: string[]; sql: string } | undefined;
}

export interface ApplyOptions {
  trace: boolean;
  rerun?: SyntheticRowsRerun;
  /**
   * With trace: the relations (oids) the trace counts as pre-existing, whose locks, rewrites and scans
   * it reports. Without it, those that exist at this sandbox's first traced capture: right for the
   * review's own apply (it traces from the first new migration on), wrong for a run of a later file in
   * a sandbox of its own, which would count the tables earlier new migrations created as pre-existing.
   */
  preexisting?: ReadonlySet<number>;
}

const SYNTHETIC_SAVEPOINT = 'pgpro_synthetic';

/** Health checks, COMMIT/ROLLBACK and similar bookkeeping should take milliseconds. */
export const BOOKKEEPING_TIMEOUT_MS = 10_000;

/**
 * Errors a statement gets when a type, access method, operator class (42704) or function or operator
 * (42883) it names does not exist: after an extension the sandbox lacks was skipped, these are taken as
 * the statement needing it. A missing table (42P01) stays an error: extensions rarely provide tables.
 */
const UNDEFINED_OBJECT = new Set(['42704', '42883']);

export class MigrationRunner {
  private tracing = false;
  /** Extensions a file created that this engine cannot provide; statements needing them are not run. */
  private readonly absent: string[] = [];

  constructor(private readonly engine: SandboxEngine) {}

  async runSetup(name: string, sql: string): Promise<void> {
    try {
      await this.engine.execWithin(sql, this.engine.statementDeadlineMs);
    } catch (error) {
      if (error instanceof SandboxQueryError) {
        throw new SandboxSetupError(name, error.message, error.position ? lineAtPosition(sql, 1, error.position) : undefined, error.sqlstate);
      }
      throw new SandboxSetupError(name, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * A new session for the next file, as its tool would open one (session.ts): the previous file's
   * session state is gone and the database- and role-level settings are in effect.
   */
  async startSession(): Promise<void> {
    if (this.engine.stopped) return;
    const pinned = this.engine.pinnedSettings ?? [];
    if (!(await this.bookkeeping(startSessionSql(pinned)))) return;
    // The previous file left its transaction aborted, or a stored setting is one the server rejects.
    await this.bookkeeping('ROLLBACK');
    await this.bookkeeping(END_SESSION_SQL);
    await this.bookkeeping(databaseSettingsSql(pinned));
  }

  async replay(files: PreparedMigration[], onProgress?: (done: number, total: number) => void): Promise<MigrationRun[]> {
    const runs: MigrationRun[] = [];
    for (const file of files) {
      const stopped = this.stoppedReason();
      if (stopped) runs.push(notRun(file, stopped));
      else runs.push(this.fastPathAllowed(file) ? await this.replayWhole(file) : await this.apply(file, { trace: false }));
      onProgress?.(runs.length, files.length);
    }
    return runs;
  }

  async apply(file: PreparedMigration, opts: ApplyOptions): Promise<MigrationRun> {
    const engine = this.engine;
    const started = performance.now();
    const outcomes: StatementOutcome[] = [];
    if (engine.stopped) return notRun(file, engine.stopped.message);
    await this.startSession();
    if (opts.trace && !opts.preexisting) await this.startTracing();
    const baseline = opts.preexisting ? { preexisting: opts.preexisting } : undefined;

    const wrap = file.inTransaction && !file.statements.some((s) => transactionControl(s.text));
    let openBlock = false; // a transaction block is open (ours or the file's own BEGIN)
    let halted: string | undefined; // why the rest of the file does not run
    let missingExtension: string | undefined;
    let extensionGaps: MigrationRun['extensionGaps'];
    // Inside an open transaction the state after one traced statement is the state before the next (a
    // capture reads the whole catalog, so this halves tracing's cost there). Across a COMMIT it is not:
    // locks are released and scan counters move from the transaction's to the shared statistics.
    let carried: RelationState | undefined;

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
      const missing = engine.extensions.kind === 'known' ? engine.extensions.missing(statement.text) : undefined;
      if (missing) {
        missingExtension ??= missing.name;
        this.noteAbsent(missing.name);
        outcomes.push({ ...base, status: 'not-run', durationMs: 0, error: { message: missing.message, line: statement.line } });
        continue;
      }

      const control = transactionControl(statement.text);
      // Locks show only while held: a traced autocommit statement runs in its own block, which changes
      // nothing else since an autocommit statement is its own transaction anyway.
      const ownBlock = opts.trace && !openBlock && !control && !needsAutocommit(statement.text);
      const before = opts.trace ? await this.capture(ownBlock, carried, baseline) : undefined;
      carried = undefined;
      if (this.stoppedReason()) {
        await engine.settleStop();
        const error = this.stoppedError(statement.line);
        outcomes.push({ ...base, status: 'error', durationMs: 0, error });
        halted = error.message;
        continue;
      }
      // A missing extension must not abort the file's transaction: try it, and once an extension is
      // known to be missing every statement (it may need it), under a savepoint.
      const probing = engine.extensions.kind === 'probed' ? extensionsIn(statement.text)[0] : undefined;
      const guarded =
        (probing !== undefined || this.absent.length > 0) && (openBlock || ownBlock) && !(await this.bookkeeping('SAVEPOINT pgpro_extension'));

      const inBlock = openBlock || ownBlock;
      const rerunnable = opts.rerun?.mayNeed(statement) === true && (!inBlock || !(await this.bookkeeping(`SAVEPOINT ${SYNTHETIC_SAVEPOINT}`)));

      const t0 = performance.now();
      let result = await this.runStatement(statement);
      let failedOnSyntheticRows: StatementOutcome['failedOnSyntheticRows'];
      if (result.status === 'error' && rerunnable && opts.rerun) {
        const second = await this.rerunWithoutSyntheticRows(statement, result.error, opts.rerun, inBlock);
        if (second) ({ result, failedOnSyntheticRows } = second);
      } else if (result.status === 'ok' && rerunnable && inBlock) {
        await this.bookkeeping(`RELEASE SAVEPOINT ${SYNTHETIC_SAVEPOINT}`);
      }
      const durationMs = Math.round((performance.now() - t0) * 10) / 10;

      const unavailable =
        result.status === 'error' && probing !== undefined && engine.extensions.kind === 'probed'
          ? engine.extensions.unavailable(probing, result.error.sqlstate)
          : undefined;
      if (unavailable) {
        if (guarded) await this.bookkeeping('ROLLBACK TO SAVEPOINT pgpro_extension');
        if (ownBlock) await this.bookkeeping('ROLLBACK');
        missingExtension ??= probing;
        this.noteAbsent(probing!);
        outcomes.push({ ...base, status: 'not-run', durationMs, error: { message: unavailable, line: statement.line } });
        continue;
      }
      const recoverable = guarded || !(openBlock || ownBlock) || ownBlock;
      if (result.status === 'error' && this.absent.length > 0 && UNDEFINED_OBJECT.has(result.error.sqlstate ?? '') && recoverable) {
        if (guarded) await this.bookkeeping('ROLLBACK TO SAVEPOINT pgpro_extension');
        if (ownBlock) await this.bookkeeping('ROLLBACK');
        const extension = this.absent.join(', ');
        (extensionGaps ??= []).push({ line: statement.line, extension, message: result.error.message });
        outcomes.push({
          ...base,
          status: 'not-run',
          durationMs,
          error: { ...result.error, message: `not run: it needs the extension ${extension}, which the sandbox does not have (${result.error.message})` },
        });
        continue;
      }
      if (result.status === 'stopped') await engine.settleStop();
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
      let after: RelationState | undefined;
      // After a re-run the locks and scans are those of removing the synthetic rows too: not the statement's.
      if (before && !failedOnSyntheticRows) ({ observation, after } = await this.observe(before, openBlock));
      // A file's own BEGIN/COMMIT/ROLLBACK changes what is held or undoes work: capture afresh after it.
      if (after && !control && !ownBlock && openBlock) carried = after;
      if (ownBlock) {
        const committed = await this.bookkeeping('COMMIT');
        if (committed) {
          outcomes.push({ ...base, status: 'error', durationMs, error: { message: committed, line: statement.line } });
          halted = committed;
          carried = undefined;
          continue;
        }
      }
      const dead = await engine.healthCheck(statement.line);
      if (dead) {
        carried = undefined;
        outcomes.push({ ...base, status: 'error', durationMs, error: dead });
        halted = dead.message;
        openBlock = false;
        continue;
      }
      outcomes.push({
        ...base,
        status: 'ok',
        durationMs,
        ...(observation ? { observation } : {}),
        ...(failedOnSyntheticRows ? { failedOnSyntheticRows } : {}),
      });
    }

    if (wrap && !halted && openBlock) {
      const committed = await this.commitOutcome(outcomes);
      if (committed) halted = committed;
    } else if (openBlock && !halted) {
      // The file left its own transaction open: Postgres would roll it back when the session ends.
      await this.bookkeeping('ROLLBACK');
    }
    const run = migrationRun(file, outcomes, started, missingExtension);
    return extensionGaps ? { ...run, extensionGaps } : run;
  }

  private noteAbsent(name: string): void {
    if (!this.absent.includes(name)) this.absent.push(name);
  }

  /** Why the engine stopped; read through a method: TypeScript would keep a narrowing of the getter across awaits. */
  stoppedReason(): string | undefined {
    return this.engine.stopped?.message;
  }

  /** The error of a statement that a stopped engine (or an error that is not Postgres') ended. */
  stoppedError(line: number, error?: unknown): StatementError {
    const stopped = error instanceof SandboxStoppedError ? error : this.engine.stopped;
    if (!stopped) return { message: error instanceof Error ? error.message : String(error), line };
    return { message: stopped.message, sqlstate: stopped.sqlstate, line };
  }

  // ---- internals ---------------------------------------------------------------------------------

  private fastPathAllowed(file: PreparedMigration): boolean {
    const extensions = this.engine.extensions;
    return file.statements.every(
      (s) =>
        s.copyData === undefined &&
        !isCopyFromStdin(s.text) &&
        !transactionControl(s.text) &&
        !needsAutocommit(s.text) &&
        (extensions.kind === 'known' ? !extensions.missing(s.text) : extensionsIn(s.text).length === 0),
    );
  }

  /**
   * The whole file in one exec: one round trip instead of one per statement. Postgres runs a
   * multi-statement string as one implicit transaction, so a failure leaves nothing behind and the
   * file is re-run statement by statement to find the failing line and reach the state its tool would
   * leave (autocommit files keep the statements before the error).
   */
  private async replayWhole(file: PreparedMigration): Promise<MigrationRun> {
    const started = performance.now();
    if (file.statements.length === 0) return migrationRun(file, [], started);
    // A newline before each separator: a statement may end in a `--` comment. The file's fresh session
    // starts in the same round trip; if anything fails, apply() below starts it again on its own.
    const text = [startSessionSql(this.engine.pinnedSettings ?? []), ...file.statements.map((s) => s.text)].join('\n;\n');
    const last = file.statements[file.statements.length - 1]!;
    let dead: StatementError | undefined;
    try {
      dead = await this.engine.runScript(text, this.engine.statementDeadlineMs, last.line);
    } catch (error) {
      if (error instanceof SandboxQueryError && !this.stoppedReason() && !(await this.bookkeeping('ROLLBACK'))) {
        return this.apply(file, { trace: false });
      }
      await this.engine.settleStop();
      return this.stoppedRun(file, started, error);
    }
    const durationMs = performance.now() - started;
    if (dead) {
      const first = file.statements[0]!;
      const outcomes: StatementOutcome[] = file.statements.map((s) => ({
        index: s.index, line: s.line, endLine: s.endLine, status: 'not-run', durationMs: 0,
      }));
      outcomes[0] = { index: first.index, line: first.line, endLine: first.endLine, status: 'error', durationMs, error: { ...dead, line: first.line } };
      return migrationRun(file, outcomes, started);
    }
    // Per-statement durations are unknown on the fast path; the file's total is on the status.
    const outcomes: StatementOutcome[] = file.statements.map((s) => ({
      index: s.index, line: s.line, endLine: s.endLine, status: 'ok', durationMs: 0,
    }));
    return migrationRun(file, outcomes, started);
  }

  private async runStatement(statement: PreparedStatement): Promise<StatementResult> {
    try {
      await this.engine.runStatement(statement, this.engine.statementDeadlineMs);
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
            ...error.fields,
          },
        };
      }
      return { status: 'stopped', error: this.stoppedError(statement.line, error) };
    }
  }

  /**
   * The statement failed with `error`: restore the state before it, remove the synthetic rows the plan
   * names and run it once more. Returns the second result when the re-run happened; when it succeeds,
   * the first error is what production rows like the synthetic ones would do.
   */
  private async rerunWithoutSyntheticRows(
    statement: PreparedStatement,
    error: StatementError,
    rerun: SyntheticRowsRerun,
    inBlock: boolean,
  ): Promise<{ result: StatementResult; failedOnSyntheticRows?: StatementOutcome['failedOnSyntheticRows'] } | undefined> {
    const plan = rerun.plan(statement, error);
    if (!plan) return undefined;
    if (inBlock && (await this.bookkeeping(`ROLLBACK TO SAVEPOINT ${SYNTHETIC_SAVEPOINT}`))) return undefined;
    if (await this.bookkeeping(plan.sql)) return undefined;
    const result = await this.runStatement(statement);
    if (result.status !== 'ok') return { result };
    if (inBlock) await this.bookkeeping(`RELEASE SAVEPOINT ${SYNTHETIC_SAVEPOINT}`);
    return { result, failedOnSyntheticRows: { ...error, cleared: plan.tables } };
  }

  /** Runs a bookkeeping statement; returns why it failed, or undefined. */
  private async bookkeeping(sql: string): Promise<string | undefined> {
    try {
      await this.engine.execWithin(sql, Math.max(this.engine.statementDeadlineMs, BOOKKEEPING_TIMEOUT_MS));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** COMMIT of the file's transaction; deferred constraints fail here and count against the last statement. */
  private async commitOutcome(outcomes: StatementOutcome[]): Promise<string | undefined> {
    try {
      await this.engine.execWithin('COMMIT', this.engine.statementDeadlineMs);
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
    // The first traced capture records the relations that exist now (after the history) as pre-existing.
    await captureState(this.engine).catch(() => undefined);
  }

  private async capture(
    ownBlock: boolean,
    carried: RelationState | undefined,
    baseline: Pick<RelationState, 'preexisting'> | undefined,
  ): Promise<RelationState | undefined> {
    if (ownBlock && (await this.bookkeeping('BEGIN'))) return undefined;
    if (carried) return carried;
    try {
      return await captureState(this.engine, baseline);
    } catch {
      return undefined; // tracing is best effort; the statement still runs
    }
  }

  private async observe(
    before: RelationState,
    inTransaction: boolean,
  ): Promise<{ observation?: StatementObservation; after?: RelationState }> {
    try {
      const { observation, after } = await observeWithState(this.engine, before, inTransaction);
      return { observation: await this.engine.refineObservation(observation), after };
    } catch {
      return {};
    }
  }

  private stoppedRun(file: PreparedMigration, started: number, cause: unknown): MigrationRun {
    const error = this.stoppedError(file.statements[0]?.line ?? 1, cause);
    const outcomes: StatementOutcome[] = file.statements.map((s, i) => ({
      index: s.index, line: s.line, endLine: s.endLine,
      status: i === 0 ? 'error' : 'not-run',
      durationMs: 0,
      ...(i === 0 ? { error } : {}),
    }));
    return migrationRun(file, outcomes, started);
  }
}

function notRun(file: PreparedMigration, reason: string): MigrationRun {
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

function migrationRun(file: PreparedMigration, outcomes: StatementOutcome[], started: number, missingExtension?: string): MigrationRun {
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
