// Limits one review sets on all of its sandboxes together (the main one, fix proofs): a stop signal
// for the review's deadline and for cancellation, and a budget of sandbox time. Both reach the
// statement running now, not only the next one.
import { availableParallelism, loadavg } from 'node:os';

/** Why a review stopped its sandboxes; the abort reason of the signal given to them. */
export class ReviewStopped extends Error {
  override name = 'ReviewStopped';
}

/**
 * Milliseconds of SQL a pull request's review may run in sandboxes, summed over all of them. Each
 * request may run for what is left when it starts, so sandboxes running side by side can overshoot
 * by what they run at the same time.
 */
export class SandboxTimeBudget {
  private usedMs = 0;

  constructor(readonly totalMs: number) {}

  get remainingMs(): number {
    return Math.max(0, this.totalMs - this.usedMs);
  }

  charge(ms: number): void {
    this.usedMs += Math.max(0, ms);
  }

  /** The budget's timer fired: nothing is left, whatever the clocks measured. */
  exhaust(): void {
    this.usedMs = Math.max(this.usedMs, this.totalMs);
  }

  get spentMs(): number {
    return this.usedMs;
  }

  /** The message of a statement stopped because the budget ran out. */
  message(): string {
    return `the pull request's sandbox time (limits.sandbox-seconds = ${this.totalMs / 1000} s) ran out while this statement ran; the sandbox was stopped`;
  }
}

/**
 * What belongs to one review on a sandbox, not to the sandbox: the review's stop signal (deadline,
 * cancellation) and its sandbox-time budget. A sandbox started ahead of time (the warm pool) gets the
 * review's when it is handed out (Sandbox.bindReview).
 */
export interface ReviewLimits {
  signal?: AbortSignal;
  timeBudget?: SandboxTimeBudget;
}

/** The message a stop signal carries. */
export function stopMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof ReviewStopped) return reason.message;
  const detail = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : undefined;
  return `the review was cancelled${detail ? ` (${detail})` : ''}; the sandbox was stopped`;
}

/** At most this many times the configured start limit, however loaded the machine. */
export const MAX_START_SCALE = 4;

/**
 * The deadline for a sandbox to start: the configured seconds scaled by how loaded the machine is (the
 * one-minute load average per core, from 1 up to MAX_START_SCALE). Starting compiles and loads WASM on a
 * CPU other reviews and processes share; a fixed limit failed whole runs on a busy machine.
 */
export function startTimeoutMs(seconds: number, load: { loadavg: number; cores: number } = machineLoad()): number {
  const perCore = load.cores > 0 ? load.loadavg / load.cores : 1;
  const scale = Math.min(MAX_START_SCALE, Math.max(1, Number.isFinite(perCore) ? perCore : 1));
  return Math.round(seconds * 1000 * scale);
}

function machineLoad(): { loadavg: number; cores: number } {
  return { loadavg: loadavg()[0] ?? 0, cores: availableParallelism() };
}
