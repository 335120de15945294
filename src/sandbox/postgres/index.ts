// The postgres sandbox engine: a throwaway database per review on a scratch PostgreSQL server.
export { createPostgresSandbox, SnapshotNotSupportedError, type PostgresSandbox, type PostgresSandboxOptions } from './sandbox.js';
export { PostgresSandboxError, sweepStaleSandboxes, type SweepOptions } from './admin.js';
export { isSandboxDatabaseName, sandboxCreatedAt, sandboxDatabaseName } from './names.js';
