import type { PgproConfig } from '../config/schema.js';
import { createSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';

/** Whether snapshots (and so the history cache) work on the configured engine. */
export function engineSnapshots(config: PgproConfig): boolean {
  return config.sandbox.engine === 'pglite';
}

/** The sandbox factory for the configured engine: PGlite by default, a scratch database on a server. */
export function sandboxFactory(config: PgproConfig, env: NodeJS.ProcessEnv = process.env): (options: SandboxOptions) => Promise<Sandbox> {
  if (config.sandbox.engine === 'pglite') return createSandbox;
  const url = config.sandbox.url ?? env.PGPRO_SANDBOX_URL;
  if (!url) {
    throw new Error('sandbox.engine is postgres, but no server is named: set sandbox.url, PGPRO_SANDBOX_URL or --sandbox-url.');
  }
  // Loaded only for this engine: a PGlite review does not load the server's client (pg).
  return async (options) => {
    const { createPostgresSandbox } = await import('./postgres/index.js');
    return createPostgresSandbox({ ...options, url });
  };
}
