// The pipeline. review() computes a ReviewResult from a change and never writes anywhere but its own
// sandbox: publishing is the adapters' job. Each stage is a module in src/stages/ working on one
// ReviewState; optional stages (EXPLAIN, the agent) fail into a note.
import { agentStage } from './stages/agent.js';
import { applyStage, catalogAfterStage } from './stages/apply.js';
import { catalogBeforeStage, dataStage, fixPointStage, lendReviewSandbox, proofSandboxForFixes } from './stages/data.js';
import { discoverStage } from './stages/discover.js';
import { editsStage } from './stages/edits.js';
import { explainStage } from './stages/explain.js';
import { finishStage } from './stages/finish.js';
import { historyStage, restartUnseededForStubs, SandboxUnavailableError } from './stages/history.js';
import { inferStage } from './stages/infer.js';
import { historyInDump } from './stages/schema-dump.js';
import { lintStage, lintWithoutSandbox } from './stages/lint.js';
import { parseStage } from './stages/parse.js';
import { closeProofTwin } from './stages/proof-twin.js';
import { rehearsalStage, rehearsalStartStage } from './stages/rehearsal.js';
import { createReviewState, messageOf, notReviewedStatus, type ReviewDeps, type ReviewOptions, type ReviewState } from './stages/state.js';
import { armReviewStop, stoppedByReview, stopReasonCode, unreviewedFindings } from './stages/stop.js';
import type { ChangeSet, ReviewResult } from './types.js';

export { SandboxUnavailableError } from './stages/history.js';
export { conclude } from './stages/finish.js';
export type { ReviewDeps, ReviewOptions } from './stages/state.js';

export async function review(change: ChangeSet, options: ReviewOptions, deps: ReviewDeps = {}): Promise<ReviewResult> {
  const state = createReviewState(change, options, deps);
  const disarm = armReviewStop(state);
  try {
    return await stages(state);
  } finally {
    disarm();
    await closeProofTwin(state);
    await state.reuse?.pool.close();
    if (!state.sandboxLent) await state.sandbox?.close().catch(() => undefined);
  }
}

async function stages(state: ReviewState): Promise<ReviewResult> {
  await discoverStage(state);
  await parseStage(state);
  historyInDump(state);
  try {
    const notesBefore = state.notes.length;
    await historyStage(state);
    await editsStage(state);
    await inferStage(state);
    if (await restartUnseededForStubs(state, notesBefore)) {
      await editsStage(state);
      await inferStage(state);
    }
    await catalogBeforeStage(state);
    await dataStage(state);
    await fixPointStage(state);
    await rehearsalStartStage(state);
    await applyStage(state);
    await catalogAfterStage(state);
    await lintStage(state);
    proofSandboxForFixes(state);
    await explainStage(state);
    // After EXPLAIN, which needs the sandbox as the change left it: the rehearsals may restore it.
    await rehearsalStage(state);
  } catch (error) {
    await sandboxFailed(state, error);
  }
  state.findings.push(...unreviewedFindings(state));
  const agent = await agentStage(state);
  // Snapshots still being compressed and written for the next review (each settles, never throws).
  await Promise.all(state.background);
  // The fix proofs restore the review's sandbox rather than start one (closed if there are none).
  await lendReviewSandbox(state);
  return finishStage(state, agent);
}

/**
 * A sandbox that cannot start ends the review (the caller must not mistake lint alone for a review).
 * One that fails later leaves a note, the unapplied migrations not-run, and lint without the catalog.
 */
async function sandboxFailed(state: ReviewState, error: unknown): Promise<void> {
  if (error instanceof SandboxUnavailableError) {
    await Promise.all(state.background);
    await state.sandbox?.close().catch(() => undefined);
    throw error;
  }
  const reason = stoppedByReview(error) ? error.message : `the sandbox could not run: ${messageOf(error)}`;
  state.notes.push(stoppedByReview(error) ? `The review stopped: ${reason}.` : `The sandbox could not run: ${messageOf(error)}`);
  for (const item of state.reviewable) {
    if (!state.statuses.has(item.migration.path)) {
      const code = stoppedByReview(error) ? stopReasonCode(state) : state.sandbox?.stopped ? 'sandbox-stopped' : 'sandbox-failed';
      state.statuses.set(item.migration.path, notReviewedStatus(item.migration, 'not-run', item.parsed.statements.length, code, reason));
      state.unreviewed.set(item.migration.path, { line: item.parsed.statements[0]?.line ?? item.migration.lineOffset + 1, reason });
    }
  }
  lintWithoutSandbox(state);
}
