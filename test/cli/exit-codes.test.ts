// Exit codes: 2 when pgpro cannot run (with a message that says what to fix), 0/1 by --fail-on.
import { execFileSync, spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, FIXTURES, REPO, tempTree } from './helpers.js';
import { VERSION } from '../../src/version.js';

const CLEAN = join(FIXTURES, 'clean');

describe('exit 2: pgpro could not run', () => {
  it.each([
    [['review', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['review', '--format', 'yaml'], /--format must be one of text, json, markdown, sarif, github, gitlab, compact, optionally with =<file>; got "yaml"/],
    [['review', '--fail-on', 'fatal'], /--fail-on must be one of error, warning, info, none; got "fatal"/],
    [['reveiw'], /Unknown command "reveiw"/],
    [['review', '--agent', '--no-agent'], /contradict/],
  ])('%j', async (argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Run "pgpro --help" for usage/);
    expect(run.stdout).toBe('');
  });

  it('a sandbox server that cannot be reached: no lint-only pass, a message naming the problem', async () => {
    const run = await cli(['review', '-C', CLEAN, '--no-cache', '--sandbox-url', 'postgres://nobody@127.0.0.1:1/nothing']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^pgpro: The sandbox could not start: /m);
    expect(run.stdout).toBe('');
  });

  it('nothing new was applied: exit 2 and "not reviewed", never a pass', async () => {
    const root = await tempTree({
      'pgpro.yml': 'limits:\n  max-statements-per-file: 1\n',
      'db/migrations/0001_a.sql': 'CREATE TABLE a (id bigint);\nDROP TABLE a;\n',
    });
    try {
      const run = await cli(['review', '-C', root, '--no-cache', '--format', 'json']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^pgpro: not reviewed: none of the new migration was applied in the sandbox \(db\/migrations\/0001_a\.sql: 2 statements, over limits\.max-statements-per-file \(1\)\)/m);
      expect(JSON.parse(run.stdout).notReviewed).toEqual([
        { file: 'db/migrations/0001_a.sql', status: 'skipped', reason: 'max-statements', message: '2 statements, over limits.max-statements-per-file (1)' },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a directory without migrations: exit 2, not "no hazards"', async () => {
    const root = await tempTree({ 'README.md': 'nothing here\n' });
    try {
      const run = await cli(['review', '-C', root, '--no-cache']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/not reviewed: no migrations were found/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('setup SQL that fails names the setup and its line', async () => {
    const root = await tempTree({
      'pgpro.yml': 'sandbox:\n  setup:\n    - sql: "CREATE ROLE app;\\nCREATE SCHEMA oops AUTHORIZATION missing_role;"\n',
      'db/migrations/0001_a.sql': 'CREATE TABLE a (id bigint);\n',
    });
    try {
      const run = await cli(['review', '-C', root, '--no-cache']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/The sandbox could not start: setup "sandbox\.setup\[0\]" failed: role "missing_role" does not exist/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('an invalid config file: the message names the file, the key and its line', async () => {
    const run = await cli(['review', '-C', CLEAN, '--config', join(FIXTURES, 'bad-config/pgpro.yml'), '--no-cache']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Invalid pgpro config in ${join(FIXTURES, 'bad-config/pgpro.yml')}`);
    expect(run.stderr).toMatch(/sandbox\.statement-timeout-seconds \(line 4\): /);
    expect(run.stdout).toBe('');
  });

  it('an invalid pgpro.yml found in the directory is reported the same way', async () => {
    const root = await tempTree({ 'pgpro.yml': 'rules:\n  require-timeout-settings: loud\n', 'db/migrations/0001_a.sql': 'SELECT 1;\n' });
    try {
      const run = await cli(['review', '-C', root, '--no-cache']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(join(root, 'pgpro.yml'));
      expect(run.stderr).toMatch(/rules\.require-timeout-settings \(line 2\)/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a --config that does not exist', async () => {
    const run = await cli(['review', '-C', CLEAN, '--config', 'nope.yml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Cannot read the config file nope\.yml/);
  });

  it('a path that does not exist', async () => {
    const run = await cli(['review', 'db/migrations/0099_missing.sql', '-C', CLEAN]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('pgpro: db/migrations/0099_missing.sql does not exist.\n');
  });

  it('a path outside the directory pgpro runs in', async () => {
    const run = await cli(['review', join(REPO, 'examples'), '-C', CLEAN]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is outside/);
  });

  it('a -C directory that does not exist', async () => {
    const run = await cli(['review', '-C', join(CLEAN, 'no-such-dir'), '--no-cache']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`pgpro: The directory ${join(CLEAN, 'no-such-dir')} does not exist.\n`);
  });

  describe('with --base', () => {
    let plain: string;
    let repo: string;
    beforeAll(async () => {
      plain = await tempTree({ 'db/migrations/0001_a.sql': 'SELECT 1;\n' });
      repo = await tempTree({ 'db/migrations/0001_a.sql': 'SELECT 1;\n' });
      const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
      git('init', '-q');
      git('add', '.');
      git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'history');
    });
    afterAll(async () => {
      await rm(plain, { recursive: true, force: true });
      await rm(repo, { recursive: true, force: true });
    });

    it('a directory that is not a git repository', async () => {
      const run = await cli(['review', '--base', 'HEAD', '-C', plain, '--no-cache'], { ...process.env, GIT_CEILING_DIRECTORIES: plain.replace(/\/[^/]+$/, '') });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^pgpro: git rev-parse --show-toplevel failed: .*not a git repository/);
    });

    it('a ref that is not a commit', async () => {
      const run = await cli(['review', '--base', 'origin/nope', '-C', repo, '--no-cache']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe('pgpro: "origin/nope" is not a commit in this repository.\n');
    });
  });
});

describe('help and version', () => {
  it('--help and a bare "pgpro" print usage and exit 0', async () => {
    for (const argv of [['--help'], []]) {
      const run = await cli(argv);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^pgpro — review PostgreSQL migrations/);
      expect(run.stdout).toContain('--fail-on <severity>');
    }
  });

  it('the built CLI answers help before loading its modules, with the text runCli prints', async () => {
    const help = (await cli(['--help'])).stdout;
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const run = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), ...argv], { encoding: 'utf8', env: cliEnv() });
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }, argv.join(' ')).toEqual({ status: 0, stdout: help, stderr: '' });
    }
    // Anything else goes through the argument parser.
    const unknown = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'helps'], { encoding: 'utf8', env: cliEnv() });
    expect([unknown.status, unknown.stderr]).toEqual([2, (await cli(['helps'])).stderr]);
  });

  it('--version prints the version', async () => {
    const run = await cli(['-v']);
    expect(run).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});

describe('exit 0 and 1 by --fail-on on a clean migration', () => {
  it('exit 0 with only info findings; --fail-on info turns the same review into exit 1', async () => {
    const clean = await cli(['review', '-C', CLEAN, '--no-cache', '--format', 'json']);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    const report = JSON.parse(clean.stdout) as { conclusion: string; migrations: { status: string }[]; findings: { severity: string; rule: string; line: number }[] };
    expect(report.migrations).toEqual([
      expect.objectContaining({ file: 'db/migrations/0001_create_widgets.sql', status: 'applied', statements: 1 }),
      expect.objectContaining({ file: 'db/migrations/0002_create_gadgets.sql', status: 'applied', statements: 2 }),
    ]);
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    // 0002 is not re-runnable outside a transaction: info, for --fail-on info to catch.
    // One finding for both statements, listing the lines.
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([['prefer-robust-stmts', 2]]);
    expect((report.findings[0] as { occurrences?: { line: number }[] }).occurrences?.map((o) => o.line)).toEqual([2, 6]);
    expect(report.conclusion).toBe('success');

    const strict = await cli(['review', '-C', CLEAN, '--no-cache', '--format', 'json', '--fail-on', 'info']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout)).toMatchObject({ conclusion: 'failure' });
  }, 300_000); // two whole reviews on a machine that may be busy
});
