// Stage 3b-3c: the catalog before the change, synthetic rows in the existing tables (so rewrites and
// scans are real and plans have data), and the point from which proposed fixes are checked.
import { engineSnapshots } from '../sandbox/engine.js';
import { prepareData } from './explain.js';
import { sandboxOpener } from './history.js';
import { budgetLeft, messageOf, progress, timed, type ReviewState } from './state.js';
import { fixProver } from './verify-fix.js';

export async function catalogBeforeStage(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox!;
  state.catalogBefore = await timed(state, 'catalog', () => sandbox.catalog());
}

export async function dataStage(state: ReviewState): Promise<void> {
  const { config } = state;
  if (state.reviewable.length === 0) return;
  progress(state, 'data', 'Adding synthetic rows to existing tables');
  state.explainPrepared = await timed(state, 'data', () =>
    prepareData({
      db: state.sandbox!,
      config,
      head: state.change.head,
      fresh: state.reviewable,
      catalogBefore: state.catalogBefore!,
      budgetMs: budgetLeft(state, config.explain['time-budget-seconds'] * 1000),
    }),
  ).catch((error: unknown) => {
    state.notes.push(`Synthetic data could not be added, so scans and plans ran on empty tables: ${messageOf(error)}`);
    return undefined;
  });
  if (state.explainPrepared) state.syntheticNotes.push(...state.explainPrepared.notes);
}

/** Proposed fixes are proven in fresh sandboxes started from this point (history + synthetic rows). */
export async function fixPointStage(state: ReviewState): Promise<void> {
  const { config } = state;
  // Every fix pgpro offers (the rules', the trace's, EXPLAIN's, Claude's) is proven from here.
  if (state.reviewable.length === 0 || !engineSnapshots(config)) return;
  const tarball = await timed(state, 'snapshot', () => state.sandbox!.snapshot()).catch(() => undefined);
  if (!tarball) return;
  state.fixPoint = tarball;
  const open = sandboxOpener(state);
  state.prover = fixProver({
    config,
    fresh: state.reviewable,
    catalogBefore: state.catalogBefore!,
    start: tarball,
    open: (start) => open({ ...state.sandboxOptions!, tarball: start }),
  });
}
