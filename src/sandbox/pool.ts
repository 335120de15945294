// Warm sandboxes for a long-running process (the GitHub App, `pgpro worker`): for each recently seen
// base, one sandbox already restored from its snapshot, so that the next review of that base starts
// at once instead of restoring. A review gets a sandbox nobody used: it was restored ahead of time,
// from the same snapshot, and is handed out once, so it reports exactly what a sandbox restored on the
// spot would. The next one is restored when no review is running, so the restore never competes with
// a review for the CPU or shows in a running statement's memory watch.
import type { Sandbox } from './sandbox.js';

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
  start: () => Promise<Sandbox>;
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

  constructor(options: SandboxPoolOptions = {}) {
    this.maxSandboxes = Math.max(0, options.maxSandboxes ?? 2);
    this.maxBytes = Math.max(0, options.maxMemoryMb ?? 1024) * MB;
    this.rss = options.rss ?? (() => process.memoryUsage().rss);
  }

  /**
   * A sandbox in the state `key` names: the ready one if there is one, else one `start` opens now.
   * `start` is remembered to restore the next one for this base. The sandbox is the caller's: its
   * close() hands nothing back, it only tells the pool that a review ended.
   */
  async open(key: string, start: () => Promise<Sandbox>): Promise<Sandbox> {
    const base = this.bases.get(key) ?? { start };
    base.start = start;
    // Most recently used last.
    this.bases.delete(key);
    this.bases.set(key, base);
    let sandbox: Sandbox | undefined;
    const ready = base.ready;
    base.ready = undefined;
    if (ready && !ready.sandbox.stopped) {
      sandbox = ready.sandbox;
      this.served++;
    } else if (ready) await ready.sandbox.close().catch(() => undefined);
    this.active++;
    try {
      sandbox ??= await start();
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
        sandbox = await base.start();
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
