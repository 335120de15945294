// Warm sandboxes for a long-running process (the GitHub App, `pgpro worker`): for each recently seen
// base, one sandbox already restored from its snapshot, so that the next review of that base starts
// at once instead of restoring. A review gets a sandbox nobody used: it was restored ahead of time,
// from the same snapshot, and is handed out once, so it reports exactly what a sandbox restored on the
// spot would. The next one is restored when no review is running, so the restore never competes with
// a review for the CPU or shows in a running statement's memory watch.
//
// What is the review's, not the sandbox's (its stop signal, its sandbox-time budget), is bound when the
// sandbox is handed out: one restored ahead of time answers only to the pool until then (whose close
// stops it), and afterwards only to the review it went to, never to the review whose end restored it.
import { ReviewStopped, type ReviewLimits } from './limits.js';
import type { Sandbox } from './sandbox.js';

/** Starts a sandbox of a base answering to `limits` (a review's, or the pool's own for one kept ready). */
export type PoolStart = (limits: ReviewLimits) => Promise<Sandbox>;

export interface SandboxPoolOptions {
  /** Ready sandboxes kept at most (one per base). Default 2. */
  maxSandboxes?: number;
  /** Memory the ready sandboxes may hold, measured as the process's growth while each started. Default 1024 MB. */
  maxMemoryMb?: number;
  /** Reads the process's resident memory (tests replace it). */
  rss?: () => number;
}

interface Ready {
  sandbox: Sandbox;
  bytes: number;
}

interface Base {
  start: PoolStart;
  ready?: Ready;
}

const MB = 1024 * 1024;

export class SandboxPool {
  /** Bases by recency of use: the oldest first (a Map keeps insertion order). */
  private readonly bases = new Map<string, Base>();
  private active = 0;
  private served = 0;
  private closed = false;
  private readonly maxSandboxes: number;
  private readonly maxBytes: number;
  private readonly rss: () => number;
  private refilling: Promise<void> = Promise.resolve();
  /** The stop of the sandboxes kept ready (and of their restores): aborted when the pool closes. */
  private readonly keeping = new AbortController();

  constructor(options: SandboxPoolOptions = {}) {
    this.maxSandboxes = Math.max(0, options.maxSandboxes ?? 2);
    this.maxBytes = Math.max(0, options.maxMemoryMb ?? 1024) * MB;
    this.rss = options.rss ?? (() => process.memoryUsage().rss);
  }

  /**
   * A sandbox in the state `key` names, answering to the review's `limits`: the ready one if there is
   * one, bound to them, else one `start` opens now with them. `start` is remembered to restore the next
   * one for this base. The sandbox is the caller's: its close() hands nothing back, it only tells the
   * pool that a review ended.
   */
  async open(key: string, start: PoolStart, limits: ReviewLimits = {}): Promise<Sandbox> {
    const base = this.bases.get(key) ?? { start };
    base.start = start;
    // Most recently used last.
    this.bases.delete(key);
    this.bases.set(key, base);
    let sandbox: Sandbox | undefined;
    // A review stopped already gets its stop from `start`; the ready sandbox stays for the next one.
    const ready = limits.signal?.aborted ? undefined : base.ready;
    if (ready) base.ready = undefined;
    if (ready && !ready.sandbox.stopped && ready.sandbox.bindReview) {
      ready.sandbox.bindReview(limits);
      sandbox = ready.sandbox;
      this.served++;
    } else if (ready) await ready.sandbox.close().catch(() => undefined);
    this.active++;
    try {
      sandbox ??= await start(limits);
    } catch (error) {
      this.ended();
      throw error;
    }
    const close = sandbox.close.bind(sandbox);
    let ended = false;
    sandbox.close = async () => {
      try {
        await close();
      } finally {
        if (!ended) {
          ended = true;
          this.ended();
        }
      }
    };
    return sandbox;
  }

  /** How many sandboxes are ready, the memory they are counted for, and how many opens a ready one served. */
  stats(): { ready: number; memoryMb: number; active: number; served: number } {
    const ready = [...this.bases.values()].flatMap((b) => (b.ready ? [b.ready] : []));
    return { ready: ready.length, memoryMb: Math.round(ready.reduce((n, r) => n + r.bytes, 0) / MB), active: this.active, served: this.served };
  }

  /** Waits for the restores under way (tests, shutdown). */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.refilling;
      await current;
    } while (current !== this.refilling);
  }

  /** Closes every ready sandbox; later opens start theirs on the spot and nothing is kept. */
  async close(): Promise<void> {
    this.closed = true;
    this.keeping.abort(new ReviewStopped('the warm sandbox pool was closed; the sandbox was stopped'));
    await this.settled();
    const ready = [...this.bases.values()].flatMap((b) => (b.ready ? [b.ready] : []));
    for (const base of this.bases.values()) base.ready = undefined;
    await Promise.all(ready.map((r) => r.sandbox.close().catch(() => undefined)));
  }

  private ended(): void {
    this.active--;
    if (this.active === 0 && !this.closed) this.refilling = this.refilling.then(() => this.refill());
  }

  /** Restores, for the most recent bases first, the sandboxes that are missing, within the bounds. */
  private async refill(): Promise<void> {
    const recent = [...this.bases.entries()].reverse().slice(0, this.maxSandboxes);
    const kept = new Set(recent.map(([key]) => key));
    // Bases beyond the most recent ones lose their sandbox (and are forgotten).
    for (const [key, base] of [...this.bases.entries()]) {
      if (kept.has(key)) continue;
      this.bases.delete(key);
      if (base.ready) await base.ready.sandbox.close().catch(() => undefined);
    }
    for (const [, base] of recent) {
      // A review started meanwhile: restoring now would compete with it; the next end retries.
      if (this.active > 0 || this.closed) return;
      if (base.ready && !base.ready.sandbox.stopped) continue;
      if (base.ready) await base.ready.sandbox.close().catch(() => undefined);
      base.ready = undefined;
      const before = this.rss();
      let sandbox: Sandbox;
      try {
        // The pool's own stop, not the review's whose end brought us here: that one may abort any time.
        sandbox = await base.start({ signal: this.keeping.signal });
      } catch {
        continue; // the next review of this base starts its own, and says why if it fails too
      }
      const bytes = Math.max(0, this.rss() - before);
      if (this.closed || this.memoryUsed() + bytes > this.maxBytes) {
        await sandbox.close().catch(() => undefined);
        return;
      }
      base.ready = { sandbox, bytes };
    }
  }

  private memoryUsed(): number {
    let total = 0;
    for (const base of this.bases.values()) total += base.ready?.bytes ?? 0;
    return total;
  }
}
