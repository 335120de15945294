// Whether the machine has a core to spare for work the review does on the side (the fix proofs'
// sandbox opened ahead, with a worker of its own). On an idle machine that work runs beside the review
// and saves its wait; on one busy with other processes it only takes CPU from the review's own threads
// and the review ends later. Measured, not guessed: what the other processes used between the CLI's
// start and the review's, from the kernel's per-core times less this process's own.
import { availableParallelism, cpus } from 'node:os';

export interface Sample {
  /** Busy and total time over all cores, ms. */
  busy: number;
  total: number;
  /** This process's CPU time (every thread), ms. */
  own: number;
}

let first: Sample | undefined;

function sample(): Sample {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    total += used + times.idle;
  }
  const usage = process.cpuUsage();
  return { busy, total, own: (usage.user + usage.system) / 1000 };
}

/** The first sample, at the CLI's start (cheap: the kernel's counters). */
export function sampleMachine(): void {
  first ??= sample();
}

/** The kernel counts in ticks of 10 ms: a shorter window says nothing. */
const MIN_WINDOW_MS = 40;

/**
 * True when the other processes left at least 1.5 cores idle since sampleMachine(): room for a second
 * sandbox's start beside the review's own (and the main thread). False when unknown.
 */
export function coreToSpare(): boolean {
  if (!first) return false;
  const idle = idleCores(first, sample(), Math.max(1, Math.min(availableParallelism(), cpus().length)));
  return idle !== undefined && idle >= 1.5;
}

/** Cores the other processes left idle between two samples (this process's own use counts as idle); undefined for too short a window. */
export function idleCores(from: Sample, to: Sample, cores: number): number | undefined {
  const window = (to.total - from.total) / cores;
  if (window < MIN_WINDOW_MS) return undefined;
  const others = Math.max(0, to.busy - from.busy - (to.own - from.own)) / window;
  return cores - others;
}
