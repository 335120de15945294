// The review's stop: its deadline and the caller's cancellation (a newer push, shutdown) abort one
// signal that every sandbox of the review obeys, so a statement running at that moment stops too.
// Migrations the review could not apply because of it, or because the sandbox failed, are
// `review-incomplete` findings: a change not applied and observed never passes.
import { fingerprint } from '../finding.js';
import { ReviewStopped, stopMessage } from '../sandbox/limits.js';
import { SandboxStoppedError } from '../sandbox/index.js';
import type { Finding } from '../types.js';
import type { ReviewState } from './state.js';

/** Arms the deadline and forwards cancellation; returns the disarm to call when the review ends. */
export function armReviewStop(state: ReviewState): () => void {
  const seconds = state.config.limits['review-timeout-seconds'];
  const timer = setTimeout(
    () => state.stop.abort(new ReviewStopped(`the review's time limit (limits.review-timeout-seconds = ${seconds} s) ran out; the sandbox was stopped`)),
    Math.max(0, state.deadline - state.now()),
  );
  const outer = state.options.signal;
  const cancel = (): void => state.stop.abort(new ReviewStopped(stopMessage(outer!)));
  if (outer?.aborted) cancel();
  else outer?.addEventListener('abort', cancel, { once: true });
  return () => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', cancel);
  };
}

/** The sandbox was stopped by the review (deadline, cancellation, sandbox-time budget), not by a statement. */
export function stoppedByReview(error: unknown): error is SandboxStoppedError {
  return error instanceof SandboxStoppedError && error.reason === 'cancelled';
}

/** The reason code of a stop by the review: its deadline (or sandbox-time budget), or a cancellation. */
export function stopReasonCode(state: ReviewState): 'review-deadline' | 'cancelled' {
  return state.options.signal?.aborted === true && state.now() <= state.deadline ? 'cancelled' : 'review-deadline';
}

/** Why the review stopped, when it did. */
export function reviewStopReason(state: ReviewState): string | undefined {
  if (state.stop.signal.aborted) return stopMessage(state.stop.signal);
  const stopped = state.sandbox?.stopped;
  return stoppedByReview(stopped) ? stopped.message : undefined;
}

export function unreviewedFindings(state: ReviewState): Finding[] {
  return state.reviewable.flatMap(({ migration }) => {
    const why = state.unreviewed.get(migration.path);
    if (!why) return [];
    return [
      {
        rule: 'review-incomplete',
        severity: 'error' as const,
        source: 'apply' as const,
        file: migration.path,
        line: why.line,
        endLine: why.line,
        message: `This migration was not reviewed: ${why.reason}. Nothing from here on was applied and observed, so the change cannot pass; re-run the review.`,
        fingerprint: fingerprint('review-incomplete', migration.path, ''),
      },
    ];
  });
}
