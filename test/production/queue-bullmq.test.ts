// The Redis queue end to end: the server (REDIS_URL set) queues, `pgpro worker` children run the jobs. A worker
// SIGKILLed mid-job: its job stalls and another worker takes it. A newer push supersedes a running job.
// Redelivered webhooks are deduplicated in Redis. Each run uses its own key prefix and deletes it after.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix } from '../../src/github/queue-bullmq.js';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { baseEnv, deliver, fakeGitHub, freePort, openedPayload, pullRequest, startServer, startWorker, until, type Child, type Server } from './harness.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `pgpro-test-${randomUUID()}`;
let fake: FakeGitHub;
let server: Server;
let env: NodeJS.ProcessEnv;
let workerMetricsPort: number;
const workers: Child[] = [];
const logs = () => [server, ...workers].map((c) => c.logs.join('')).join('\n---\n');
const headOf = (n: number) => pullRequest(n, false).pull.headSha;
const runsOf = (sha: string) => fake.checkRuns.filter((r) => r.head_sha === sha);

beforeAll(async () => {
  fake = await fakeGitHub([11, 12, 13, 14].map((n) => ({ n, migration: false })));
  env = baseEnv(fake, {
    REDIS_URL,
    PGPRO_QUEUE_PREFIX: PREFIX,
    PGPRO_WORKER_LOCK_MS: '1500',
    PGPRO_WORKER_STALLED_MS: '1000',
    PGPRO_GITHUB_RETRY_BASE_MS: '100',
  });
  [server] = await Promise.all([startServer(env), startWorker(env).then((w) => void workers.push(w))]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), ...workers.map((w) => w.stop())]);
  await fake?.close();
  await deletePrefix(REDIS_URL, PREFIX);
});

describe('BullMQ queue with worker processes', () => {
  it('a job whose worker is SIGKILLed mid-job is taken by another worker and its check completed', async () => {
    fake.inject({ method: 'GET', path: /\/pulls\/11\/files$/, times: 1, delayMs: 30_000 });
    await deliver(server.url, 'pull_request', openedPayload(11));
    await until('the first worker to be mid-job', () => fake.requests.find((r) => r.path.endsWith('/pulls/11/files')), 20_000, logs);
    const first = workers[0]!;
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    // The replacement serves its metrics (it runs the jobs of this and the later cases).
    workerMetricsPort = await freePort();
    workers.push(await startWorker({ ...env, HOST: '127.0.0.1', PGPRO_METRICS_PORT: String(workerMetricsPort) }));
    const run = await until('the check run to complete', () => runsOf(headOf(11)).find((r) => r.status === 'completed'), 30_000, logs);
    expect(run.conclusion).toBe('success');
    expect(runsOf(headOf(11))).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.endsWith('/pulls/11/files')).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('a newer push supersedes the running job: the older check ends cancelled, the newer completes', async () => {
    fake.inject({ method: 'GET', path: /\/pulls\/12\/files$/, times: 1, delayMs: 2_500 });
    await deliver(server.url, 'pull_request', openedPayload(12));
    await until('the worker to be mid-job', () => fake.requests.find((r) => r.path.endsWith('/pulls/12/files')), 20_000, logs);
    // The same pull request, pushed again: its new head is a commit the fake knows (PR 13's).
    const pushed = openedPayload(12) as { action: string; pull_request: { head: { sha: string } } };
    pushed.action = 'synchronize';
    pushed.pull_request.head.sha = headOf(13);
    await deliver(server.url, 'pull_request', pushed);
    const older = await until('the older check to end', () => runsOf(headOf(12)).find((r) => r.status === 'completed'), 20_000, logs);
    expect(older.conclusion).toBe('cancelled');
    const newer = await until('the newer check to end', () => runsOf(headOf(13)).find((r) => r.status === 'completed'), 20_000, logs);
    expect(newer.conclusion).toBe('success');
  }, 60_000);

  it('redelivered webhooks are deduplicated across processes: one check run', async () => {
    const payload = openedPayload(14);
    await Promise.all([1, 2, 3].map(() => deliver(server.url, 'pull_request', payload, 'delivery-14')));
    await until('the check run to complete', () => runsOf(headOf(14)).find((r) => r.status === 'completed'), 20_000, logs);
    await deliver(server.url, 'pull_request', payload, 'delivery-14b');
    await new Promise((r) => setTimeout(r, 500));
    expect(runsOf(headOf(14))).toHaveLength(1);
    const fromWorker = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
    // This worker ran PR 11, 12 (superseded), 13 and 14; none of them changes a migration.
    expect(fromWorker).toMatch(/^pgpro_review_jobs_total\{outcome="no-migrations"\} 3$/m);
    expect(fromWorker).toMatch(/^pgpro_review_jobs_total\{outcome="cancelled"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${workerMetricsPort}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^pgpro_queue_jobs\{state="running"\} 0$/m);
    // The worker that ran it logged the review's start and end, naming what it was for (pino JSON lines).
    const lines = workers
      .flatMap((w) => w.logs.join('').split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const where = { repository: 'acme/shop', pull: 14, sha: headOf(14), delivery: 'delivery-14' };
    expect(lines.filter((l) => l.msg === 'pgpro review started' && l.pull === 14)).toEqual([expect.objectContaining(where)]);
    expect(lines.filter((l) => l.msg === 'pgpro review ended' && l.pull === 14)).toEqual([
      expect.objectContaining({ ...where, conclusion: 'no-migrations', durationMs: expect.any(Number) }),
    ]);
  });
});
