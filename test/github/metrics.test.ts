// /metrics as prom-client renders it: pgpro's series under the names they always had, beside the default
// process metrics, served by the handler the App and `pgpro worker` mount.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics, metricsHandler } from '../../src/github/metrics.js';
import type { ReviewResult } from '../../src/types.js';

const result = {
  version: 1,
  conclusion: 'failure',
  migrations: [],
  findings: [{ severity: 'error' }, { severity: 'warning' }, { severity: 'warning' }],
  notes: [],
  stats: { migrationsTotal: 1, migrationsNew: 1, statements: 1, durationMs: 1500, stages: { apply: 1200, replay: 300 } },
} as unknown as ReviewResult;

/** The sample lines (not comments) of a series, by name prefix. */
const samples = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(name) && !line.startsWith('#'));

describe('Metrics', () => {
  let server: Server;
  let url: string;
  let depthFails = false;
  const metrics = new Metrics();

  beforeAll(async () => {
    metrics.ended('failure', 1.5);
    metrics.ended('retry', 3);
    metrics.ended('no-migrations', 0.2);
    metrics.reviewed(result);
    metrics.cacheLookup(false);
    metrics.cacheLookup(true);
    metrics.cacheLookup(true);
    metrics.queueDepth(async () => {
      if (depthFails) throw new Error('redis down');
      return { waiting: 3, running: 2 };
    });
    const handle = metricsHandler(metrics);
    server = createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("keeps pgpro's series and their names: jobs by outcome, durations, stages, findings, cache, queue", async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(samples(text, 'pgpro_review_jobs_total')).toEqual([
      'pgpro_review_jobs_total{outcome="failure"} 1',
      'pgpro_review_jobs_total{outcome="retry"} 1',
      'pgpro_review_jobs_total{outcome="no-migrations"} 1',
    ]);
    // A retried attempt is not a review's duration.
    expect(samples(text, 'pgpro_review_job_duration_seconds_count')).toEqual(['pgpro_review_job_duration_seconds_count 2']);
    expect(samples(text, 'pgpro_review_job_duration_seconds_sum')).toEqual(['pgpro_review_job_duration_seconds_sum 1.7']);
    expect(samples(text, 'pgpro_review_job_duration_seconds_bucket{le="0.25"}')).toEqual(['pgpro_review_job_duration_seconds_bucket{le="0.25"} 1']);
    expect(samples(text, 'pgpro_review_stage_duration_seconds_count')).toEqual([
      'pgpro_review_stage_duration_seconds_count{stage="apply"} 1',
      'pgpro_review_stage_duration_seconds_count{stage="replay"} 1',
    ]);
    expect(samples(text, 'pgpro_findings_total')).toEqual(['pgpro_findings_total{severity="error"} 1', 'pgpro_findings_total{severity="warning"} 2']);
    expect(samples(text, 'pgpro_snapshot_cache_lookups_total')).toEqual([
      'pgpro_snapshot_cache_lookups_total{result="hit"} 2',
      'pgpro_snapshot_cache_lookups_total{result="miss"} 1',
    ]);
    expect(samples(text, 'pgpro_queue_jobs')).toEqual(['pgpro_queue_jobs{state="waiting"} 3', 'pgpro_queue_jobs{state="running"} 2']);
    expect(text).toContain('# TYPE pgpro_review_job_duration_seconds histogram');
    expect(text).toContain('# TYPE pgpro_queue_jobs gauge');
  });

  it('serves the default process metrics: CPU, memory, heap, event loop lag, GC', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_active_handles_total',
    ]) {
      expect(samples(text, `${name} `), name).toHaveLength(1);
    }
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  });

  it('a queue that cannot tell its depth leaves that series empty; the rest still answers', async () => {
    depthFails = true;
    try {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(samples(text, 'pgpro_queue_jobs')).toEqual([]);
      expect(samples(text, 'pgpro_review_jobs_total{outcome="failure"}')).toEqual(['pgpro_review_jobs_total{outcome="failure"} 1']);
    } finally {
      depthFails = false;
    }
  });

  it('answers only GET /metrics', async () => {
    expect((await fetch(`${url}/other`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
