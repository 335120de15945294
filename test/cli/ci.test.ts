// The GitHub Action's entry against a fake GitHub on loopback: action.yml's Review step, its `run` script as
// written there (inputs substituted as the runner does, bash, the built dist/), on a pull_request event. It
// reviews base..head, prints annotations, writes SARIF and the job summary, and creates the sticky summary
// comment on the first run and updates it on the next.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SUMMARY_MARKER } from '../../src/report/markdown.js';
import { cli, cliEnv, FIXTURES, REPO, tempTree } from './helpers.js';

interface ActionStep {
  name: string;
  shell: string;
  env?: Record<string, string>;
  run: string;
}

/**
 * action.yml's step `name` as the runner would run it: `${{ inputs.x }}` from `inputs` or the input's
 * default, `${{ github.action_path }}` this repository, `${{ github.token }}` the given token.
 */
function actionStep(name: string, inputs: Record<string, string>, githubToken: string): { script: string; env: Record<string, string> } {
  const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { using: string; steps: ActionStep[] };
  };
  expect(action.runs.using).toBe('composite');
  const step = action.runs.steps.find((s) => s.name === name)!;
  expect(step.shell).toBe('bash');
  const expand = (text: string): string =>
    text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, expression: string) => {
      if (expression === 'github.action_path') return REPO;
      if (expression === 'github.token') return githubToken;
      const input = expression.startsWith('inputs.') ? expression.slice('inputs.'.length) : undefined;
      if (input === undefined || !(input in action.inputs)) throw new Error(`action.yml uses \${{ ${expression} }}, which this test does not provide`);
      return inputs[input] ?? expand(action.inputs[input]!.default ?? '');
    });
  return { script: expand(step.run), env: Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)])) };
}

/** Runs a step's script as the runner does for `shell: bash`, without blocking the fake GitHub in this process. */
function runStep(step: { script: string; env: Record<string, string> }, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.script], { cwd, env: { ...env, ...step.env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

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
      PGPRO_CACHE_DIR: join(scratch, 'cache'),
    });
  });

  afterAll(async () => {
    github.server.close();
    await rm(repo, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it("action.yml's Review step creates the summary comment, then updates it; annotations, SARIF and the job summary every run", async () => {
    if (!existsSync(join(REPO, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run `npm run build` (npm ci does it) before this test');
    // The workflow's inputs: the token from github.token, the rest defaults but for the review's own settings.
    const step = actionStep('Review', { args: `--no-agent --config ${join(FIXTURES, 'no-explain.yml')}` }, 'ghs_test_token');
    expect(step.script).toContain(`node "${REPO}/dist/cli/main.js" ci --fail-on "error" --format text --format github --format "sarif=pgpro.sarif"`);
    expect(step.env).toEqual({ PGPRO_GITHUB_TOKEN: 'ghs_test_token', ANTHROPIC_API_KEY: '' });
    // The runner starts steps in the workspace: the checked-out repository.
    const first = await runStep(step, repo, env);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toContain('pgpro: summary comment created on pull request #7\n');
    // Its sandbox started from the cluster the build made: no initdb, no copy of it in the new cache.
    expect(readdirSync(join(REPO, 'dist')).filter((name) => name.endsWith('-fresh.tar.gz'))).toHaveLength(1);
    expect(readdirSync(join(scratch, 'cache')).filter((name) => name.endsWith('-fresh.tar.gz'))).toEqual([]);
    // Annotations follow the text report in the log.
    expect(first.stdout).toContain('Reviewed 1 migration');
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

    await rm(join(repo, 'pgpro.sarif'));
    const second = await runStep(step, repo, env);
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toContain('pgpro: summary comment updated on pull request #7\n');
    expect(second.stdout).toMatch(/^::error file=db\/migrations\/0002_index_state\.sql,line=1,/m);
    expect(JSON.parse(await readFile(join(repo, 'pgpro.sarif'), 'utf8')).runs[0].results.length).toBeGreaterThan(0);
    expect(github.requests.slice(2).map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/shop/issues/7/comments?per_page=100&page=1',
      'PATCH /repos/acme/shop/issues/comments/101',
    ]);
    const updated = github.requests[3]!.body!.body;
    expect(updated).toContain(SUMMARY_MARKER);
    expect(updated).toContain('require-concurrent-index-creation');
  }, 300_000); // two whole reviews in child processes: 38 s and 24 s measured at load 20

  it('says what it needs when there is no pull request to review', async () => {
    const run = await cli(['ci', '-C', repo], cliEnv({ GITHUB_EVENT_PATH: '' }));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('pgpro: pgpro ci reviews a pull request: run it on a pull_request event (GITHUB_EVENT_PATH) or give --base <ref>.\n');
  });
});
