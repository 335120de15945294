// End to end: the real server as a separate process (`probot run` on the app's source through tsx), the
// real review engine, a fake GitHub API on loopback (GHE_HOST), and signed webhook deliveries over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { fixture } from './helpers.js';

const SECRET = 'e2e-webhook-secret';
const HEAD = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const BASE = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const INIT = 'db/migrations/001_init.sql';
const MIGRATION = 'db/migrations/002_orders_index.sql';
const INIT_SQL = 'CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  customer_id bigint NOT NULL,\n  total numeric\n);\n';
const MIGRATION_SQL = 'CREATE INDEX orders_customer_idx ON orders (customer_id);\n';

let fake: FakeGitHub;
let server: ChildProcess;
let baseUrl: string;
const logs: string[] = [];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server log:\n${logs.join('').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function deliver(event: string, payload: unknown, secret = SECRET): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${baseUrl}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': `e2e-${Math.random().toString(16).slice(2)}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  });
}

beforeAll(async () => {
  fake = await startFakeGitHub({
    owner: 'acme',
    repo: 'shop',
    commits: {
      [BASE]: { 'README.md': '# shop\n', [INIT]: INIT_SQL },
      [HEAD]: { 'README.md': '# shop\n', [INIT]: INIT_SQL, [MIGRATION]: MIGRATION_SQL },
    },
    pulls: [
      {
        number: 7,
        headSha: HEAD,
        baseSha: BASE,
        files: [{ filename: MIGRATION, status: 'added', patch: `@@ -0,0 +1 @@\n+${MIGRATION_SQL.trimEnd()}` }],
      },
    ],
  });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    APP_ID: '123',
    PRIVATE_KEY: privateKey as string,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: 'http',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
  server = spawn(process.execPath, ['--import', 'tsx', 'node_modules/probot/bin/probot.js', 'run', './src/github/app.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  server.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  await until(
    'the server to listen',
    async () => {
      if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}:\n${logs.join('')}`);
      return fetch(`${baseUrl}/healthz`).then((r) => (r.ok ? true : undefined)).catch(() => undefined);
    },
    30_000,
  );
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await fake?.close();
});

describe('pgpro server end to end', () => {
  it('reviews a pull request: check run completed with annotations, one summary comment, one inline review', async () => {
    const response = await deliver('pull_request', fixture('pull_request.opened'));
    expect(response.status).toBeLessThan(300);
    // The webhook is answered before the review runs: nothing is completed when the answer arrives.
    expect(fake.checkRuns.filter((r) => r.status === 'completed')).toEqual([]);

    const run = await until('the check run to complete', () => fake.checkRuns.find((r) => r.status === 'completed'), 90_000);
    expect(fake.checkRuns).toHaveLength(1);
    expect(run).toMatchObject({ name: 'pgpro', head_sha: HEAD });
    expect(run.output?.title, run.output?.summary).not.toMatch(/could not complete/);
    // A plain CREATE INDEX on an existing table blocks writes: an error under the default fail-on.
    expect(run.conclusion).toBe('failure');
    expect(run.annotations).toContainEqual(expect.objectContaining({ path: MIGRATION, start_line: 1 }));

    await until('the summary comment', () => fake.comments[0], 10_000);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]!.body).toContain('<!-- pgpro:summary -->');
    expect(fake.comments[0]!.body).toContain(MIGRATION);
    await until('the review', () => fake.reviews[0], 10_000);
    expect(fake.reviews[0]!.body).toMatchObject({ commit_id: HEAD, event: 'COMMENT' });
    expect(fake.reviews[0]!.body.comments).toContainEqual(expect.objectContaining({ path: MIGRATION, line: 1, side: 'RIGHT' }));

    // Contents fetched: the two migration files, each once (001 is the same blob in base and head), never the README.
    const blobs = fake.requests.filter((r) => r.path.includes('/git/blobs/'));
    expect(blobs).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path.includes('/git/trees/')).map((r) => r.query)).toEqual([
      { recursive: 'true' },
      { recursive: 'true' },
    ]);
    // Logs are JSON lines.
    expect(() => JSON.parse(logs.join('').split('\n').find((l) => l.trim())!)).not.toThrow();
  }, 120_000);

  it('rejects a delivery with a bad signature and does nothing', async () => {
    const before = fake.requests.length;
    const response = await deliver('pull_request', fixture('pull_request.opened'), 'wrong-secret');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.requests.length).toBe(before);
  });
});
