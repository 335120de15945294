// Review jobs: run in the background with a concurrency limit, one live job per pull request.

/** One unit of work. `group` is the pull request (owner/repo#number): a newer job of a group supersedes older ones. */
export interface Job {
  group: string;
  /**
   * Identities of this job for deduplication: the webhook delivery id, and for push-triggered reviews
   * the pull request + head sha. A job sharing any identity with one seen recently is a duplicate.
   */
  ids: readonly string[];
  /** Does the work. `signal` aborts when a newer job of the same group arrives; the job must then publish nothing. */
  run(signal: AbortSignal): Promise<void>;
  /** A serializable description of the work, for queues whose workers run in other processes. */
  data?: unknown;
  /** A stable id for such queues (repo, pull request and head sha), so the same work is queued once. */
  key?: string;
  /**
   * Who the job is for, from the widest to the narrowest (installation, then repository). A free slot
   * goes to the waiting job whose owners have the fewest jobs running, so that one busy repository or
   * installation cannot starve the others; among equals, the oldest job.
   */
  owners?: readonly string[];
}

export interface QueueDepth {
  waiting: number;
  running: number;
}

/** Where jobs wait and run. The in-process queue below is the default; a BullMQ one can implement the same contract. */
export interface JobQueue {
  /**
   * Reserves the identities of a job about to be added. Returns false when any of them was seen
   * recently (a redelivered webhook): the caller then does nothing at all. Synchronous in-process so
   * two identical deliveries arriving together cannot both pass.
   */
  claim(ids: readonly string[]): boolean | Promise<boolean>;
  /** Forgets identities claimed for a job that was finally not added (e.g. a skipped draft). */
  release(ids: readonly string[]): void | Promise<void>;
  /** Queues a job whose ids were claimed. Aborts older jobs of the same group, queued or running. */
  add(job: Job): void | Promise<void>;
  /**
   * Counts work started outside the queue (a webhook's scheduling, which runs after the webhook is
   * answered) as pending until it settles, so that idle() also waits for it.
   */
  hold(work: Promise<unknown>): void;
  /** Resolves once nothing is queued, running or held. */
  idle(): Promise<void>;
  /** Jobs waiting and running now, for /metrics. */
  depth?(): Promise<QueueDepth>;
  /** Lets go of connections and timers. */
  close?(): Promise<void>;
  /**
   * The process is going away: take no more jobs, let running ones finish within `graceMs`, then stop
   * them. Jobs stopped or never started see their signal aborted with a ShutdownError and close their
   * check runs as cancelled.
   */
  shutdown?(graceMs: number): Promise<void>;
}

export interface InProcessQueueOptions {
  /** Reviews running at the same time. Each holds a PGlite sandbox (~0.4 GB), so keep it small. */
  concurrency?: number;
  /** How long a claimed identity is remembered after its job ends. */
  rememberMs?: number;
  now?: () => number;
  /** Called when a job throws (jobs are expected to handle their own errors). */
  onError?: (error: unknown, job: Job) => void;
}

/** Compares running counts level by level (installation, then repository): strictly fewer wins. */
function lighter(load: readonly number[], than: readonly number[]): boolean {
  for (let i = 0; i < Math.max(load.length, than.length); i++) {
    const a = load[i] ?? 0;
    const b = than[i] ?? 0;
    if (a !== b) return a < b;
  }
  return false;
}

/** After the grace period, how long stopped jobs get to close their check runs. */
const STOPPED_JOBS_GRACE_MS = 5_000;

interface Entry {
  job: Job;
  controller: AbortController;
}

export class InProcessQueue implements JobQueue {
  readonly #concurrency: number;
  readonly #rememberMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown, job: Job) => void;
  readonly #waiting: Entry[] = [];
  readonly #running = new Set<Entry>();
  /** Identity → time until which it counts as seen (Infinity while its job is queued or running). */
  readonly #seen = new Map<string, number>();
  readonly #latest = new Map<string, Entry>();
  #idleWaiters: (() => void)[] = [];
  readonly #held = new Set<Promise<unknown>>();
  #closing = false;

  constructor(options: InProcessQueueOptions = {}) {
    this.#concurrency = Math.max(1, options.concurrency ?? 2);
    this.#rememberMs = options.rememberMs ?? 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  get size(): QueueDepth {
    return { waiting: this.#waiting.length, running: this.#running.size };
  }

  depth(): Promise<QueueDepth> {
    return Promise.resolve(this.size);
  }

  claim(ids: readonly string[]): boolean {
    const now = this.#now();
    for (const [id, until] of this.#seen) if (until <= now) this.#seen.delete(id);
    if (ids.some((id) => this.#seen.has(id))) return false;
    // Remembered for a while even if no job follows (e.g. a config error closed the check at once).
    for (const id of ids) this.#seen.set(id, now + this.#rememberMs);
    return true;
  }

  release(ids: readonly string[]): void {
    for (const id of ids) this.#seen.delete(id);
  }

  add(job: Job): void {
    if (this.#closing) {
      // Too late to review: the job runs at once with its signal aborted, so it closes its check as cancelled.
      const controller = new AbortController();
      controller.abort(new ShutdownError());
      const entry: Entry = { job, controller };
      this.#running.add(entry);
      void this.#start(entry);
      return;
    }
    for (const id of job.ids) this.#seen.set(id, Number.POSITIVE_INFINITY);
    const older = this.#latest.get(job.group);
    older?.controller.abort(new SupersededError());
    const entry: Entry = { job, controller: new AbortController() };
    this.#latest.set(job.group, entry);
    this.#waiting.push(entry);
    this.#pump();
  }

  hold(work: Promise<unknown>): void {
    const settled: Promise<unknown> = work
      .catch(() => undefined)
      .finally(() => {
        this.#held.delete(settled);
        this.#pump();
      });
    this.#held.add(settled);
  }

  /** Resolves once the held work (webhook handlers) has settled: its jobs, if any, are queued. */
  async scheduled(): Promise<void> {
    while (this.#held.size > 0) await Promise.all([...this.#held]);
  }

  idle(): Promise<void> {
    if (this.#waiting.length === 0 && this.#running.size === 0 && this.#held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    // Queued jobs are not started for real: each runs with an aborted signal and closes its check.
    for (const entry of this.#waiting.splice(0)) {
      entry.controller.abort(new ShutdownError());
      this.#running.add(entry);
      void this.#start(entry);
    }
    await this.scheduled();
    const drained = this.idle();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => (timer = setTimeout(() => resolve('grace-over'), graceMs)));
    const first = await Promise.race([drained.then(() => 'drained' as const), graceOver]);
    clearTimeout(timer);
    if (first === 'grace-over') {
      for (const entry of this.#running) entry.controller.abort(new ShutdownError());
      // A stopped review returns at once; a job still waiting on GitHub gets a moment to close its check.
      let hardStop: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (hardStop = setTimeout(resolve, STOPPED_JOBS_GRACE_MS)))]);
      clearTimeout(hardStop);
    }
  }

  #pump(): void {
    while (!this.#closing && this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const [entry] = this.#waiting.splice(this.#fairestWaiting(), 1);
      this.#running.add(entry!);
      void this.#start(entry!);
    }
    if (this.#waiting.length === 0 && this.#running.size === 0 && this.#held.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** The index of the waiting job whose owners (widest first) have the fewest running jobs; the oldest among equals. */
  #fairestWaiting(): number {
    const running = new Map<string, number>();
    for (const entry of this.#running) {
      for (const owner of entry.job.owners ?? []) running.set(owner, (running.get(owner) ?? 0) + 1);
    }
    let best = 0;
    let bestLoad: number[] | undefined;
    for (const [index, entry] of this.#waiting.entries()) {
      const load = (entry.job.owners ?? []).map((owner) => running.get(owner) ?? 0);
      if (!bestLoad || lighter(load, bestLoad)) {
        best = index;
        bestLoad = load;
      }
    }
    return best;
  }

  async #start(entry: Entry): Promise<void> {
    try {
      // A superseded job still runs (with an aborted signal) so it can close what it opened, e.g. its check run.
      await entry.job.run(entry.controller.signal);
    } catch (error) {
      this.#onError(error, entry.job);
    } finally {
      this.#running.delete(entry);
      if (this.#latest.get(entry.job.group) === entry) this.#latest.delete(entry.job.group);
      const until = this.#now() + this.#rememberMs;
      for (const id of entry.job.ids) this.#seen.set(id, until);
      this.#pump();
    }
  }
}

/** The abort reason of a job replaced by a newer one of the same pull request. */
export class SupersededError extends Error {
  constructor() {
    super('Superseded by a newer review of the same pull request');
    this.name = 'SupersededError';
  }
}

/** The abort reason of a job the process could not finish because it is shutting down. */
export class ShutdownError extends Error {
  constructor() {
    super('pgpro was shut down (a restart or deploy) before this review finished');
    this.name = 'ShutdownError';
  }
}
