// CPU time of the calling thread, for timing a statement in the sandbox worker that runs it. The
// process's CPU time (process.cpuUsage) also counts the review's other threads (the main thread, other
// sandboxes, V8's compiler and collector threads), whose work has nothing to do with the statement and
// varies with the machine's load and the review's shape. Linux's schedstat gives this thread's own time
// in nanoseconds; elsewhere there is none and callers keep wall time.
import { readFileSync } from 'node:fs';

let available = process.platform === 'linux';

/** This thread's CPU time in ms, or undefined where the system does not say. */
export function threadCpuMs(): number | undefined {
  if (!available) return undefined;
  try {
    const runNs = Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ', 1)[0]);
    if (Number.isFinite(runNs)) return runNs / 1e6;
  } catch {
    // no /proc, or schedstat not built into the kernel
  }
  available = false;
  return undefined;
}
