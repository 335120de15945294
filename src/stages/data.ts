// Stage 3b-3c: the catalog before the change, synthetic rows in the existing tables (so rewrites and
// scans are real and plans have data), and the point from which proposed fixes are checked.
import { gzipTar, unpackedBytes } from '../sandbox/cluster.js';
import { engineSnapshots } from '../sandbox/engine.js';
import { agentWillCall } from './agent.js';
import { prepareData } from './explain.js';
import { fillSynthetic, type ColumnFacts } from '../synthetic/index.js';
import { inBackground, sandboxOpener } from './history.js';
import { cachedSeededDocument, seededKey, storeSeeded, storeSeededDocument, type SeededDocument } from './seeded.js';
import { filledKey, storeFilled, type FilledDocument } from './filled.js';
import { budgetLeft, messageOf, progress, timed, type ReviewState } from './state.js';
import { fixProver } from './verify-fix.js';
import { createSandboxPool, FileStarts } from '../proof/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { relationOids } from '../sandbox/observe.js';
import { proofTwinOpener } from './proof-twin.js';
import { rehearsalsWanted } from './rehearsal.js';
import { staticLintFindings } from './lint.js';
import { settleFindings } from '../hazards/index.js';
import type { Finding } from '../types.js';

export async function catalogBeforeStage(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox!;
  // A seeded snapshot carries the catalog read before its synthetic rows: the same "before".
  state.catalogBefore = state.seeded?.catalog ?? (await timed(state, 'catalog', () => sandbox.catalog()));
}

export async function dataStage(state: ReviewState): Promise<void> {
  const { config } = state;
  if (state.reviewable.length === 0) return;
  progress(state, 'data', 'Adding synthetic rows to existing tables');
  const budgetMs = () => budgetLeft(state, config.explain['time-budget-seconds'] * 1000);
  state.explainPrepared = await timed(state, 'data', async () => {
    const seeding = state.seeded
      ? { rows: config.sandbox['seed-rows'], notes: state.seeded.notes, syntheticOnly: state.seeded.syntheticOnly, complete: true }
      : await seedForCache(state, budgetMs());
    const prepared = await prepareData({
      db: state.sandbox!,
      config,
      head: state.change.head,
      fresh: state.reviewable,
      catalogBefore: state.catalogBefore!,
      budgetMs: budgetMs(),
      agentQueries: agentWillCall(config, state.options.agent ?? 'auto', state.deps.env),
      ...(seeding ? { seeded: { rows: seeding.rows, syntheticOnly: seeding.syntheticOnly } } : {}),
      ...(seeding && 'facts' in seeding && seeding.facts ? { facts: seeding.facts } : {}),
      ...(state.filled ? { restored: state.filled.document } : {}),
    });
    if (seeding?.complete && !state.filled) fillToCache.set(state, prepared.fillPlan);
    return seeding ? { ...prepared, notes: [...seeding.notes, ...prepared.notes] } : prepared;
  }).catch((error: unknown) => {
    state.notes.push(`Synthetic data could not be added, so scans and plans ran on empty tables: ${messageOf(error)}`);
    return undefined;
  });
  if (state.explainPrepared) state.syntheticNotes.push(...state.explainPrepared.notes);
}

/** The fill plan of a review whose seeding was whole and cacheable: its fix point is cached as filled. */
const fillToCache = new WeakMap<ReviewState, [string, number][]>();

/** Nothing but the history, the seeding and the fill shaped the sandbox: no stub was created. */
const onlyFilled = (state: ReviewState) => (state.inferred?.objects.length ?? 0) === 0;

const budgetReached = (notes: readonly string[]) => notes.some((note) => /time budget reached/.test(note));

/**
 * With a cache and a whole history: seed every table with `sandbox.seed-rows`, the part that does not
 * depend on the change, and store that state (catalog included) for the next review of this base.
 * Without them the data stage fills in one pass, as before.
 */
async function seedForCache(
  state: ReviewState,
  budgetMs: number,
): Promise<{ rows: number; notes: string[]; syntheticOnly: string[]; complete: boolean; facts?: ColumnFacts } | undefined> {
  const cache = state.snapshotCache;
  const sandbox = state.sandbox!;
  if (!cache || !state.historySnapshot || !state.catalogBefore || sandbox.stopped) return undefined;
  const rows = state.config.sandbox['seed-rows'];
  const fill = await fillSynthetic(sandbox, state.catalogBefore, () => rows, { deadline: Date.now() + budgetMs });
  // A seeding cut short by the time budget is not the state of this base: not stored.
  const complete = !budgetReached(fill.notes);
  // Stubs are this change's guesses, not the base's history: a state holding them is not stored.
  if (complete && onlyFilled(state) && !sandbox.stopped) {
    const key = seededKey(state.historySnapshot, rows);
    const document: SeededDocument = { v: 1, catalog: state.catalogBefore, rows: fill.rows, notes: fill.notes, syntheticOnly: fill.syntheticOnly };
    // The first review of a base stores the document only: its own fill is stored whole (the fix point),
    // which is what its repeats restore, and the seeded snapshot would cost it a full dump (a checkpoint,
    // a copy of the data directory, its compression) on the worker between the seeding and the fill.
    // A review of another change on this base finds the document and not the snapshot, seeds again, and
    // stores it then: the base is being reviewed more than once.
    const known = await cachedSeededDocument(cache, key);
    if (known) inBackground(state, sandbox.snapshot().then((tarball) => storeSeeded(cache, key, { document, tarball })));
    else inBackground(state, storeSeededDocument(cache, key, document));
  }
  // The fill that follows runs on the same schema: it reuses the facts this seeding read.
  return { rows, notes: fill.notes, syntheticOnly: fill.syntheticOnly, complete, ...(fill.facts ? { facts: fill.facts } : {}) };
}

/**
 * The proofs' sandbox is opened ahead only at a small fix point: a second instance costs its memory
 * (~200 MB of RSS at a 68 MB fix point) and a core while the review goes on, whether a fix needs it or
 * not. Measured unpacked: a fix point kept plain may be larger (sandbox.ts PLAIN_SNAPSHOT_MAX_BYTES).
 */
const PROOF_SANDBOX_AHEAD_MAX_BYTES = 64 * 1024 * 1024;

/** Proposed fixes are proven in fresh sandboxes started from this point (history + synthetic rows). */
export async function fixPointStage(state: ReviewState): Promise<void> {
  const { config } = state;
  // Every fix pgpro offers (the rules', the trace's, EXPLAIN's, Claude's) is proven from here.
  if (state.reviewable.length === 0 || !engineSnapshots(config)) return;
  // A sandbox restored with its fill is in the state its snapshot holds, unless stubs were added since.
  const restored = state.filled && onlyFilled(state) ? state.filled.tarball : undefined;
  // One that nothing changed since it started (a lone file's: no history, no tables to fill) is in
  // its starting snapshot's state: a dump would be a copy of it.
  const unchanged = restored ? undefined : await state.sandbox!.unchangedSince?.().catch(() => undefined);
  const tarball =
    restored ??
    unchanged ??
    (await timed(state, 'snapshot', () => state.sandbox!.snapshot('restore')).catch((error: unknown) => {
      // A sandbox limit (the archive would not fit in its memory bound), not the change's: said as such.
      // A stopped sandbox is said by the review's own stop notes.
      if (!state.sandbox!.stopped) state.notes.push(`Fixes were not proven: the sandbox's state could not be saved (${messageOf(error)}).`);
      return undefined;
    }));
  if (!tarball) return;
  state.fixPoint = tarball;
  storeFilledState(state, tarball);
  const reuse = reuseFrom(state, tarball);
  // A review that started from nothing opened it beside its own already (proof-twin.ts).
  const twin = proofTwinOpener(state, tarball, unchanged, sandboxStarter(state));
  // Not for a warm review restored with its fill: most need no fix, and would pay a second start for nothing.
  if (twin) reuse.pool.prepare(twin, tarball);
  else if (state.deps.proofSandboxAhead && tarball !== restored && unpackedBytes(tarball) <= PROOF_SANDBOX_AHEAD_MAX_BYTES) {
    const prepare = () => reuse.pool.prepare(sandboxStarter(state), tarball);
    // Only when a fix to prove or a rehearsal will take it: opened for nothing, it took a core from the
    // review's own sandbox and the cache writes (a cold 300-file review, no fix: ~0.2 s of its wall).
    if (rehearsalsWanted(state) || lintHasFix(state)) prepare();
    else proofSandboxLater.set(state, prepare);
  }
  // The relations the review's own apply will count as pre-existing (it traces from this state): the
  // proofs count the same in every sandbox they run in. Read from the snapshot by the prover otherwise.
  const preexisting = await relationOids(state.sandbox!).catch(() => undefined);
  state.preexisting = preexisting;
  state.prover = fixProver({
    config,
    fresh: state.reviewable,
    catalogBefore: state.catalogBefore!,
    start: tarball,
    open: sandboxStarter(state),
    pool: reuse.pool,
    starts: reuse.starts,
    applied: (path) => state.applied.get(path),
    ...(preexisting ? { preexisting } : {}),
  });
}

/** The proofs' sandbox to open ahead once a fix to prove turns up after the fix point (the trace's). */
const proofSandboxLater = new WeakMap<ReviewState, () => void>();

/**
 * Whether, were these all its findings, the review would prove a fix: the finish stage proves the SQL of
 * the findings as merged per hazard (a merge may drop a rule's SQL), so they are merged here too, on a
 * copy. A guess only: the sandbox opened ahead or not, the proofs reach the same verdicts.
 */
function hasFixToProve(state: ReviewState, findings: readonly Finding[]): boolean {
  try {
    const settled = settleFindings(structuredClone(findings), { files: state.freshParsed.map((i) => i.parsed), config: state.config });
    return settled.some((f) => f.fix?.sql);
  } catch {
    // The stages report their own failures; here it only means no sandbox is opened ahead yet.
    return false;
  }
}

/** The lint stage's findings, read ahead of it (static: the parsed files and the catalog before). */
function lintHasFix(state: ReviewState): boolean {
  try {
    return hasFixToProve(state, staticLintFindings(state));
  } catch {
    return false;
  }
}

/**
 * After the lint stage: opens the proofs' sandbox ahead that the fix point left for later, when the
 * trace's findings brought a fix to prove (it then overlaps EXPLAIN and the cache writes, as before).
 */
export function proofSandboxForFixes(state: ReviewState): void {
  const prepare = proofSandboxLater.get(state);
  if (!prepare || !hasFixToProve(state, state.findings)) return;
  proofSandboxLater.delete(state);
  prepare();
}

/** The fix point of a whole seeding and fill, for the next review of this base touching the same tables. */
function storeFilledState(state: ReviewState, tarball: Uint8Array): void {
  const plan = fillToCache.get(state);
  const prepared = state.explainPrepared;
  const cache = state.snapshotCache;
  if (!plan || !prepared || !cache || !state.historySnapshot || !onlyFilled(state) || budgetReached(prepared.fillNotes) || state.sandbox?.stopped) return;
  const key = filledKey(seededKey(state.historySnapshot, state.config.sandbox['seed-rows']), plan);
  const document: FilledDocument = { v: 1, notes: prepared.fillNotes, syntheticOnly: prepared.fillSyntheticOnly };
  // The fix point may be a plain tar (restored in this process): gzipped for storage, off the review's path.
  inBackground(state, gzipTar(tarball).then((stored) => storeFilled(cache, key, { document, tarball: stored })));
}

/** Opens a sandbox of the review's engine and settings from a snapshot. */
export function sandboxStarter(state: ReviewState): (tarball: Uint8Array) => Promise<Sandbox> {
  const open = sandboxOpener(state);
  return (tarball) => open({ ...state.sandboxOptions!, tarball });
}

/**
 * The sandbox the review's proofs and rehearsals share (one at a time, each restored to its work's
 * starting state), with the states before each new migration, all from `start`.
 */
export function reuseFrom(state: ReviewState, start: Uint8Array): NonNullable<ReviewState['reuse']> {
  if (state.reuse) return state.reuse;
  const pool = createSandboxPool(1);
  state.reuse = { pool, starts: new FileStarts({ start, files: state.reviewable, pool, open: sandboxStarter(state) }) };
  return state.reuse;
}

/**
 * The review's own sandbox, once no stage needs its state any more, serves the proofs and rehearsals
 * (restored first) instead of a new one. Closed when there are none.
 */
export async function lendReviewSandbox(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox;
  if (!sandbox || state.sandboxLent) return;
  state.sandboxLent = true;
  if (!state.reuse?.pool.adopt(sandbox)) await sandbox.close().catch(() => undefined);
}
