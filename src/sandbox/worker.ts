// The sandbox worker: one in-memory PGlite per worker thread. It only runs what it is asked; the main
// thread owns deadlines, memory bounds and health checks, because a running query blocks this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { openPglite } from './cluster.js';
import { loadContribModules } from './extensions.js';
import { dumpDataDir, walExtent, type DumpFs } from './dump.js';
import { collectGarbage, MemoryBound, MemoryCounters, memoryShares } from './memory-bound.js';
import { WAL_INSERT_LSN, type QueryValue, type WorkerError, type WorkerInit, type WorkerRequest, type WorkerResponse, type WorkerStartMessage } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('sandbox worker started outside a worker thread');

const WebAssemblyRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

function toWorkerError(error: unknown): WorkerError {
  if (error && typeof error === 'object' && 'message' in error) {
    const e = error as { message: string; code?: unknown; detail?: unknown; hint?: unknown; position?: unknown };
    const sqlstate = typeof e.code === 'string' ? e.code : undefined;
    const position = typeof e.position === 'string' || typeof e.position === 'number' ? Number(e.position) : undefined;
    // A WASM trap or abort leaves the instance unusable; other JS errors (a bad parameter) do not.
    const fatal = !sqlstate && (error instanceof WebAssemblyRuntimeError || /\babort|unreachable|out of bounds/i.test(String(e.message)));
    return {
      message: String(e.message),
      ...(sqlstate ? { sqlstate } : {}),
      ...(fatal ? { fatal } : {}),
      ...(typeof e.detail === 'string' && e.detail ? { detail: e.detail } : {}),
      ...(typeof e.hint === 'string' && e.hint ? { hint: e.hint } : {}),
      ...errorFields(error),
      ...(position !== undefined && Number.isFinite(position) && position > 0 ? { position } : {}),
    };
  }
  return { message: String(error) };
}

/** Postgres' structured error fields, as PGlite's DatabaseError carries them. */
function errorFields(error: object): Pick<WorkerError, 'schema' | 'table' | 'column' | 'constraint'> {
  const e = error as Record<string, unknown>;
  const fields: Pick<WorkerError, 'schema' | 'table' | 'column' | 'constraint'> = {};
  for (const key of ['schema', 'table', 'column', 'constraint'] as const) {
    const value = e[key];
    if (typeof value === 'string' && value) fields[key] = value;
  }
  return fields;
}

function queryValue(result: { rows: unknown[]; fields: { name: string }[]; affectedRows?: number }): QueryValue {
  return {
    rows: result.rows as Record<string, unknown>[],
    fields: result.fields.map((f) => f.name),
    ...(result.affectedRows !== undefined ? { affectedRows: result.affectedRows } : {}),
  };
}

let db: PGlite;
let openOptions: Parameters<typeof openPglite>[0];
let counters: MemoryCounters | undefined;
let dataBudgetBytes = 0;
/** The bound of the instance running now (none between a restore's close and its new start). */
let bound: MemoryBound | undefined;
/** The running instance trapped or aborted: its heap is not reused (reusableHeap). */
let broken = false;
/** Ends the hold on a reply's memory once the reply has left the worker. */
let releaseAfterReply: (() => void) | undefined;

/** A PGlite with a memory bound of its own (a new heap each time: restore starts a new instance). */
async function open(tarball: Uint8Array | undefined, heap?: WebAssembly.Memory): Promise<PGlite> {
  const next = new MemoryBound(dataBudgetBytes, counters!, heap);
  broken = false;
  const instance = await openPglite({
    ...openOptions,
    extensions: { ...openOptions!.extensions, pgproMemoryBound: next.extension },
    ...(tarball ? { tarball } : {}),
  });
  bound = next;
  // Start-up copies of the data directory (and, on restore, the previous instance) are garbage now.
  bound.collect();
  return instance;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'query':
      return queryValue(await db.query(request.sql, request.params ?? []));
    case 'exec':
      return (await db.exec(request.sql)).map(queryValue);
    case 'copy':
      return queryValue(await db.query(request.sql, [], { blob: new Blob([request.data]) }));
    case 'dump': {
      // Checkpointed first: the data files then hold every change, and an instance restored from the
      // archive starts at once. Without it Postgres, finding the directory as if after a crash, redoes
      // the WAL since the last checkpoint (on a snapshot of a replayed history: all of it) and checkpoints
      // at the end of that recovery: ~0.15 s of each warm review's restore. What is restored is the same.
      await db.exec('CHECKPOINT');
      const wal = await walExtent(db);
      // A plain tar, held against the bound until it is sent: the main thread gzips it with zlib, off
      // this thread and several times faster.
      return dumpDataDir(
        pgliteFs(db),
        (bytes) => {
          releaseAfterReply = bound!.hold(bytes);
        },
        undefined,
        wal,
      );
    }
    case 'restore': {
      const heap = await closeKeepingHeap();
      // The old instance's files go before the new ones are made, not after: otherwise both are held
      // at once for a moment, and the process's resident memory keeps that peak. Its heap, zeroed,
      // is the new instance's (memory-bound.ts reusableHeap).
      db = undefined as unknown as PGlite;
      bound = undefined;
      collectGarbage();
      db = await open(request.tarball, heap);
      return walInsertLsn(db);
    }
    case 'close':
      await db.close();
      return null;
  }
}

/** Where the instance's WAL ends: it moves with every change Postgres logs (sandbox.ts unchangedSince). */
async function walInsertLsn(instance: PGlite): Promise<string> {
  return (await instance.query<{ lsn: string }>(`SELECT ${WAL_INSERT_LSN} AS lsn`)).rows[0]?.lsn ?? '';
}

/** Closes the running instance; its heap, zeroed for the next one, unless it cannot be reused. */
async function closeKeepingHeap(): Promise<WebAssembly.Memory | undefined> {
  const previous = bound;
  const reusable = !broken;
  await db.close();
  return reusable ? previous?.reusableHeap() : undefined;
}

/** The Emscripten file system under a PGlite instance. */
function pgliteFs(instance: PGlite): DumpFs {
  const fs = (instance as unknown as { mod?: { FS?: DumpFs } }).mod?.FS;
  if (!fs) throw new Error('this PGlite version does not expose its file system; the snapshot was not taken');
  return fs;
}

/** PGlite's own start parameters (single-user mode, no parallel workers…), which startParams replaces. */
function defaultStartParams(): string[] {
  const params = (PGlite as unknown as { defaultStartParams?: unknown }).defaultStartParams;
  if (!Array.isArray(params)) throw new Error('this PGlite version does not expose defaultStartParams');
  return params as string[];
}

/** The worker's WorkerInit: its workerData, or for a spare worker (worker-client.ts) its first message. */
function initOf(): Promise<WorkerInit> {
  const data = workerData as WorkerInit | { spare: true };
  if (!('spare' in data)) return Promise.resolve(data);
  return new Promise((resolve) => port!.once('message', (init: WorkerInit) => resolve(init)));
}

async function start(): Promise<void> {
  const init = await initOf();
  try {
    const tempFileLimit = `temp_file_limit=${Math.max(1, Math.floor(init.tempFileLimitMb))}MB`;
    const shares = memoryShares(init.memoryMb);
    counters = new MemoryCounters(init.memoryCounters);
    dataBudgetBytes = shares.dataMb * 1024 * 1024;
    openOptions = {
      // Server-level settings, so that RESET ALL in a migration comes back to them. shared_buffers is
      // small to keep the process small (memory-bound.ts); what it would change besides memory is fixed:
      // wal_buffers at what the default 128 MB pool gives, and no synchronized scans, whose threshold
      // (a quarter of the pool) would otherwise let a scan start mid-table behind an earlier LIMIT scan
      // on far smaller tables than before (at the old threshold too they are off: the scan order of
      // every table is then its physical order, as on a production server for all its smaller tables).
      startParams: [
        ...defaultStartParams(),
        '-c',
        tempFileLimit,
        // A new WAL segment is made by writing its last byte, not 16 MB of zeros: in MEMFS those zeros
        // grew the file 8 KB at a time, ~25 copies of it and ~140 MB of garbage (so several forced
        // collections, memory-bound.ts), 40-400 ms per segment. A restore whose log ended past 3/4 of a
        // segment made one at its start-up checkpoint (issue 14). Bytes past a MEMFS file's end read as
        // zeros, which is all Postgres asks of a new segment.
        '-c',
        'wal_init_zero=off',
        '-c',
        `shared_buffers=${shares.sharedBuffersMb}MB`,
        '-c',
        'wal_buffers=4MB',
        '-c',
        'synchronize_seqscans=off',
      ],
      extensions: await loadContribModules(init.contribModules),
      ...(init.wasmModule ? { pgliteWasmModule: init.wasmModule } : {}),
    };
    const tarball = init.tarball;
    // The instance will hold the data directory: the worker's copy of the tarball would only hold memory.
    delete init.tarball;
    db = await open(tarball);
    const started = await db.query<{ server_version: string; lsn: string }>(`SELECT current_setting('server_version') AS server_version, ${WAL_INSERT_LSN} AS lsn`);
    const ready: WorkerStartMessage = { type: 'ready', serverVersion: started.rows[0]?.server_version ?? 'unknown', walLsn: started.rows[0]?.lsn ?? '' };
    port!.postMessage(ready);
  } catch (error) {
    const refused = (counters?.takeRefusals() ?? 0) > 0;
    const failed: WorkerStartMessage = { type: 'failed', error: { ...toWorkerError(error), ...(refused ? { memoryBound: true } : {}) } };
    port!.postMessage(failed);
    return;
  }
  port!.on('message', (request: WorkerRequest) => {
    counters!.takeRefusals();
    handle(request).then(
      (value) => {
        const response: WorkerResponse = { id: request.id, ok: true, value };
        try {
          // A shared archive (dump.ts) is referenced, not transferred: it cannot be in a transfer list.
          if (value instanceof Uint8Array && value.buffer instanceof ArrayBuffer) port!.postMessage(response, [value.buffer]);
          else port!.postMessage(response);
        } catch (error) {
          // A value that cannot be cloned to the main thread (should not happen with PGlite's parsers).
          const failed: WorkerResponse = { id: request.id, ok: false, error: { message: `result not transferable: ${String(error)}` } };
          port!.postMessage(failed);
        } finally {
          // Transferred (or dropped): the archive is no longer this worker's.
          releaseAfterReply?.();
          releaseAfterReply = undefined;
        }
        if (request.op === 'close') port!.close();
      },
      (error: unknown) => {
        const refused = counters!.takeRefusals() > 0;
        const failure = toWorkerError(error);
        if (failure.fatal) broken = true;
        const response: WorkerResponse = { id: request.id, ok: false, error: { ...failure, ...(refused ? { memoryBound: true } : {}) } };
        port!.postMessage(response);
      },
    );
  });
}

void start();
