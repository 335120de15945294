// Prometheus text exposition (format 0.0.4) for the few series pgpro keeps: reviews by outcome, durations by
// stage, queue depth and snapshot cache lookups. Hand-written: counters and fixed-bucket histograms only.
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
// The cache module alone: the agent itself (SDK, parser) loads with the first review, not at start-up.
import { DirectoryAgentCache, MemoryAgentCache } from '../agent/cache.js';
import type { AgentCache } from '../agent/types.js';
import { SandboxPool } from '../sandbox/pool.js';
import { SnapshotCache, type SnapshotCacheOptions } from '../sandbox/snapshot-cache.js';
import type { ReviewResult } from '../types.js';
import type { QueueDepth } from './queue.js';
import type { JobOutcome, ReviewJobObserver } from './review-job.js';

/** Seconds: reviews take from well under a second (lint only) to minutes (long histories, the agent). */
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

class Histogram {
  readonly counts = BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    for (const [i, bound] of BUCKETS.entries()) if (seconds <= bound) this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;

export class Metrics implements ReviewJobObserver {
  readonly #jobs = new Map<string, number>();
  readonly #jobSeconds = new Histogram();
  readonly #stages = new Map<string, Histogram>();
  readonly #findings = new Map<string, number>();
  readonly #cache = { hit: 0, miss: 0 };

  ended(outcome: JobOutcome, seconds: number): void {
    this.#jobs.set(outcome, (this.#jobs.get(outcome) ?? 0) + 1);
    if (outcome !== 'retry') this.#jobSeconds.observe(seconds);
  }

  reviewed(result: ReviewResult): void {
    for (const [stage, ms] of Object.entries(result.stats.stages)) {
      let histogram = this.#stages.get(stage);
      if (!histogram) this.#stages.set(stage, (histogram = new Histogram()));
      histogram.observe(ms / 1000);
    }
    for (const finding of result.findings) this.#findings.set(finding.severity, (this.#findings.get(finding.severity) ?? 0) + 1);
  }

  cacheLookup(hit: boolean): void {
    this.#cache[hit ? 'hit' : 'miss']++;
  }

  /** The exposition text; `depth` is read from the queue at scrape time. */
  render(depth?: QueueDepth): string {
    const out: string[] = [];
    out.push('# HELP pgpro_review_jobs_total Review jobs ended, by outcome (check conclusion, or error, cancelled, inaccessible, retry).');
    out.push('# TYPE pgpro_review_jobs_total counter');
    for (const [outcome, n] of [...this.#jobs].sort()) out.push(`pgpro_review_jobs_total${labels({ outcome })} ${n}`);
    histogram(out, 'pgpro_review_job_duration_seconds', 'Wall time of a review job, from start to published.', [[{}, this.#jobSeconds]]);
    histogram(
      out,
      'pgpro_review_stage_duration_seconds',
      'Time per review stage, from result.stats.stages.',
      [...this.#stages].sort(([a], [b]) => a.localeCompare(b)).map(([stage, h]) => [{ stage }, h]),
    );
    out.push('# HELP pgpro_findings_total Findings reported, by severity.');
    out.push('# TYPE pgpro_findings_total counter');
    for (const [severity, n] of [...this.#findings].sort()) out.push(`pgpro_findings_total${labels({ severity })} ${n}`);
    out.push('# HELP pgpro_snapshot_cache_lookups_total History snapshot cache lookups, by result.');
    out.push('# TYPE pgpro_snapshot_cache_lookups_total counter');
    out.push(`pgpro_snapshot_cache_lookups_total{result="hit"} ${this.#cache.hit}`);
    out.push(`pgpro_snapshot_cache_lookups_total{result="miss"} ${this.#cache.miss}`);
    if (depth) {
      out.push('# HELP pgpro_queue_jobs Review jobs in the queue now, by state.');
      out.push('# TYPE pgpro_queue_jobs gauge');
      out.push(`pgpro_queue_jobs{state="waiting"} ${depth.waiting}`);
      out.push(`pgpro_queue_jobs{state="running"} ${depth.running}`);
    }
    return `${out.join('\n')}\n`;
  }
}

function histogram(out: string[], name: string, help: string, series: [Record<string, string>, Histogram][]): void {
  out.push(`# HELP ${name} ${help}`);
  out.push(`# TYPE ${name} histogram`);
  for (const [pairs, h] of series) {
    for (const [i, bound] of BUCKETS.entries()) out.push(`${name}_bucket${labels({ ...pairs, le: String(bound) })} ${h.counts[i]}`);
    out.push(`${name}_bucket${labels({ ...pairs, le: '+Inf' })} ${h.count}`);
    out.push(`${name}_sum${Object.keys(pairs).length ? labels(pairs) : ''} ${h.sum}`);
    out.push(`${name}_count${Object.keys(pairs).length ? labels(pairs) : ''} ${h.count}`);
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

  override async get(prefixHashes: readonly string[]): Promise<{ tarball: Uint8Array; length: number } | undefined> {
    const found = await super.get(prefixHashes);
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
export function metricsHandler(metrics: Metrics, depth?: () => Promise<QueueDepth> | undefined) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return false;
    void (async () => {
      let current: QueueDepth | undefined;
      try {
        current = await depth?.();
      } catch {
        // The queue backend is down: the rest of the metrics still answer.
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render(current));
    })();
    return true;
  };
}
