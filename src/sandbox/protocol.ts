// Messages between the sandbox (main thread) and its PGlite worker. Every request carries an id that
// its response repeats; the main thread sends one request at a time so that each deadline measures
// only its own request.
import type { ServerErrorFields } from '../types.js';

/** Where the instance's WAL ends: it moves with every change Postgres logs. Both sides compare it. */
export const WAL_INSERT_LSN = 'pg_current_wal_insert_lsn()::text';

export interface WorkerInit {
  /** Gzipped data directory to start from; the fresh cluster when absent. */
  tarball?: Uint8Array;
  /** PGlite contrib modules to load (see extensions.ts). */
  contribModules: string[];
  /** pglite.wasm compiled once by the main thread: each worker would otherwise compile it again. */
  wasmModule?: WebAssembly.Module;
  /** temp_file_limit in MB: temporary files fail cleanly before the memory bound stops the sandbox. */
  tempFileLimitMb: number;
  /** The sandbox's memory bound (memory-bound.ts), its heap, files and JS heap together. */
  memoryMb: number;
  /** MemoryCounters' buffer: the worker publishes its heap and file bytes there. */
  memoryCounters: SharedArrayBuffer;
}

export type WorkerRequest =
  | { id: number; op: 'query'; sql: string; params?: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  /** COPY … FROM '/dev/blob' with `data` as the blob. */
  | { id: number; op: 'copy'; sql: string; data: string }
  | { id: number; op: 'dump' }
  /** Reopen PGlite from this data directory: the same worker, a fresh instance. Answers its WAL's end. */
  | { id: number; op: 'restore'; tarball: Uint8Array }
  | { id: number; op: 'close' };

export interface WorkerError extends ServerErrorFields {
  /** 1-based character position in the SQL sent (syntax and name-resolution errors). */
  position?: number;
  /** Not a Postgres error: the engine itself failed (WASM abort…); the instance is unusable. */
  fatal?: boolean;
  /** The memory bound refused an allocation while this request ran: that is what failed it. */
  memoryBound?: boolean;
}

export interface QueryValue {
  rows: Record<string, unknown>[];
  fields: string[];
  affectedRows?: number;
}

export type WorkerResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WorkerError };

export type WorkerStartMessage =
  /** `walLsn`: where the instance's WAL ends once started (sandbox.ts unchangedSince). */
  | { type: 'ready'; serverVersion: string; walLsn: string }
  | { type: 'failed'; error: WorkerError };
