// The fix proofs' sandbox of a review that starts from nothing (no history, no setup: a lone file),
// opened at the same moment as the review's own rather than once the fix point is known. Such a review's
// fix point is usually its sandbox's starting snapshot (nothing changed it: data.ts fixPointStage), so a
// sandbox started beside it from the same snapshot is already in the fix point's state: the proofs then
// find it open when the review is done instead of waiting for a start (~0.4-0.7 s of a lone file's CLI
// review). Only where the proofs' sandbox is opened ahead anyway (ReviewDeps.proofSandboxAhead: a core
// to spare). When the fix point turns out to be another state (stubs were inferred), the twin is closed.
import type { Sandbox, SandboxOptions } from '../sandbox/index.js';
import type { ReviewState } from './state.js';

/**
 * Opens the twin beside the review's own sandbox, when that one starts from nothing: call at the moment
 * the review opens its own, with the same options, before anything runs in it.
 */
export function openProofTwin(state: ReviewState, open: (options: SandboxOptions) => Promise<Sandbox>): void {
  if (!state.deps.proofSandboxAhead || state.proofTwin || state.reviewable.length === 0 || state.setup.length > 0 || state.historyParsed.length > 0) return;
  // A twin that fails to start costs nothing: the proofs open their sandbox as before.
  state.proofTwin = open(state.sandboxOptions!).catch(() => undefined);
}

/**
 * How the proofs' sandbox opened ahead at `fixPoint` is made: the twin when `fixPoint` is the snapshot the
 * review's own sandbox started from and nothing changed (`unchanged`: its `unchangedSince()`), else
 * `open`. The twin is handed over only once it says itself that it is in `fixPoint`'s state, unchanged
 * since its start; otherwise it is closed and a sandbox is opened from `fixPoint` as before. Undefined
 * when there is no twin. Either way the review no longer holds it.
 */
export function proofTwinOpener(
  state: ReviewState,
  fixPoint: Uint8Array,
  unchanged: Uint8Array | undefined,
  open: (tarball: Uint8Array) => Promise<Sandbox>,
): ((tarball: Uint8Array) => Promise<Sandbox>) | undefined {
  const twin = state.proofTwin;
  state.proofTwin = undefined;
  if (!twin) return undefined;
  if (fixPoint !== unchanged) {
    closeTwin(state, twin);
    return undefined;
  }
  return async (tarball) => {
    const db = await twin;
    if (db && tarball === fixPoint && !db.stopped && (await db.unchangedSince?.().catch(() => undefined)) === tarball) return db;
    await db?.close().catch(() => undefined);
    return open(tarball);
  };
}

/** Closes a twin nobody took (the review ended or failed before its fix point). */
export async function closeProofTwin(state: ReviewState): Promise<void> {
  const twin = state.proofTwin;
  state.proofTwin = undefined;
  await twin?.then((db) => db?.close()).catch(() => undefined);
}

function closeTwin(state: ReviewState, twin: Promise<Sandbox | undefined>): void {
  state.background.push(twin.then((db) => db?.close()).catch(() => undefined));
}
