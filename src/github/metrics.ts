// Prometheus metrics of the App and of each `pgpro worker`: reviews by outcome, durations by stage, queue depth
// and snapshot cache lookups (pgpro_*), beside prom-client's default process metrics (CPU, resident memory,
// heap, event loop lag, GC, handles), one registry per process.
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
// The cache module alone: the agent itself (SDK, parser) loads with the first review, not at start-up.
import { DirectoryAgentCache, MemoryAgentCache } from '../agent/cache.js';
import type { AgentCache } from '../agent/types.js';
import { SandboxPool } from '../sandbox/pool.js';
import { SnapshotCache, type DiscardListener, type SnapshotCacheOptions } from '../sandbox/snapshot-cache.js';
import type { ReviewResult } from '../types.js';
import type { QueueDepth } from './queue.js';
import type { JobOutcome, ReviewJobObserver } from './review-job.js';

/** Seconds: reviews take from well under a second (lint only) to minutes (long histories, the agent). */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface MetricsOptions {
  /** prom-client's default process metrics (default true). */
  processMetrics?: boolean;
}

export class Metrics implements ReviewJobObserver {
  readonly registry = new Registry();
  readonly #jobs = new Counter({
    name: 'pgpro_review_jobs_total',
    help: 'Review jobs ended, by outcome (check conclusion, or error, cancelled, inaccessible, retry).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly #jobSeconds = new Histogram({
    name: 'pgpro_review_job_duration_seconds',
    help: 'Wall time of a review job, from start to published.',
    buckets: BUCKETS,
    registers: [this.registry],
  });
  readonly #stages = new Histogram({
    name: 'pgpro_review_stage_duration_seconds',
    help: 'Time per review stage, from result.stats.stages.',
    labelNames: ['stage'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });
  readonly #findings = new Counter({
    name: 'pgpro_findings_total',
    help: 'Findings reported, by severity.',
    labelNames: ['severity'] as const,
    registers: [this.registry],
  });
  readonly #cache = new Counter({
    name: 'pgpro_snapshot_cache_lookups_total',
    help: 'History snapshot cache lookups, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly #queue = new Gauge({
    name: 'pgpro_queue_jobs',
    help: 'Review jobs in the queue now, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  /** Read at scrape time; undefined (or a failure) leaves pgpro_queue_jobs empty. */
  #depth: (() => Promise<QueueDepth | undefined> | QueueDepth | undefined) | undefined;

  constructor(options: MetricsOptions = {}) {
    // Both series exist from the start, so a rate over them is defined before the first lookup.
    this.#cache.inc({ result: 'hit' }, 0);
    this.#cache.inc({ result: 'miss' }, 0);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  ended(outcome: JobOutcome, seconds: number): void {
    this.#jobs.inc({ outcome });
    if (outcome !== 'retry') this.#jobSeconds.observe(seconds);
  }

  reviewed(result: ReviewResult): void {
    for (const [stage, ms] of Object.entries(result.stats.stages)) this.#stages.observe({ stage }, ms / 1000);
    for (const finding of result.findings) this.#findings.inc({ severity: finding.severity });
  }

  cacheLookup(hit: boolean): void {
    this.#cache.inc({ result: hit ? 'hit' : 'miss' });
  }

  /** Where pgpro_queue_jobs is read from at scrape time (the queue's depth). */
  queueDepth(depth: () => Promise<QueueDepth | undefined> | QueueDepth | undefined): void {
    this.#depth = depth;
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async render(): Promise<string> {
    this.#queue.reset();
    let depth: QueueDepth | undefined;
    try {
      depth = await this.#depth?.();
    } catch {
      // The queue backend is down: the rest of the metrics still answer.
    }
    if (depth) {
      this.#queue.set({ state: 'waiting' }, depth.waiting);
      this.#queue.set({ state: 'running' }, depth.running);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A snapshot cache that counts its lookups. */
export class MeteredSnapshotCache extends SnapshotCache {
  constructor(
    private readonly metrics: Metrics,
    options?: SnapshotCacheOptions,
  ) {
    super(options);
  }

  override async get(prefixHashes: readonly string[], onDiscard?: DiscardListener): Promise<{ tarball: Uint8Array; length: number } | undefined> {
    const found = await super.get(prefixHashes, onDiscard);
    this.metrics.cacheLookup(found !== undefined);
    return found;
  }
}

/**
 * The caches of a long-running server or worker, shared by all its reviews: history snapshots
 * (memory-bounded) and Claude's answers; on disk too with PGPRO_CACHE_DIR, laid out as the CLI does.
 */
export function processCaches(
  metrics: Metrics,
  env: NodeJS.ProcessEnv = process.env,
): { snapshotCache: MeteredSnapshotCache; agentCache: AgentCache; sandboxPool: SandboxPool } {
  return {
    snapshotCache: processSnapshotCache(metrics, env),
    agentCache: env.PGPRO_CACHE_DIR ? new DirectoryAgentCache(join(env.PGPRO_CACHE_DIR, 'agent')) : new MemoryAgentCache(),
    // Sandboxes restored ahead of time for the bases seen last (PGPRO_POOL_SANDBOXES=0 turns it off).
    sandboxPool: new SandboxPool({
      ...(env.PGPRO_POOL_SANDBOXES !== undefined && Number.isInteger(Number(env.PGPRO_POOL_SANDBOXES)) ? { maxSandboxes: Number(env.PGPRO_POOL_SANDBOXES) } : {}),
      ...(Number(env.PGPRO_POOL_MEMORY_MB) > 0 ? { maxMemoryMb: Number(env.PGPRO_POOL_MEMORY_MB) } : {}),
    }),
  };
}

function processSnapshotCache(metrics: Metrics, env: NodeJS.ProcessEnv): MeteredSnapshotCache {
  return new MeteredSnapshotCache(metrics, {
    maxMemoryBytes: (Number(env.PGPRO_CACHE_MEMORY_MB) || 256) * 1024 * 1024,
    ...(env.PGPRO_CACHE_DIR ? { dir: join(env.PGPRO_CACHE_DIR, 'snapshots') } : {}),
    ...(env.PGPRO_CACHE_DISK_MB ? { maxDiskBytes: Number(env.PGPRO_CACHE_DISK_MB) * 1024 * 1024 } : {}),
  });
}

/** GET /metrics. Returns false for any other request so the next handler gets it. */
export function metricsHandler(metrics: Metrics) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return false;
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`# metrics failed: ${error instanceof Error ? error.message : String(error)}\n`),
    );
    return true;
  };
}
