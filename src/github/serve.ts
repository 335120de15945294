// The production server: `probot run` with pgpro's Octokit (timeouts, secondary rate-limit retries), and a
// graceful shutdown on SIGTERM/SIGINT (src/github/shutdown.ts). Loaded by server.ts, which says what to install
// when the App's packages are missing.
import { run, type Probot } from 'probot';
import { lazyReview, pgproApp } from './app.js';
import type { JobQueue } from './queue.js';
import { pgproOctokit } from './octokit.js';
import { gracefulShutdown, handleSignals, shutdownGraceMs } from './shutdown.js';
import { startWatchdog, watchdogStallMs } from './watchdog.js';

let queue: JobQueue | undefined;
let log: Probot['log'] | undefined;
const before = new Set(process.listeners('SIGINT'));
const server = await run(pgproApp({ review: lazyReview, onQueue: (q, l) => ((queue = q), (log = l)) }), { Octokit: pgproOctokit() });
// Probot's own SIGINT handler exits as soon as the HTTP server stops, before running reviews end.
for (const listener of process.listeners('SIGINT')) if (!before.has(listener)) process.off('SIGINT', listener);
// Off the main thread: ends the process if its event loop stops turning (PGPRO_WATCHDOG_SECONDS).
const stallMs = watchdogStallMs();
if (stallMs > 0) startWatchdog({ stallMs });
handleSignals(
  gracefulShutdown(
    {
      stopServer: () => server.stop(),
      queue: () => queue,
      log: {
        info: (message) => (log ? log.info(message) : console.info(message)),
        error: (details, message) => (log ? log.error(details as object, message) : console.error(message, details)),
      },
    },
    shutdownGraceMs(),
  ),
);
