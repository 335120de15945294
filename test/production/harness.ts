// Processes for production tests and the load script: a fake GitHub on loopback, the real server
// (src/github/server.ts) and `pgpro worker` children, all started with tsx, plus signed deliveries.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { startFakeGitHub, type FakeGitHub, type FakePullRequest } from '../helpers/fake-github.js';

export const SECRET = 'production-webhook-secret';
export const ROOT = new URL('../..', import.meta.url).pathname;
export const INIT = 'db/migrations/001_init.sql';
export const INIT_SQL = 'CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  customer_id bigint NOT NULL\n);\n';
export const BASE = 'b0'.repeat(20);

const sha = (n: number) => n.toString(16).padStart(40, 'c');

/** Pull request n: with `migration`, it adds one (a real review); without, it changes the README only. */
export function pullRequest(n: number, migration: boolean): { pull: FakePullRequest; commit: Record<string, string> } {
  const file = `db/migrations/${String(100 + n)}_index.sql`;
  const sql = `CREATE INDEX orders_customer_${n}_idx ON orders (customer_id);\n`;
  return {
    pull: {
      number: n,
      headSha: sha(n),
      baseSha: BASE,
      files: migration
        ? [{ filename: file, status: 'added', patch: `@@ -0,0 +1 @@\n+${sql.trimEnd()}` }]
        : [{ filename: 'README.md', status: 'modified', patch: '@@ -1 +1 @@\n-# shop\n+# the shop' }],
    },
    commit: { 'README.md': migration ? '# shop\n' : '# the shop\n', [INIT]: INIT_SQL, ...(migration ? { [file]: sql } : {}) },
  };
}

export async function fakeGitHub(pulls: { n: number; migration: boolean }[]): Promise<FakeGitHub> {
  const built = pulls.map(({ n, migration }) => pullRequest(n, migration));
  return startFakeGitHub({
    owner: 'acme',
    repo: 'shop',
    commits: { [BASE]: { 'README.md': '# shop\n', [INIT]: INIT_SQL }, ...Object.fromEntries(built.map((b) => [b.pull.headSha, b.commit])) },
    pulls: built.map((b) => b.pull),
  });
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

let privateKey: string | undefined;
export function baseEnv(fake: FakeGitHub, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    APP_ID: '123',
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: fake.host,
    GHE_PROTOCOL: 'http',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export interface Child {
  process: ChildProcess;
  logs: string[];
  stop(): Promise<void>;
}

function launch(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  return {
    process: child,
    logs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

export interface Server extends Child {
  url: string;
}

export async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const child = launch(['src/github/server.ts'], { ...env, HOST: '127.0.0.1', PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await until(
    'the server to listen',
    async () => {
      if (child.process.exitCode !== null) throw new Error(`server exited with ${child.process.exitCode}:\n${child.logs.join('')}`);
      return fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined)).catch(() => undefined);
    },
    30_000,
    () => child.logs.join(''),
  );
  return { ...child, url };
}

/** `pgpro worker`; resolves once it logs that it takes jobs. */
export async function startWorker(env: NodeJS.ProcessEnv): Promise<Child> {
  const child = launch(['src/cli/main.ts', 'worker'], env);
  await until('the worker to start', () => (child.logs.join('').includes('taking review jobs') ? true : undefined), 30_000, () => child.logs.join(''));
  return child;
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/webhooks/pull_request.opened.json', import.meta.url), 'utf8')) as Record<string, any>;

/** A pull_request.opened payload for pull request n of the fake (see pullRequest). */
export function openedPayload(n: number, installationId = 1001): Record<string, unknown> {
  const payload = structuredClone(FIXTURE);
  payload.number = n;
  payload.pull_request.number = n;
  payload.pull_request.head.sha = sha(n);
  payload.pull_request.base.sha = BASE;
  payload.pull_request.changed_files = 1;
  payload.installation.id = installationId;
  return payload;
}

export function deliver(url: string, event: string, payload: unknown, delivery: string = randomUUID()): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
}
