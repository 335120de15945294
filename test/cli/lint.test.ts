// `pgpro lint`: the static mode on the command line. Nothing is run, so these need no sandbox.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/report/json.js';
import { cli, cliEnv, REPO, tempTree } from './helpers.js';

const FILES = {
  'db/migrations/0001_create_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, note varchar(40), state text);\n',
  'db/migrations/0002_index_state.sql': 'CREATE INDEX orders_state ON orders (state);\n',
  'db/migrations/0003_widen_note.sql': 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(80);\n',
  'db/migrations/0004_new_table.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY);\nCREATE INDEX notes_id ON notes (id);\n',
  'db/seeds.sql': 'INSERT INTO orders VALUES (1);\n',
};
const ONLY_LOCKS = ['--config', 'pgpro.yml', '--no-cache'];

let root: string;
beforeAll(async () => {
  root = await tempTree({
    ...FILES,
    // Keep the cases to the lock and rewrite rules they are about.
    'pgpro.yml': 'rules:\n  prefer-robust-stmts: off\n  prefer-text-field: off\n  require-timeout-settings: off\n  prefer-bigint-over-int: off\n',
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function lintJson(argv: string[]): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const run = await cli(['lint', '--format', 'json', ...ONLY_LOCKS, '-C', root, ...argv]);
  return { code: run.code, report: JSON.parse(run.stdout) as JsonReport, stderr: run.stderr };
}

describe('pgpro lint', () => {
  it('lints a named file on the schema the earlier files describe, and only it', async () => {
    const { code, report, stderr } = await lintJson(['db/migrations/0002_index_state.sql']);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(report.findings.map((f) => [f.file, f.line, f.rule, f.severity, f.source])).toEqual([
      ['db/migrations/0002_index_state.sql', 1, 'require-concurrent-index-creation', 'error', 'lint'],
    ]);
    expect(report.migrations).toEqual([{ file: 'db/migrations/0002_index_state.sql', status: 'not-run', statements: 1, durationMs: 0 }]);
    expect(report.stats).toMatchObject({ mode: 'static', migrationsNew: 1, statements: 1 });
  });

  it('exits 0 on a file whose change the catalog shows to be safe (varchar widened)', async () => {
    const { code, report } = await lintJson(['db/migrations/0003_widen_note.sql']);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('lints every migration of a named directory, each as its own change', async () => {
    const { report } = await lintJson(['db/migrations']);
    expect(report.migrations.map((m) => m.file)).toEqual(Object.keys(FILES).filter((p) => p.startsWith('db/migrations/')));
    // 0004 indexes a table it creates itself: nothing to block.
    expect(report.findings.map((f) => `${f.file}:${f.rule}`)).toEqual(['db/migrations/0002_index_state.sql:require-concurrent-index-creation']);
  });

  it('says which named file is not a migration instead of passing it silently', async () => {
    const { code, report } = await lintJson(['db/seeds.sql']);
    expect(code).toBe(0);
    expect(report.migrations).toEqual([]);
    expect(report.notes).toContain('db/seeds.sql was named but is not a migration pgpro recognizes (see migrations.paths and migrations.convention); it was not linted.');
  });

  it('honours --fail-on and prints the text report as a lint', async () => {
    const run = await cli(['lint', ...ONLY_LOCKS, '-C', root, '--fail-on', 'none', 'db/migrations/0002_index_state.sql']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('db/migrations/0002_index_state.sql:1  error  require-concurrent-index-creation');
    expect(run.stdout).toMatch(/Linted 1 migration, 1 statement in \d+ ms \(static: parsed, not run; `pgpro review` runs them\)/);
    expect(run.stdout).not.toContain('not-run');
  });

  it('takes absolute paths outside the working directory, reported relative to the directory that holds them', async () => {
    const elsewhere = await tempTree({ 'unrelated.txt': 'x\n' });
    try {
      const run = await cli(['lint', '--format', 'json', '--no-cache', '--config', join(root, 'pgpro.yml'), '-C', elsewhere, join(root, 'db/migrations/0002_index_state.sql'), join(root, 'db/migrations/0003_widen_note.sql')]);
      expect(run.stderr).toBe('');
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.migrations.map((m) => m.file)).toEqual(['0002_index_state.sql', '0003_widen_note.sql']);
      expect(report.findings.map((f) => `${f.file}:${f.rule}`)).toEqual(['0002_index_state.sql:require-concurrent-index-creation']);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('keeps linted files in the cache directory and answers the same from it', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'pgpro-lint-cache-'));
    try {
      const env = cliEnv({ PGPRO_CACHE_DIR: cacheDir });
      const argv = ['lint', '--format', 'json', '--config', 'pgpro.yml', '-C', root, 'db/migrations'];
      const first = await cli(argv, env);
      // The per-file cache with the catalog its newest file was linted on, the whole run's memo and the
      // report that run printed.
      const names = (await readdir(join(cacheDir, 'lint'))).map((f) =>
        f.replace(/^[0-9a-f]{16}/, 'root').replace(/\.[0-9a-f]{12}\.out$/, '.report.out').replace(/\.catalog\.[0-9a-f]{16}\.json$/, '.catalog.json'),
      );
      expect(names.sort()).toEqual([
        'root.catalog.json',
        'root.json',
        'root.run.json',
        'root.run.report.out',
      ]);
      const second = await cli(argv, env);
      const withoutTime = (stdout: string) => ({ ...JSON.parse(stdout), stats: { ...JSON.parse(stdout).stats, durationMs: 0 } });
      expect(withoutTime(second.stdout)).toEqual(withoutTime(first.stdout));
      expect(second.code).toBe(first.code);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('writes several formats in one run: one to stdout, the others to files', async () => {
    const run = await cli(['lint', ...ONLY_LOCKS, '-C', root, '--format', 'compact', '--format', 'sarif=out/pgpro.sarif', '--format', 'gitlab=out/gl.json', 'db/migrations/0002_index_state.sql']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'db/migrations/0002_index_state.sql:1: error require-concurrent-index-creation CREATE INDEX on orders takes a SHARE lock for the whole build: INSERT, UPDATE and DELETE on orders wait until the index is built.\n',
    );
    const sarif = JSON.parse(await readFile(join(root, 'out/pgpro.sarif'), 'utf8'));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['require-concurrent-index-creation']);
    const gitlab = JSON.parse(await readFile(join(root, 'out/gl.json'), 'utf8'));
    expect(gitlab.map((i: { check_name: string; location: unknown }) => [i.check_name, i.location])).toEqual([
      ['require-concurrent-index-creation', { path: 'db/migrations/0002_index_state.sql', lines: { begin: 1, end: 1 } }],
    ]);
    const two = await cli(['lint', '-C', root, '--format', 'json', '--format', 'sarif', 'db']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('Only one --format can print to stdout; give the others a file, e.g. --format sarif=pgpro.sarif.');
  });

  it('adds GitHub annotations to the text report in GitHub Actions when no --format is given', async () => {
    const run = await cli(['lint', ...ONLY_LOCKS, '-C', root, 'db/migrations/0002_index_state.sql'], cliEnv({ GITHUB_ACTIONS: 'true' }));
    expect(run.stdout).toContain('Linted 1 migration');
    expect(run.stdout.trimEnd().split('\n').pop()).toMatch(/^::error file=db\/migrations\/0002_index_state.sql,line=1,title=pgpro require-concurrent-index-creation::CREATE INDEX on orders/);
    const json = await cli(['lint', ...ONLY_LOCKS, '-C', root, '--format', 'json', 'db/migrations/0002_index_state.sql'], cliEnv({ GITHUB_ACTIONS: 'true' }));
    expect(() => JSON.parse(json.stdout)).not.toThrow();
  });

  it('reads an unsaved migration from stdin as the file --stdin-filepath names, on the schema of the files before it (0003 widened the column to 80)', async () => {
    const run = await cli(
      ['lint', ...ONLY_LOCKS, '-C', root, '--format', 'compact', '--stdin-filepath', 'db/migrations/0005_unsaved.sql', '-'],
      cliEnv(),
      'ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);\n',
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^db\/migrations\/0005_unsaved.sql:1: error changing-column-type Changing the type of orders.note from character varying\(80\)/);
    const missing = await cli(['lint', '-C', root, '-']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('The path "-" (stdin) needs --stdin-filepath <path> to say which migration it is.');
  });

  it('finds the config in a directory above, up to the repository root, as pgpro.yaml too', async () => {
    const repo = await tempTree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      'pgpro.yaml': 'fail-on: none\n',
      'db/migrations/0001_create.sql': FILES['db/migrations/0001_create_orders.sql'],
      'db/migrations/0002_index.sql': FILES['db/migrations/0002_index_state.sql'],
    });
    try {
      const run = await cli(['lint', '--no-cache', '-C', join(repo, 'db/migrations'), '--format', 'compact', '--format', 'sarif=pgpro.sarif', '0002_index.sql']);
      expect(run.stdout).toContain('0002_index.sql:1: error require-concurrent-index-creation');
      expect(run.code).toBe(0);
      // SARIF names files from the repository's root, where code scanning looks for them.
      const sarif = JSON.parse(await readFile(join(repo, 'db/migrations/pgpro.sarif'), 'utf8')).runs[0];
      expect(sarif.results[0].locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'db/migrations/0002_index.sql', uriBaseId: 'SRCROOT' });
      expect(sarif.originalUriBaseIds.SRCROOT.uri).toBe(`file://${repo}/`);
      expect(sarif.automationDetails).toEqual({ id: 'pgpro/lint/' });
      expect(sarif.tool.driver.version).toBe(JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version);
      expect(sarif.tool.driver.rules[0]).toMatchObject({
        id: 'require-concurrent-index-creation',
        name: 'RequireConcurrentIndexCreation',
        shortDescription: { text: expect.stringMatching(/\S/) },
        helpUri: expect.stringContaining('require-concurrent-index-creation'),
      });
      expect(sarif.tool.driver.rules[0].shortDescription.text).not.toBe('Require concurrent index creation');
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });

  it('refuses the options only a review has, and paths that do not exist', async () => {
    const review = await cli(['lint', '--base', 'main', '-C', root]);
    expect(review.code).toBe(2);
    expect(review.stderr).toContain('--base: only for "pgpro review"; "pgpro lint" runs nothing.');
    const missing = await cli(['lint', '-C', root, 'db/migrations/0009_missing.sql']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('pgpro: db/migrations/0009_missing.sql does not exist.\n');
  });
});
