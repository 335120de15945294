// `pgpro ci`, the GitHub Action's entry, against a fake GitHub on loopback: on a pull_request event it
// reviews base..head, prints annotations, writes SARIF and the job summary, and creates the sticky
// summary comment on the first run and updates it on the next.
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_MARKER } from '../../src/report/markdown.js';
import { cli, cliEnv, FIXTURES, tempTree } from './helpers.js';

interface Recorded {
  method: string;
  url: string;
  authorization?: string;
  body?: { body: string };
}

/** A GitHub that knows one pull request's comments, and records what it was asked. */
function fakeGithub(): Promise<{ server: Server; url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const comments: { id: number; body: string }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body = text ? (JSON.parse(text) as { body: string }) : undefined;
    requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, ...(body ? { body } : {}) });
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && req.url === '/repos/acme/shop/issues/7/comments?per_page=100&page=1') return reply(200, comments);
    if (req.method === 'POST' && req.url === '/repos/acme/shop/issues/7/comments') {
      comments.push({ id: 101, body: body!.body });
      return reply(201, comments[0]);
    }
    if (req.method === 'PATCH' && req.url === '/repos/acme/shop/issues/comments/101') {
      comments[0]!.body = body!.body;
      return reply(200, comments[0]);
    }
    reply(404, { message: 'Not Found' });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests })),
  );
}

describe('pgpro ci (the GitHub Action)', () => {
  let repo: string;
  let scratch: string;
  let github: Awaited<ReturnType<typeof fakeGithub>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    repo = await tempTree({ 'db/migrations/0001_create_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, state text);\n' }, 'pgpro-ci-');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', encoding: 'utf8' }).trim();
    const commit = (message: string) => git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', message);
    git('init', '-q');
    git('add', '.');
    commit('base');
    const baseSha = git('rev-parse', 'HEAD');
    await writeFile(join(repo, 'db/migrations/0002_index_state.sql'), 'CREATE INDEX orders_state ON orders (state);\n');
    git('add', '.');
    commit('head');
    const headSha = git('rev-parse', 'HEAD');

    scratch = await mkdtemp(join(tmpdir(), 'pgpro-ci-run-'));
    await writeFile(join(scratch, 'event.json'), JSON.stringify({ action: 'synchronize', pull_request: { number: 7, base: { sha: baseSha }, head: { sha: headSha } } }));
    github = await fakeGithub();
    env = cliEnv({
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_PATH: join(scratch, 'event.json'),
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_API_URL: github.url,
      GITHUB_STEP_SUMMARY: join(scratch, 'summary.md'),
      PGPRO_GITHUB_TOKEN: 'ghs_test_token',
      PGPRO_CACHE_DIR: join(scratch, 'cache'),
    });
  });

  afterAll(async () => {
    github.server.close();
    await rm(repo, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('creates the summary comment, then updates it; annotations, SARIF and the job summary every run', async () => {
    const argv = ['ci', '-C', repo, '--no-agent', '--config', join(FIXTURES, 'no-explain.yml')];
    const first = await cli(argv, env);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('pgpro: summary comment created on pull request #7\n');
    // Annotations follow the text report in the log.
    expect(first.stdout).toMatch(/^::error file=db\/migrations\/0002_index_state\.sql,line=1,title=pgpro require-concurrent-index-creation::CREATE INDEX on orders/m);
    const sarif = JSON.parse(await readFile(join(repo, 'pgpro.sarif'), 'utf8'));
    expect(sarif.runs[0].results.map((r: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => [r.ruleId, r.locations[0]!.physicalLocation.artifactLocation.uri])).toContainEqual([
      'require-concurrent-index-creation',
      'db/migrations/0002_index_state.sql',
    ]);
    const summary = await readFile(join(scratch, 'summary.md'), 'utf8');
    expect(summary).toContain(SUMMARY_MARKER);

    expect(github.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/shop/issues/7/comments?per_page=100&page=1',
      'POST /repos/acme/shop/issues/7/comments',
    ]);
    expect(github.requests.every((r) => r.authorization === 'Bearer ghs_test_token')).toBe(true);
    const created = github.requests[1]!.body!.body;
    expect(`${created}\n`).toBe(summary);
    expect(created).toContain('require-concurrent-index-creation');

    const second = await cli(argv, env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('pgpro: summary comment updated on pull request #7\n');
    expect(github.requests.slice(2).map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/shop/issues/7/comments?per_page=100&page=1',
      'PATCH /repos/acme/shop/issues/comments/101',
    ]);
    const updated = github.requests[3]!.body!.body;
    expect(updated).toContain(SUMMARY_MARKER);
    expect(updated).toContain('require-concurrent-index-creation');
  });

  it('says what it needs when there is no pull request to review', async () => {
    const run = await cli(['ci', '-C', repo], cliEnv({ GITHUB_EVENT_PATH: '' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('pgpro: pgpro ci reviews a pull request: run it on a pull_request event (GITHUB_EVENT_PATH) or give --base <ref>.\n');
  });
});
