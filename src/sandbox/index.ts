export { createSandbox, SandboxSetupError } from './sandbox.js';
export type { MigrationRun, PreparedMigration, PreparedStatement, Sandbox, SandboxOptions, SnapshotUse } from './sandbox.js';
export { SandboxQueryError, SandboxStoppedError, type StopReason } from './worker-client.js';
export { prepareMigration } from './prepare.js';
export { extensionsIn, isSupportedExtension } from './extensions.js';
export { SnapshotCache, historyPrefixHashes, type HistoryEntry, type SnapshotCacheOptions } from './snapshot-cache.js';
export { readCatalog } from './catalog.js';
export { SandboxPool, type PoolStart, type SandboxPoolOptions } from './pool.js';
