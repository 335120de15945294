// The discovery settings of a config, apart from the discover stage so that `pgpro lint` reads them
// without loading the sandbox.
import type { PgproConfig } from '../config/schema.js';

export function discoverOptions(config: PgproConfig) {
  return {
    convention: config.migrations.convention,
    globs: config.migrations.paths,
    order: config.migrations.order,
    maxFileBytes: config.limits['max-file-bytes'],
    assumeInTransaction: config['assume-in-transaction'],
  };
}
