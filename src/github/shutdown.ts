// Graceful shutdown of the App on SIGTERM (a deploy, `docker stop`) and SIGINT: stop answering new
// webhooks, let running reviews finish within a grace period, then stop them. Every check run the process
// opened ends `completed`: a review stopped or never started is `cancelled` with advice to re-run it.
import type { JobQueue } from './queue.js';

export interface ShutdownTarget {
  /** Stops the HTTP server: no new webhooks. */
  stopServer(): Promise<void>;
  queue(): JobQueue | undefined;
  log: { info(message: string): void; error(details: unknown, message: string): void };
}

/** Docker's stop waits 10 s before SIGKILL: finish within that by default. */
export const DEFAULT_GRACE_MS = 8_000;

export function shutdownGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.PGPRO_SHUTDOWN_GRACE_SECONDS);
  return Number.isFinite(seconds) && seconds >= 0 && env.PGPRO_SHUTDOWN_GRACE_SECONDS !== '' ? seconds * 1000 : DEFAULT_GRACE_MS;
}

/** Runs the shutdown once, whichever signal comes first; a second signal while it runs exits at once. */
export function gracefulShutdown(target: ShutdownTarget, graceMs: number): (signal: string) => Promise<void> {
  let running: Promise<void> | undefined;
  return (signal) => {
    if (running) return running;
    target.log.info(`pgpro: ${signal} received; finishing running reviews (up to ${graceMs / 1000} s)`);
    running = (async () => {
      const queue = target.queue();
      // The server stops taking webhooks first, so no new job arrives while the queue drains.
      await target.stopServer().catch((error: unknown) => target.log.error({ err: error }, 'pgpro: stopping the HTTP server failed'));
      await queue?.shutdown?.(graceMs);
      await queue?.close?.();
      target.log.info('pgpro: shut down');
    })();
    return running;
  };
}

/** Installs the handlers on the process: exit 0 after a clean shutdown. */
export function handleSignals(shutdown: (signal: string) => Promise<void>, exit: (code: number) => void = process.exit): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      void shutdown(signal).then(
        () => exit(0),
        () => exit(1),
      );
    });
  }
}
