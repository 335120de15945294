// What every PGlite sandbox of a process needs, started before it is asked for: the CLI calls this
// while it loads the review's modules and reads the change, so the fresh cluster is read (the worker
// inflates it) and a sandbox worker loads PGlite's modules in the meantime rather than after. The WASM
// is compiled once the review has chosen its compiler tier (cli/review-command.ts), which must precede
// the compile.
import { defaultsWithoutSchema } from '../config/defaults.js';
import { freshClusterAtHand, freshClusterTarball } from './cluster.js';
import { spareSandboxWorker } from './worker-client.js';

/**
 * Starts reading the fresh-cluster tarball, and a worker for the first sandbox (at the default
 * sandbox.memory-mb: a config that sets another starts its own, as before). Never runs initdb (a review
 * on the server engine needs none): without a cached tarball the first sandbox makes it, as before.
 * Failures are left to the sandbox that asks again.
 */
export function prewarmSandbox(env: NodeJS.ProcessEnv = process.env): void {
  if (freshClusterAtHand(env)) freshClusterTarball().catch(() => undefined);
  try {
    spareSandboxWorker(defaultsWithoutSchema().sandbox['memory-mb']);
  } catch {
    // the first sandbox starts its worker itself
  }
}
