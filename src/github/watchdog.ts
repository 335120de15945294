// A watchdog on its own thread. The main thread's event loop answers webhooks and /healthz and runs
// every review's JavaScript; if something there stops yielding (a pathological computation no deadline
// can interrupt, since timers run on that same loop), nothing in the process can end it. The
// watchdog thread sees the main thread's heartbeat stop, writes one log line synchronously and kills
// the process, so that the supervisor (Docker's restart policy, Kubernetes) starts a fresh one instead
// of leaving every repository's reviews and /healthz hanging.
import { Worker } from 'node:worker_threads';

export interface WatchdogOptions {
  /** How long the main thread may go without a heartbeat before the process is ended. */
  stallMs: number;
  /** Heartbeat period; also how often the watchdog looks. */
  beatMs?: number;
}

export interface Watchdog {
  /** Resolves once the watchdog thread runs and watches. */
  ready: Promise<void>;
  /** What the main thread is doing, for the log line if it stalls (e.g. the reviews running). */
  describe(activity: string): void;
  stop(): Promise<void>;
}

// Runs in the watchdog thread. Plain JavaScript: the worker is evaluated from this string, with no loader.
const WATCHDOG_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const beats = new Int32Array(workerData.heartbeat);
let activity = '';
parentPort.on('message', (message) => { activity = String(message); });
parentPort.postMessage('watching');
let last = Atomics.load(beats, 0);
let lastChange = Date.now();
setInterval(() => {
  const now = Date.now();
  const current = Atomics.load(beats, 0);
  if (current !== last) { last = current; lastChange = now; return; }
  if (now - lastChange < workerData.stallMs) return;
  const line = JSON.stringify({ level: 60, time: now, msg: 'pgpro watchdog: the main thread stopped responding for ' + (now - lastChange) + ' ms; ending the process so that it is restarted', activity });
  writeSync(2, line + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, workerData.beatMs);
`;

export function startWatchdog(options: WatchdogOptions): Watchdog {
  const beatMs = options.beatMs ?? Math.max(50, Math.min(1000, Math.floor(options.stallMs / 10)));
  const heartbeat = new SharedArrayBuffer(4);
  const beats = new Int32Array(heartbeat);
  // No execArgv: the watchdog needs no loader (tsx in development), and must not wait on one.
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, execArgv: [], workerData: { heartbeat, stallMs: options.stallMs, beatMs } });
  // Referenced until it watches (so that `ready` can resolve), then it must not keep the process alive.
  const ready = new Promise<void>((resolve) => worker.once('message', () => resolve())).then(() => void worker.unref());
  const timer = setInterval(() => Atomics.add(beats, 0, 1), beatMs);
  timer.unref();
  return {
    ready,
    describe: (activity) => worker.postMessage(activity),
    stop: async () => {
      clearInterval(timer);
      await worker.terminate();
    },
  };
}

/** PGPRO_WATCHDOG_SECONDS (default 120; 0 turns it off). */
export function watchdogStallMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PGPRO_WATCHDOG_SECONDS;
  const seconds = raw === undefined || raw === '' ? 120 : Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}
