// Stage 3d-3e: each new migration applied statement by statement, traced, in its tool's transaction
// mode; its down migration checked after it. A migration that fails stops the ones after it.
import { fingerprint } from '../finding.js';
import type { MigrationRun, Sandbox, SandboxStoppedError } from '../sandbox/index.js';
import type { Finding, NotReviewedReason } from '../types.js';
import { dataErrorFix } from './data-errors.js';
import { prepare } from './history.js';
import { rememberApplied } from './verify-fix.js';
import { checkDown, rememberSchema } from './reversibility.js';
import { schemaBeforeFirst } from './history-schema.js';
import { blindSpot } from './infer.js';
import { existingRowsFinding, SyntheticRerunPlanner } from './synthetic-rerun.js';
import { notReviewedStatus, outOfTime, progress, statusOf, timed, type ReviewState, type ReviewedMigration } from './state.js';
import { reviewStopReason, stoppedByReview, stopReasonCode } from './stop.js';

export async function applyStage(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox!;
  /** Why the migrations from here on are not applied. */
  let stopped: { code: NotReviewedReason; message: string } | undefined;
  /** Set when the review (deadline, cancellation, sandbox time) stopped the apply, not a migration. */
  let stoppedBy: string | undefined;
  const rerun = new SyntheticRerunPlanner(new Set(state.explainPrepared?.syntheticTables ?? []));
  /** No new migration has run in the sandbox yet: its schema is the history's. */
  let untouched = true;
  await timed(state, 'apply', async () => {
    for (const [i, item] of state.reviewable.entries()) {
      const { migration, parsed } = item;
      const notRun = (code: NotReviewedReason, message: string) =>
        state.statuses.set(migration.path, notReviewedStatus(migration, 'not-run', parsed.statements.length, code, message));
      if (stopped) {
        notRun(stopped.code, stopped.message);
        if (stoppedBy) {
          state.unreviewed.set(migration.path, { line: firstLine(item), reason: stoppedBy });
          state.notes.push(`The review stopped before ${migration.path}: ${stoppedBy}. It and later migrations were not applied.`);
        }
        continue;
      }
      if (outOfTime(state)) {
        stoppedBy = reviewStopReason(state) ?? 'the review deadline (limits.review-timeout-seconds) was reached';
        stopped = { code: stopReasonCode(state), message: stoppedBy };
        state.notes.push(`The review stopped before ${migration.path}: ${stoppedBy}. It and later migrations were not applied.`);
        notRun(stopped.code, stopped.message);
        state.unreviewed.set(migration.path, { line: firstLine(item), reason: stoppedBy });
        continue;
      }
      progress(state, 'apply', `Applying ${migration.path}`, i, state.reviewable.length);
      if (parsed.errors.length > 0) {
        const first = parsed.errors[0]!;
        state.statuses.set(migration.path, {
          ...statusOf(migration, 'failed', parsed.statements.length, 0),
          error: { message: first.message, line: first.line, sqlstate: '42601' },
        });
        stopped = { code: 'earlier-migration-failed', message: `${migration.path} before it does not parse, so it was not applied` };
        continue;
      }
      const gone = stopReason(sandbox);
      if (gone) {
        // Stopped before this file: by the review (its error comes from stop.ts), or in an earlier stage.
        if (stoppedByReview(gone)) stoppedBy = gone.message;
        stopped = stoppedBy
          ? { code: stopReasonCode(state), message: stoppedBy }
          : { code: 'sandbox-stopped', message: `the sandbox stopped before it (${gone.message})` };
        notRun(stopped.code, stopped.message);
        if (stoppedBy) {
          state.unreviewed.set(migration.path, { line: firstLine(item), reason: stoppedBy });
          state.notes.push(`The review stopped before ${migration.path}: ${stoppedBy}. It and later migrations were not applied.`);
        }
        continue;
      }
      // sandbox.apply() starts each migration in a fresh session, as its tool would run it: a SET,
      // SET ROLE or temp table of one file does not leak into the next.
      // The edit of an applied migration runs only what it adds or changes: its down file undoes the whole
      // migration, so up-down-up says nothing about the edit (and would fail on what the edit left out).
      const schemaBefore =
        state.config.trace.enabled && !migration.applied
          ? untouched ? await schemaBeforeFirst(state, sandbox, migration) : await rememberSchema(sandbox, migration)
          : undefined;
      untouched = false;
      // The pre-existing relations, when the fix point read them from this same state: one catalog read less.
      const preexisting = state.preexisting ? { preexisting: state.preexisting } : {};
      const run = await sandbox.apply(prepare(item), { trace: state.config.trace.enabled, rerun: rerun.forFile(parsed), ...preexisting });
      state.runs.set(migration.path, run);
      state.statuses.set(migration.path, run.status);
      const halt = stopReason(sandbox);
      if (stoppedByReview(halt)) {
        // The statement in flight was stopped by the review, not by its own doing: no apply error.
        stoppedBy = halt.message;
        stopped = { code: stopReasonCode(state), message: stoppedBy };
        const at = run.outcomes.find((o) => o.status === 'error')?.line ?? firstLine(item);
        const { error: _error, ...status } = run.status;
        state.statuses.set(migration.path, { ...status, status: 'not-run', reason: stopped });
        state.unreviewed.set(migration.path, { line: at, reason: stoppedBy });
        state.notes.push(`The review stopped while applying ${migration.path} (line ${at}): ${stoppedBy}. It and later migrations were not reviewed.`);
        continue;
      }
      let applied: Awaited<ReturnType<typeof rememberApplied>>;
      if (state.prover && state.config.trace.enabled && !halt) {
        applied = await rememberApplied(sandbox, item, run).catch(() => undefined);
        if (applied) state.applied.set(migration.path, applied);
      }
      if (run.missingExtension) noteMissingExtension(state, run.missingExtension, migration.path);
      if (run.extensionGaps) state.extensionGaps.push(...run.extensionGaps.map((gap) => ({ file: migration.path, ...gap })));
      const failure = run.outcomes.find((o) => o.status === 'error' && o.error);
      const blind = failure?.error && blindSpot(state, migration.path, parsed.statements.find((s) => s.index === failure.index), failure.error);
      if (blind) {
        // Not the migration's error, and not reviewed either: no verdict rests on it.
        const { error: _error, ...status } = run.status;
        state.statuses.set(migration.path, { ...status, status: 'not-run', reason: { code: 'missing-object', message: blind.reason } });
        state.notes.push(blind.note);
        state.findings.push(...existingRowsFindings(item, run));
        stoppedBy = blind.reason;
        stopped = { code: 'missing-object', message: blind.reason };
        state.unreviewed.set(migration.path, { line: failure!.error!.line, reason: blind.reason });
        continue;
      }
      state.findings.push(...applyErrorFindings(item, run), ...existingRowsFindings(item, run));
      if (run.status.status === 'failed') {
        // Its apply-error says the later migrations did not run.
        stopped = { code: 'earlier-migration-failed', message: `${migration.path} before it failed, so it was not applied` };
      }
      if (schemaBefore && item.parsedDown && run.status.status === 'applied' && !halt) {
        const parsedDown = item.parsedDown;
        const down = await timed(state, 'reversibility', () => checkDown(sandbox, migration, parsed, parsedDown, schemaBefore, applied?.schema));
        state.findings.push(...down.findings);
        state.notes.push(...down.notes);
      }
      if (stopReason(sandbox)) {
        stopped ??= { code: 'sandbox-stopped', message: `the sandbox stopped while applying ${migration.path}` };
        state.notes.push(`The sandbox stopped while applying ${migration.path}; later migrations were not applied.`);
      }
    }
    // EXPLAIN and the agent's queries run as a production session would, not in the last file's.
    await sandbox.startSession();
  });
}

function firstLine(item: ReviewedMigration): number {
  return item.parsed.statements[0]?.line ?? item.migration.lineOffset + 1;
}

/**
 * An extension the sandbox lacks costs its CREATE EXTENSION and the statements that need it, not the
 * review: a note (once per extension) says what to do about it.
 */
export function noteMissingExtension(state: ReviewState, extension: string, file: string): void {
  const pglite = state.sandbox?.engine.name !== 'postgres';
  const marker = `The extension "${extension}" is not available in the`;
  if (state.notes.some((n) => n.startsWith(marker))) return;
  state.notes.push(
    `${marker} ${pglite ? 'PGlite sandbox' : 'sandbox server'}: its CREATE EXTENSION in ${file} was skipped, and statements that need it were not run (listed as not reviewed). ${
      pglite ? 'For a full review, point pgpro at a PostgreSQL server that has it (sandbox.engine: postgres).' : 'Install it on that server.'
    }`,
  );
}

/** Read through a call: TypeScript would keep an earlier narrowing of the getter across awaits. */
function stopReason(sandbox: Sandbox): SandboxStoppedError | undefined {
  return sandbox.stopped;
}

/** The catalog after the new migrations, for EXPLAIN's before/after comparison. */
export async function catalogAfterStage(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox!;
  if (sandbox.stopped) return;
  state.catalogAfter = await timed(state, 'catalog', () => sandbox.catalog()).catch(() => undefined);
}

function applyErrorFindings(item: ReviewedMigration, run: MigrationRun): Finding[] {
  return run.outcomes.flatMap((outcome) => {
    if (outcome.status !== 'error' || !outcome.error) return [];
    const statement = item.parsed.statements.find((s) => s.index === outcome.index);
    const { error } = outcome;
    const dataFix = dataErrorFix(error, statement?.text ?? '');
    const fix = dataFix ?? limitFix(error);
    const evidence = [
      error.sqlstate ? `SQLSTATE ${error.sqlstate}` : undefined,
      error.detail ? `DETAIL: ${error.detail}` : undefined,
      error.hint ? `HINT: ${error.hint}` : undefined,
    ]
      .filter(Boolean)
      .join('\n');
    return [
      {
        rule: 'apply-error',
        severity: 'error' as const,
        source: 'apply' as const,
        file: item.migration.path,
        line: error.line,
        endLine: Math.max(error.line, outcome.endLine),
        message: `The migration fails here: ${error.message}${error.sqlstate ? ` (SQLSTATE ${error.sqlstate})` : ''}.${
          dataFix ? ' Rows in the table break it whatever they hold, or rows the history or the change wrote do; rows in production are likely to break it the same way.' : ''
        } Later statements and migrations did not run.`,
        ...(evidence ? { evidence } : {}),
        ...(fix ? { fix } : {}),
        fingerprint: fingerprint('apply-error', item.migration.path, statement?.text ?? String(outcome.line)),
      },
    ];
  });
}

function existingRowsFindings(item: ReviewedMigration, run: MigrationRun): Finding[] {
  return run.outcomes.flatMap((outcome) => {
    const statement = item.parsed.statements.find((s) => s.index === outcome.index);
    return existingRowsFinding(item.migration.path, statement, outcome) ?? [];
  });
}

/** A statement stopped by a sandbox limit: say which setting bounds it, in case the work is legitimate. */
function limitFix(error: { sqlstate?: string }): Finding['fix'] {
  if (error.sqlstate === '57014') {
    return { title: 'If this statement is legitimately slow on the synthetic data, raise sandbox.statement-timeout-seconds in the pgpro config.' };
  }
  if (error.sqlstate === '53200') {
    return { title: 'If this statement legitimately needs more memory, raise sandbox.memory-mb in the pgpro config.' };
  }
  return undefined;
}
