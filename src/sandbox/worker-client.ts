// The main thread's handle on one sandbox worker. It owns the deadlines: a request that overruns its
// deadline terminates the worker (PGlite ignores statement_timeout). The memory bound is the sandbox's
// own, enforced in the worker as memory is taken (memory-bound.ts) and by the worker's resourceLimits;
// either one stops this sandbox only. Requests go one at a time so a deadline only ever measures its
// own request.
import { Worker } from 'node:worker_threads';
import { stopMessage, type SandboxTimeBudget } from './limits.js';
import { bytesToMb, MemoryCounters, memoryShares } from './memory-bound.js';
import type { QueryValue, WorkerError, WorkerInit, WorkerRequest, WorkerResponse, WorkerStartMessage } from './protocol.js';

/** `cancelled`: the review stopped it (its deadline, a newer push, its sandbox-time budget), not the statement. */
export type StopReason = 'timeout' | 'memory' | 'died' | 'crashed' | 'closed' | 'cancelled';

const SQLSTATE_BY_REASON: Record<StopReason, string> = {
  timeout: '57014', // query_canceled
  memory: '53200', // out_of_memory
  died: 'XX000', // internal_error
  crashed: 'XX000',
  closed: '08003', // connection_does_not_exist
  cancelled: '57014', // query_canceled
};

/** The sandbox was stopped (deadline, memory, dead instance, closed): it runs nothing more. */
export class SandboxStoppedError extends Error {
  readonly sqlstate: string;
  constructor(
    readonly reason: StopReason,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxStoppedError';
    this.sqlstate = SQLSTATE_BY_REASON[reason];
  }
}

/** An ordinary Postgres error from a statement; the sandbox is still usable. */
export class SandboxQueryError extends Error {
  readonly sqlstate?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: number;
  readonly fields: Pick<WorkerError, 'schema' | 'table' | 'column' | 'constraint'>;
  constructor(error: WorkerError) {
    super(error.message);
    this.name = 'SandboxQueryError';
    if (error.sqlstate) this.sqlstate = error.sqlstate;
    if (error.detail) this.detail = error.detail;
    if (error.hint) this.hint = error.hint;
    if (error.position) this.position = error.position;
    const { schema, table, column, constraint } = error;
    this.fields = {
      ...(schema ? { schema } : {}),
      ...(table ? { table } : {}),
      ...(column ? { column } : {}),
      ...(constraint ? { constraint } : {}),
    };
  }
}

export interface ClientLimits {
  memoryMb: number;
  startTimeoutMs: number;
  /** Stops the worker at once, the request in flight included (the review's deadline, cancellation). */
  signal?: AbortSignal;
  /** Sandbox time shared with the review's other sandboxes; a request runs at most what is left. */
  budget?: SandboxTimeBudget;
}

type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  id: number;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  startedAt: number;
}


function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url);
  // From TypeScript sources (vitest, tsx) the worker is TypeScript too. Node 20 ignores `--import tsx`
  // in a worker's execArgv, so a tiny ESM bootstrap registers tsx's loader before importing it.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/**
 * A worker started before its sandbox is asked for (spareSandboxWorker): it loads its modules while the
 * CLI loads its own and reads the change, and takes its WorkerInit as its first message.
 */
let spare: { worker: Worker; memoryMb: number; alive: boolean } | undefined;

/** The worker's heap limits for a sandbox bound of `memoryMb` (fixed when the thread starts). */
function resourceLimits(memoryMb: number): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const shares = memoryShares(memoryMb);
  return { maxOldGenerationSizeMb: shares.jsHeapMb, maxYoungGenerationSizeMb: shares.youngMb };
}

/**
 * Starts one sandbox worker ahead of time for a sandbox bound of `memoryMb` (the CLI, before it knows
 * what it reviews). The next sandbox started with that bound takes it; one with another bound, or none
 * (the server engine, a review that ends early), leaves it unused, and it never keeps the process alive.
 */
export function spareSandboxWorker(memoryMb: number): void {
  if (spare) return;
  const worker = new Worker(workerEntry(), { workerData: { spare: true }, resourceLimits: resourceLimits(memoryMb) });
  const entry = { worker, memoryMb, alive: true };
  const dead = () => {
    entry.alive = false;
  };
  worker.once('error', dead).once('exit', dead);
  worker.unref();
  spare = entry;
}

/** A bound for which one more spare worker is started when the current one is taken (replenishSpareSandboxWorker). */
let replenish: number | undefined;

/**
 * One more spare worker for a sandbox bound of `memoryMb`, started when the spare worker is taken (at
 * once if there is none): the CLI's second sandbox (the fix proofs', opened while the review runs) then
 * finds its modules loaded, loaded while the first sandbox starts and the main thread waits. Once.
 */
export function replenishSpareSandboxWorker(memoryMb: number): void {
  if (spare) replenish = memoryMb;
  else spareSandboxWorker(memoryMb);
}

/** Whether a spare worker is started and not taken yet, and for which bound. */
export function spareSandboxWorkerBound(): number | undefined {
  return spare?.alive ? spare.memoryMb : undefined;
}

/** The spare worker, if one is started for this bound and still alive; it is no longer spare. */
function takeSpare(memoryMb: number): Worker | undefined {
  const taken = spare;
  if (!taken || !taken.alive || taken.memoryMb !== memoryMb) return undefined;
  spare = undefined;
  taken.worker.ref();
  if (replenish !== undefined) {
    const bound = replenish;
    replenish = undefined;
    spareSandboxWorker(bound);
  }
  return taken.worker;
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

export class WorkerClient {
  private nextId = 0;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stoppedWith: SandboxStoppedError | undefined;
  private readonly exited: Promise<void>;
  private readonly onAbort = (): void => this.stop('cancelled', stopMessage(this.limits.signal!));

  private constructor(
    private readonly worker: Worker,
    private limits: ClientLimits,
    readonly serverVersion: string,
    /** Where the instance's WAL ended once it started. */
    readonly startWalLsn: string,
    /** Postgres' heap and files in this sandbox now and at most, read without asking the worker. */
    readonly memory: MemoryCounters,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: WorkerResponse) => this.onResponse(message));
    worker.on('error', (error) =>
      isOutOfMemory(error) ? this.stop('memory', this.memoryMessage('its JavaScript heap')) : this.stop('crashed', `the sandbox worker failed: ${error.message}`),
    );
    worker.on('exit', (code) => this.stop('crashed', `the sandbox worker exited (code ${code})`));
    if (limits.signal?.aborted) this.onAbort();
    else limits.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  static async start(init: Omit<WorkerInit, 'memoryMb' | 'memoryCounters'>, limits: ClientLimits): Promise<WorkerClient> {
    const memory = MemoryCounters.create();
    const data = { ...init, memoryMb: limits.memoryMb, memoryCounters: memory.buffer } satisfies WorkerInit;
    const ready = takeSpare(limits.memoryMb);
    if (ready) ready.postMessage(data);
    const worker = ready ?? new Worker(workerEntry(), { workerData: data, resourceLimits: resourceLimits(limits.memoryMb) });
    let onMessage: (message: WorkerStartMessage) => void = () => undefined;
    let onError: (error: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: () => void = () => undefined;
    const started = await new Promise<WorkerStartMessage>((resolve, reject) => {
      onAbort = () => {
        void worker.terminate();
        reject(new SandboxStoppedError('cancelled', stopMessage(limits.signal!)));
      };
      if (limits.signal?.aborted) return onAbort();
      limits.signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new SandboxStoppedError('timeout', `the sandbox did not start within ${seconds(limits.startTimeoutMs)} (sandbox.start-timeout-seconds, scaled by the machine's load)`));
      }, limits.startTimeoutMs);
      onMessage = resolve;
      onError = (error) =>
        reject(isOutOfMemory(error) ? new SandboxStoppedError('memory', `the sandbox could not start within its memory bound (sandbox.memory-mb = ${limits.memoryMb})`) : error);
      onExit = (code) => reject(new SandboxStoppedError('crashed', `the sandbox worker exited while starting (code ${code})`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => {
      clearTimeout(timer);
      limits.signal?.removeEventListener('abort', onAbort);
      // Only our own listeners: Worker keeps internal ones that removeAllListeners() would break.
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    });
    if (started.type === 'failed') {
      await worker.terminate();
      if (started.error.memoryBound) {
        throw new SandboxStoppedError('memory', `the sandbox could not start within its memory bound (sandbox.memory-mb = ${limits.memoryMb})`);
      }
      throw new SandboxStoppedError('crashed', `the sandbox could not start: ${started.error.message}`);
    }
    return new WorkerClient(worker, limits, started.serverVersion, started.walLsn, memory);
  }

  /**
   * From now on the sandbox answers to this signal and charges this budget, and to nothing it had
   * before: a sandbox started ahead of time goes to a review that did not exist when it started, and
   * the one it was started for (or the pool) must no longer reach it. Only between requests.
   */
  rebind(limits: Pick<ClientLimits, 'signal' | 'budget'>): void {
    if (this.pending) throw new Error('a sandbox is handed to another review only while it runs nothing');
    this.limits.signal?.removeEventListener('abort', this.onAbort);
    const { signal: _signal, budget: _budget, ...own } = this.limits;
    this.limits = { ...own, ...(limits.signal ? { signal: limits.signal } : {}), ...(limits.budget ? { budget: limits.budget } : {}) };
    if (this.stoppedWith) return;
    if (this.limits.signal?.aborted) this.onAbort();
    else this.limits.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Why the sandbox stopped, or undefined while it runs. */
  get stopped(): SandboxStoppedError | undefined {
    return this.stoppedWith;
  }

  query(sql: string, params: unknown[] | undefined, timeoutMs: number): Promise<QueryValue> {
    return this.request({ op: 'query', sql, ...(params ? { params } : {}) }, timeoutMs) as Promise<QueryValue>;
  }

  exec(sql: string, timeoutMs: number): Promise<QueryValue[]> {
    return this.request({ op: 'exec', sql }, timeoutMs) as Promise<QueryValue[]>;
  }

  copy(sql: string, data: string, timeoutMs: number): Promise<QueryValue> {
    return this.request({ op: 'copy', sql, data }, timeoutMs) as Promise<QueryValue>;
  }

  dump(timeoutMs: number): Promise<Uint8Array> {
    return this.request({ op: 'dump' }, timeoutMs) as Promise<Uint8Array>;
  }

  /** Replaces the worker's PGlite with a fresh one started from `tarball`; where its WAL ends then. */
  restore(tarball: Uint8Array, timeoutMs: number): Promise<string> {
    return this.request({ op: 'restore', tarball }, timeoutMs) as Promise<string>;
  }

  /**
   * Closes PGlite cleanly when it is idle, and always ends the worker. A busy worker is ended at once:
   * whoever closes a sandbox in the middle of a statement (a fix proof out of time) must not wait for it.
   */
  async close(timeoutMs: number): Promise<void> {
    if (!this.stoppedWith && !this.pending) {
      try {
        await this.request({ op: 'close' }, timeoutMs);
      } catch {
        // a hung or dead instance is terminated below
      }
    }
    this.stop('closed', 'the sandbox was closed');
    await this.exited;
  }

  /** Ends the worker now; pending and later requests fail with this reason. */
  stop(reason: StopReason, message: string): void {
    if (this.stoppedWith) return;
    this.stoppedWith = new SandboxStoppedError(reason, message);
    this.limits.signal?.removeEventListener('abort', this.onAbort);
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      this.limits.budget?.charge(performance.now() - pending.startedAt);
      pending.reject(this.stoppedWith);
    }
    void this.worker.terminate();
  }

  private request(request: Request, timeoutMs: number): Promise<unknown> {
    const run = this.queue.then(() => this.dispatch(request, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private dispatch(request: Request, timeoutMs: number): Promise<unknown> {
    if (this.stoppedWith) return Promise.reject(this.stoppedWith);
    const budget = this.limits.budget;
    if (budget && budget.remainingMs <= 0) {
      this.stop('cancelled', budget.message());
      return Promise.reject(this.stoppedWith);
    }
    const id = ++this.nextId;
    const budgetBound = budget !== undefined && budget.remainingMs < timeoutMs;
    const limitMs = budgetBound ? budget.remainingMs : timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          budgetBound
            ? (budget.exhaust(), this.stop('cancelled', budget.message()))
            : this.stop('timeout', `statement did not finish within ${seconds(timeoutMs)}; the sandbox was stopped`),
        limitMs,
      );
      try {
        this.worker.postMessage({ ...request, id } as WorkerRequest);
      } catch (error) {
        // Parameters that cannot be cloned to the worker: nothing was sent.
        clearTimeout(timer);
        reject(new SandboxQueryError({ message: `parameters cannot be sent to the sandbox: ${error instanceof Error ? error.message : String(error)}` }));
        return;
      }
      this.pending = { id, resolve, reject, timer, startedAt: performance.now() };
    });
  }

  private onResponse(message: WorkerResponse): void {
    const pending = this.pending;
    if (!pending || pending.id !== message.id) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    this.limits.budget?.charge(performance.now() - pending.startedAt);
    if (message.ok) {
      pending.resolve(message.value);
    } else if (message.error.memoryBound) {
      // Refused memory failed it (out of memory, no space for a file, or Postgres stopped on it).
      this.stop('memory', this.memoryMessage(message.error.message));
      pending.reject(this.stoppedWith!);
    } else if (message.error.fatal) {
      this.stop('crashed', `the sandbox's Postgres failed: ${message.error.message}`);
      pending.reject(this.stoppedWith!);
    } else {
      pending.reject(new SandboxQueryError(message.error));
    }
  }

  private memoryMessage(what: string): string {
    return `statement needed more than the sandbox's ${this.limits.memoryMb} MB (sandbox.memory-mb; ${what}, with ${bytesToMb(this.memory.peakBytes)} MB of Postgres memory and files); the sandbox was stopped`;
  }
}

/** The worker ran out of its JS heap (resourceLimits): only that worker ends. */
function isOutOfMemory(error: Error): boolean {
  return (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
}
