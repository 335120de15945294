// The package as users get it: `npm pack`, installed into an empty project (from the tarball, the
// registry only for what npm's cache lacks) with --engine-strict on the Node running the tests, then
// `import('pgpro')` and `npx pgpro review` there. The GitHub App's stack is an optional peer: not installed,
// and what needs it says so. It packs the build in dist/ (npm ci builds it through `prepare`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_PACKAGES } from '../../src/app-stack.js';
import { cliEnv, REPO } from './helpers.js';

const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cliEnv()) =>
  spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

describe('npm pack, install in an empty project, npx pgpro review', () => {
  let scratch: string;
  let tarball: string;
  let project: string;

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist/cli/main.js')) || !existsSync(join(REPO, 'dist/index.js'))) {
      throw new Error('dist/ is not built: run `npm run build` (npm ci does it) before this test');
    }
    scratch = await mkdtemp(join(tmpdir(), 'pgpro-pack-'));
    const packed = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', scratch], REPO);
    expect(packed.status, packed.stderr).toBe(0);
    tarball = join(scratch, packed.stdout.trim().split('\n').pop()!);
    project = join(scratch, 'project');
    await mkdir(join(project, 'db/migrations'), { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'smoke', private: true, type: 'module' }));
    await writeFile(join(project, 'db/migrations/0001_t.sql'), 'CREATE TABLE t (id bigint PRIMARY KEY, note text);\n');
    await writeFile(join(project, 'db/migrations/0002_i.sql'), 'CREATE INDEX t_note ON t (note);\n');
    // --engine-strict: every package installed declares an engines range this Node satisfies.
    const installed = run('npm', ['install', '--engine-strict', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project);
    expect(installed.status, installed.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('ships the build, the docs, the schema and the licence, not the sources or tests', () => {
    const listing = run('tar', ['tzf', tarball], scratch).stdout.split('\n');
    for (const file of ['package/LICENSE', 'package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/main.js', 'package/dist/bundle/main.js', 'package/dist/bundle/worker.js', 'package/schema/pgpro.schema.json', 'package/docs/rules/ban-drop-column.md']) {
      expect(listing).toContain(file);
    }
    expect(listing.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);
  });

  it('installs no competitor binary', async () => {
    expect(existsSync(join(project, 'node_modules/@squawk-cli'))).toBe(false);
    expect(await readdir(join(project, 'node_modules/pgpro'))).toContain('LICENSE');
  });

  it("installs without the GitHub App's stack, and what needs it says what to install", () => {
    for (const name of APP_PACKAGES) expect(existsSync(join(project, 'node_modules', name)), name).toBe(false);
    const advice = `npm install ${APP_PACKAGES.join(' ')}`;
    const worker = run('npx', ['--no-install', 'pgpro', 'worker'], project, cliEnv({ REDIS_URL: 'redis://127.0.0.1:1', APP_ID: '1', PRIVATE_KEY: 'x' }));
    expect(worker.status).toBe(2);
    expect(worker.stderr).toMatch(/^pgpro: pgpro worker needs the GitHub App's packages, .*: probot is missing\./);
    expect(worker.stderr).toContain(advice);
    const server = run('node', ['node_modules/pgpro/dist/github/server.js'], project);
    expect(server.status).toBe(2);
    expect(server.stderr).toMatch(/^pgpro: The pgpro GitHub App needs the GitHub App's packages/);
    expect(server.stderr).toContain(advice);
  });

  it('imports as a library through its exports', () => {
    const imported = run('node', ['--input-type=module', '-e', "const m = await import('pgpro'); console.log(typeof m.review, typeof m.lintStatic, typeof m.render, m.VERSION)"], project);
    expect(imported.stderr).toBe('');
    expect(imported.stdout.trim()).toMatch(/^function function function \d+\.\d+\.\d+$/);
  });

  it('reviews a migration with npx pgpro review', async () => {
    const env = cliEnv({ PGPRO_CACHE_DIR: join(scratch, 'cache') });
    const reviewed = run('npx', ['--no-install', 'pgpro', 'review', '--no-agent', '--format', 'json', 'db/migrations/0002_i.sql'], project, env);
    expect(reviewed.status, reviewed.stderr).toBe(1);
    const report = JSON.parse(reviewed.stdout) as { migrations: { file: string; status: string }[]; findings: { rule: string }[] };
    expect(report.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_t.sql', 'applied'],
      ['db/migrations/0002_i.sql', 'applied'],
    ]);
    expect(report.findings.map((f) => f.rule)).toContain('require-concurrent-index-creation');
  }, 300_000);
});
