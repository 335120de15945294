// Fault injection against the fake GitHub, through the real server process (in-process queue): 5xx and rate
// limits are retried, a hung request times out and is retried, a publish that keeps failing is retried without
// recomputing, an uninstalled app ends cleanly, and redelivered webhooks make one check run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from '../helpers/fake-github.js';
import { baseEnv, deliver, fakeGitHub, openedPayload, pullRequest, startServer, until, type Server } from './harness.js';

let fake: FakeGitHub;
let server: Server;
const logs = () => server.logs.join('');
const headOf = (n: number) => pullRequest(n, false).pull.headSha;
const completedRun = (n: number) => () => fake.checkRuns.find((r) => r.head_sha === headOf(n) && r.status === 'completed');

beforeAll(async () => {
  fake = await fakeGitHub([
    { n: 1, migration: false },
    { n: 2, migration: false },
    { n: 3, migration: false },
    { n: 4, migration: false },
    { n: 5, migration: false },
    { n: 6, migration: false },
    { n: 7, migration: true },
  ]);
  // No spacing between writes (GitHub asks 1 s, 3 s between comments; the fake does not, no case is about it).
  server = await startServer(baseEnv(fake, { PGPRO_GITHUB_RETRY_BASE_MS: '100', PGPRO_GITHUB_TIMEOUT_MS: '5000', PGPRO_GITHUB_WRITE_SPACING_MS: '0' }));
  // The one real review starts first, so the engine's start-up overlaps the other cases.
  fake.inject({ method: 'PATCH', path: /\/check-runs\/\d+$/, match: (r) => (r.body as { status?: string }).status === 'completed' && JSON.stringify(r.body).includes('orders_customer_7'), times: 5, status: 502 });
  expect((await deliver(server.url, 'pull_request', openedPayload(7))).status).toBeLessThan(300);
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

// Each wait is for an event; its bound only turns a hang into a failure with the server's log. It is
// far beyond any machine's speed: a loaded machine makes these cases slower, never red.
const EVENTUALLY = 500_000;

describe('GitHub faults', { timeout: 600_000 }, () => {
  it('retries 500s on creating the check run, then goes on', async () => {
    fake.inject({ method: 'POST', path: /\/check-runs$/, match: (r) => (r.body as { head_sha?: string }).head_sha === headOf(1), times: 2, status: 500 });
    await deliver(server.url, 'pull_request', openedPayload(1));
    const run = await until('PR 1 completed', completedRun(1), EVENTUALLY, logs);
    expect(run.conclusion).toBe('success');
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/check-runs') && (r.body as { head_sha: string }).head_sha === headOf(1))).toHaveLength(3);
    expect(fake.checkRuns.filter((r) => r.head_sha === headOf(1))).toHaveLength(1);
  });

  it('waits out a secondary rate limit (403 + retry-after) and a primary one (x-ratelimit-remaining: 0)', async () => {
    fake.inject({ method: 'GET', path: /\/pulls\/2\/files$/, times: 1, status: 403, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } });
    const reset = String(Math.ceil(Date.now() / 1000));
    fake.inject({ method: 'GET', path: new RegExp(`/git/trees/${headOf(3)}$`), times: 1, status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, body: { message: 'API rate limit exceeded for installation ID 1001.' } });
    await deliver(server.url, 'pull_request', openedPayload(2));
    await deliver(server.url, 'pull_request', openedPayload(3));
    expect((await until('PR 2 completed', completedRun(2), EVENTUALLY, logs)).conclusion).toBe('success');
    expect((await until('PR 3 completed', completedRun(3), EVENTUALLY, logs)).conclusion).toBe('success');
    expect(fake.requests.filter((r) => r.path.endsWith('/pulls/2/files'))).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path.endsWith(`/git/trees/${headOf(3)}`))).toHaveLength(2);
    expect(logs()).toMatch(/secondary rate limit on GET/);
  });

  it('gives up on a hung request after the timeout and retries it', async () => {
    // The request never gets an answer: only the client's timeout can end it, however slow the machine.
    fake.inject({ method: 'GET', path: /\/pulls\/4\/files$/, times: 1, hang: true });
    await deliver(server.url, 'pull_request', openedPayload(4));
    expect((await until('PR 4 completed', completedRun(4), EVENTUALLY, logs)).conclusion).toBe('success');
    const asked = fake.requests.filter((r) => r.path.endsWith('/pulls/4/files'));
    // The client gave up on the hung one (closed it unanswered) and asked again, which was answered.
    expect(asked[0]!.abandoned).toBe(true);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked.at(-1)!.abandoned).toBeUndefined();
  });

  it('an uninstalled app (404 on the installation token) ends the delivery with a log line, and the server keeps serving', async () => {
    fake.inject({ method: 'POST', path: /\/app\/installations\/999\/access_tokens$/, times: 100, status: 404, body: { message: 'Not Found' } });
    await deliver(server.url, 'pull_request', openedPayload(5, 999));
    await until('the log line', () => (/cannot access the repository/.test(logs()) ? true : undefined), EVENTUALLY, logs);
    expect(fake.checkRuns.filter((r) => r.head_sha === headOf(5))).toHaveLength(0);
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
  });

  it('redelivered webhooks make one check run', async () => {
    const payload = openedPayload(6);
    const responses = await Promise.all([
      deliver(server.url, 'pull_request', payload, 'delivery-6'),
      deliver(server.url, 'pull_request', payload, 'delivery-6'),
      deliver(server.url, 'pull_request', payload, 'delivery-6'),
    ]);
    expect(responses.every((r) => r.status < 300)).toBe(true);
    await until('PR 6 completed', completedRun(6), EVENTUALLY, logs);
    // A later redelivery, and a second delivery of the same head (e.g. reopened), change nothing.
    await deliver(server.url, 'pull_request', payload, 'delivery-6');
    await deliver(server.url, 'pull_request', payload, 'delivery-6b');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.checkRuns.filter((r) => r.head_sha === headOf(6))).toHaveLength(1);
  });

  it('a publish failing beyond the client retries is retried from the computed result, not recomputed', async () => {
    const head = pullRequest(7, true).pull.headSha;
    const run = await until('PR 7 completed', () => fake.checkRuns.find((r) => r.head_sha === head && r.status === 'completed'), EVENTUALLY, logs);
    expect(run.conclusion).toBe('failure');
    expect(run.output?.title).not.toMatch(/could not complete/);
    const completions = fake.requests.filter((r) => r.method === 'PATCH' && (r.body as { status?: string }).status === 'completed' && JSON.stringify(r.body).includes('orders_customer_7'));
    expect(completions).toHaveLength(6);
    // The head tree was read once: the review ran once.
    expect(fake.requests.filter((r) => r.path.endsWith(`/git/trees/${head}`))).toHaveLength(1);
    await until('the summary comment', () => fake.comments.find((c) => c.issue === 7), EVENTUALLY, logs);
  });

  it('/metrics exposes reviews by outcome, stage durations, queue depth and cache lookups', async () => {
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    // The last job still posts its comment and review after completing the check.
    const text = await until('the queue to drain', async () => ((await scrape()).includes('pgpro_queue_jobs{state="running"} 0') ? scrape() : undefined), EVENTUALLY, logs);
    expect(text).toMatch(/^pgpro_review_jobs_total\{outcome="no-migrations"\} 5$/m);
    expect(text).toMatch(/^pgpro_review_jobs_total\{outcome="failure"\} 1$/m);
    expect(text).toMatch(/^pgpro_review_stage_duration_seconds_count\{stage="[a-z-]+"\} 1$/m);
    expect(text).toMatch(/^pgpro_queue_jobs\{state="waiting"\} 0$/m);
    expect(text).toMatch(/^pgpro_snapshot_cache_lookups_total\{result="miss"\} 1$/m);
    expect(text).toContain('# TYPE pgpro_review_job_duration_seconds histogram');
    // prom-client's default process metrics beside pgpro's: memory, heap, event loop lag.
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(text.split('\n').filter((line) => line.startsWith(`${name} `)), name).toHaveLength(1);
    }
  });
});
