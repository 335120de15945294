// Stage 3f: rehearsals (src/rehearsal/). Before the apply, the sandbox's state is saved; after it, in
// sandboxes started from that state:
// - failure halfway: each new migration that can be left half done is stopped after each statement that
//   commits on its own and run again (retry-*);
// - lock time at production size: each statement the apply saw rewriting, scanning or indexing a table
//   under a blocking lock is timed at growing sizes and scaled to the size the user gave
//   (lock-time-estimate), the most important first (rehearsal/lock-order.ts) so that the budget cuts the
//   least important.
// Within rehearsal.time-budget-seconds, the review's deadline and its signal; what does not fit is a note.
import { setMaxListeners } from 'node:events';
import { engineSnapshots } from '../sandbox/engine.js';
import type { Sandbox } from '../sandbox/index.js';
import { needsAutocommit } from '../sandbox/statements.js';
import { estimateAt } from '../rehearsal/fit.js';
import { lockTimeFinding } from '../rehearsal/lock-findings.js';
import { lockSubjects, type LockSubject } from '../rehearsal/lock-subjects.js';
import { timeInOrder } from '../rehearsal/lock-order.js';
import { measureLockTime, type Measured } from '../rehearsal/lock-time.js';
import { retryPlan, retryWorthRehearsing } from '../rehearsal/points.js';
import { rehearseRetry } from '../rehearsal/retry.js';
import { retryFindings, retryNotes } from '../rehearsal/retry-findings.js';
import { lockTimeAtProductionSize, productionSizes, statsUrl, type ProductionSizes } from '../rehearsal/sizes.js';
import { fillSynthetic } from '../synthetic/index.js';
import { prepare, sandboxOpener } from './history.js';
import { loadSchemaDump } from './schema-dump.js';
import { agentWillCall } from './agent.js';
import { lendReviewSandbox, reuseFrom, sandboxStarter } from './data.js';
import { budgetLeft, messageOf, progress, timed, type ReviewState, type ReviewedMigration } from './state.js';

interface Prepared {
  /** The sandbox's state before the first new migration (history and synthetic rows). */
  start?: Uint8Array;
  sizes?: ProductionSizes;
}

const prepared = new WeakMap<ReviewState, Prepared>();

/** The production sizes the rehearsal read for this review, when lock time was on: read once per review. */
export function rehearsalSizes(state: ReviewState): ProductionSizes | undefined {
  return prepared.get(state)?.sizes;
}

function wantsRetry(state: ReviewState): ReviewedMigration[] {
  if (!state.config.rehearsal.retry) return [];
  return state.reviewable.filter(
    (item) => retryPlan(item.migration.inTransaction, item.parsed.statements).points.length > 0 && retryWorthRehearsing(item.parsed.statements),
  );
}

/** Whether a rehearsal will ask for a sandbox started from the state before the apply. */
export function rehearsalsWanted(state: ReviewState): boolean {
  return wantsRetry(state).length > 0 || lockTimeAtProductionSize(state.config, state.deps.env);
}

/** Before the apply: read the production sizes, and save the state the rehearsals start from when one will need it. */
export async function rehearsalStartStage(state: ReviewState): Promise<void> {
  const { config } = state;
  if (state.reviewable.length === 0) return;
  const sizes = config.rehearsal['lock-time'] ? await productionSizes(config, state.change.head, statsUrl(config, state.deps.env)) : undefined;
  const needed = rehearsalsWanted(state);
  const entry: Prepared = sizes ? { sizes } : {};
  prepared.set(state, entry);
  if (!needed || !engineSnapshots(config) || !state.sandbox || state.sandbox.stopped) return;
  // The same state as the fix proofs' starting point: one snapshot serves both.
  const tarball = state.fixPoint ?? await timed(state, 'rehearsal', () => state.sandbox!.snapshot('restore')).catch((error: unknown) => {
    state.notes.push(`Rehearsals skipped: the sandbox's state could not be saved (${messageOf(error)}).`);
    return undefined;
  });
  if (tarball) {
    entry.start = tarball;
    reuseFrom(state, tarball);
  }
}

export async function rehearsalStage(state: ReviewState): Promise<void> {
  const entry = prepared.get(state);
  if (!entry) return;
  const applied = state.reviewable.filter((item) => state.statuses.get(item.migration.path)?.status === 'applied');
  safeToRetryNote(state, applied);
  const snapshots = engineSnapshots(state.config);
  let retrySubjects = wantsRetry(state).filter((item) => applied.includes(item));
  const lockSubjectsOf = lockWork(state, applied, entry.sizes);
  if (retrySubjects.length === 0 && lockSubjectsOf.length === 0) return;
  if (!snapshots && retrySubjects.length > 0) {
    state.notes.push(
      `Retry rehearsal skipped for ${retrySubjects.map((item) => item.migration.path).join(', ')}: it compares sandboxes started from one saved state, which the server engine does not take.`,
    );
    retrySubjects = [];
    if (lockSubjectsOf.length === 0) return;
  }
  if (snapshots && !entry.start) return;
  const budgetMs = budgetLeft(state, state.config.rehearsal['time-budget-seconds'] * 1000);
  const controller = new AbortController();
  setMaxListeners(64, controller.signal);
  const stop = () => controller.abort();
  const timer = setTimeout(stop, budgetMs);
  const ends = performance.now() + budgetMs;
  state.options.signal?.addEventListener('abort', stop, { once: true });
  if (state.options.signal?.aborted) stop();
  let openAt: (index: number) => () => Promise<Sandbox>;
  if (entry.start) {
    // One sandbox (the review's own when the agent will not query it), restored to each rehearsal's start.
    if (!agentWillCall(state.config, state.options.agent ?? 'auto', state.deps.env)) await lendReviewSandbox(state);
    const { pool, starts } = reuseFrom(state, entry.start);
    const open = sandboxStarter(state);
    openAt = (index) => async () => pool.lease(controller.signal, open, await starts.get(index, controller.signal));
  } else {
    // The server engine takes no snapshot: each rehearsal database is built as the review's was.
    const open = sandboxOpener(state);
    openAt = (index) => () => rebuilt(state, index, () => open(state.sandboxOptions!));
  }
  try {
    await timed(state, 'rehearsal', async () => {
      for (const item of retrySubjects) {
        if (controller.signal.aborted) {
          state.notes.push(`Retry rehearsal of ${item.migration.path} skipped: rehearsal.time-budget-seconds or the review deadline was reached.`);
          continue;
        }
        progress(state, 'rehearsal', `Rehearsing a failure halfway through ${item.migration.path}`);
        const file = { path: item.migration.path, inTransaction: item.migration.inTransaction, statements: item.parsed.statements };
        const rehearsal = await rehearseRetry(file, { open: openAt(state.reviewable.indexOf(item)), signal: controller.signal });
        const findings = retryFindings(file, rehearsal);
        state.findings.push(...findings);
        state.notes.push(...retryNotes(file, rehearsal, findings.length));
      }
      const rank = (work: LockWork) => ({
        mode: work.subject.mode,
        rewrites: work.subject.rewrites.includes(work.table),
        productionRows: entry.sizes!.sizes.get(work.table)!.rows,
        file: state.reviewable.indexOf(work.item),
        at: work.subject.at,
      });
      const budget = { now: () => performance.now(), ends, reached: () => controller.signal.aborted };
      const timedWork = await timeInOrder(lockSubjectsOf, rank, budget, async (work, deadline) => {
        progress(state, 'rehearsal', `Timing line ${work.subject.statement.line} of ${work.item.migration.path} at growing sizes of ${work.table}`);
        return measureLockTime({
          path: work.item.migration.path,
          inTransaction: work.item.migration.inTransaction,
          statements: work.item.parsed.statements,
          at: work.subject.at,
          table: work.table,
          sampleRows: state.config.rehearsal['sample-rows'],
          catalog: state.catalogBefore!,
          open: openAt(state.reviewable.indexOf(work.item)),
          signal: controller.signal,
          deadline,
        }).catch((error: unknown): Measured => ({
          // A sandbox that could not be had for this statement leaves the others' estimates standing.
          samples: [],
          skipped: controller.signal.aborted ? 'the rehearsal time budget was reached' : `the sandbox failed: ${messageOf(error)}`,
        }));
      });
      for (const { item: work, result: measured } of timedWork) {
        const where = `line ${work.subject.statement.line} of ${work.item.migration.path}`;
        if (!measured) {
          state.notes.push(`Lock time at production size not estimated for ${where}: rehearsal.time-budget-seconds or the review deadline was reached.`);
          continue;
        }
        if (measured.samples.length < 2) {
          state.notes.push(`Lock time at production size not estimated for ${where}: ${measured.skipped ?? 'too few sizes were measured'}.`);
          continue;
        }
        const size = entry.sizes!.sizes.get(work.table)!;
        state.findings.push(
          lockTimeFinding({
            file: work.item.migration.path,
            subject: work.subject,
            table: work.table,
            size,
            samples: measured.samples,
            estimate: estimateAt(measured.samples, size.rows, work.subject.growth),
            engine: state.sandbox!.engine,
            ...(state.config.rehearsal['fail-on-lock-seconds'] !== undefined ? { failOnSeconds: state.config.rehearsal['fail-on-lock-seconds'] } : {}),
          }),
        );
      }
    });
  } catch (error) {
    state.notes.push(`Rehearsals did not complete: ${messageOf(error)}`);
  } finally {
    clearTimeout(timer);
    state.options.signal?.removeEventListener('abort', stop);
  }
}

function safeToRetryNote(state: ReviewState, applied: ReviewedMigration[]): void {
  if (!state.config.rehearsal.retry) return;
  const safe = applied.filter((item) => item.parsed.statements.length > 0 && retryPlan(item.migration.inTransaction, item.parsed.statements).mode === 'one-transaction');
  if (safe.length === 0) return;
  const names = safe.map((item) => item.migration.path);
  state.notes.push(
    `Retry rehearsal: ${names.length === 1 ? `${names[0]} runs` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} run`} in one transaction, so a failure anywhere rolls ${names.length === 1 ? 'it' : 'the file'} back and running it again is safe.`,
  );
}

interface LockWork {
  item: ReviewedMigration;
  subject: LockSubject;
  /** The table scaled: of those it works on with a production size, the largest. */
  table: string;
}

/** The statements to time, and a note for those that cannot be (no production size: never guessed). */
function lockWork(state: ReviewState, applied: ReviewedMigration[], sizes: ProductionSizes | undefined): LockWork[] {
  if (!state.config.rehearsal['lock-time'] || !sizes) return [];
  state.notes.push(...sizes.notes);
  const work: LockWork[] = [];
  const unsized: string[] = [];
  const unsizedTables = new Set<string>();
  for (const item of applied) {
    const run = state.runs.get(item.migration.path);
    if (!run) continue;
    for (const subject of lockSubjects(item.parsed.statements, run.outcomes, state.catalogBefore)) {
      const known = subject.tables.filter((t) => sizes.sizes.has(t)).sort((a, b) => sizes.sizes.get(b)!.rows - sizes.sizes.get(a)!.rows);
      if (known.length === 0) {
        unsized.push(`line ${subject.statement.line} of ${item.migration.path}`);
        subject.tables.forEach((t) => unsizedTables.add(t));
        continue;
      }
      if (needsAutocommit(subject.statement.text)) continue; // timed runs are rolled back; this one refuses a transaction
      work.push({ item, subject, table: known[0]! });
    }
  }
  if (unsized.length > 0) {
    state.notes.push(
      sizes.configured
        ? `Lock time at production size not estimated for ${unsized.join(', ')}: no production size is given for ${[...unsizedTables].join(', ')} (add ${unsizedTables.size === 1 ? 'it' : 'them'} to the stats file; see docs/production-stats.md).`
        : `Lock time at production size not estimated for ${unsized.join(', ')}: no production sizes were given (rehearsal.production-stats, rehearsal.stats-url or explain.rows; see docs/production-stats.md).`,
    );
  }
  return work;
}

/**
 * A sandbox in the state before new migration `index`, built without a snapshot (the server engine): the
 * setup, the history, the stubs pgpro inferred, synthetic rows in every table that existed before
 * (sandbox.seed-rows, at least one: a statement timed may check keys against its parents), then the new
 * migrations before it. Its synthetic rows are not the review's own, which a lock-time measurement does
 * not need: it makes the timed table's rows itself.
 */
async function rebuilt(state: ReviewState, index: number, open: () => Promise<Sandbox>): Promise<Sandbox> {
  const db = await open();
  try {
    for (const script of state.setup) {
      if (script.dump) await loadSchemaDump(db, script);
      else await db.runSetup(script.name, script.sql);
    }
    if (state.historyParsed.length > 0) await db.replay(state.historyParsed.map(prepare));
    if (state.inferred?.sql?.length) await db.exec(['BEGIN', ...state.inferred.sql, 'COMMIT'].join(';\n'));
    await db.startSession();
    const rows = Math.max(1, state.config.sandbox['seed-rows']);
    await fillSynthetic(db, state.catalogBefore!, () => rows);
    const earlier = state.reviewable.slice(0, index).map(prepare);
    const runs = earlier.length > 0 ? await db.replay(earlier) : [];
    const failed = runs.find((run) => run.status.status !== 'applied');
    if (failed) throw new Error(`the earlier migration ${failed.status.file} did not apply in the rehearsal sandbox`);
    return db;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}
