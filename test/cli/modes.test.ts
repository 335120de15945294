// What counts as history and what as new: a directory (all new) and --base <ref> in a git repository.
// (Named files, whose earlier siblings are history, are asserted on the example in example.test.ts.)
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/report/json.js';
import { cli, FIXTURES, tempTree } from './helpers.js';

const NO_EXPLAIN = ['--config', join(FIXTURES, 'no-explain.yml')];

const HISTORY = {
  'db/migrations/0001_create_accounts.sql': 'CREATE TABLE accounts (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  email text NOT NULL\n);\n',
  'db/migrations/0002_create_invoices.sql':
    'CREATE TABLE invoices (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id bigint NOT NULL REFERENCES accounts (id)\n);\n',
};

async function json(argv: string[]): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const run = await cli(['review', '--format', 'json', '--no-cache', ...NO_EXPLAIN, ...argv]);
  expect(run.stderr).toBe('');
  return { code: run.code, report: JSON.parse(run.stdout) as JsonReport, stderr: run.stderr };
}

describe('a directory: every migration in it is new', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempTree({ ...HISTORY, 'db/migrations/README.md': '# how we migrate\n', 'other/0001_unrelated.sql': 'SELECT 1;\n' });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('applies and reviews both files of the named directory and nothing outside it', async () => {
    const { code, report } = await json(['db/migrations', '-C', root]);
    expect(code).toBe(0);
    expect(report.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_create_accounts.sql', 'applied'],
      ['db/migrations/0002_create_invoices.sql', 'applied'],
    ]);
    expect(report.stats).toMatchObject({ migrationsTotal: 2, migrationsNew: 2 });
    // Both files were reviewed as new: 0002's unindexed foreign key is reported (a warning: exit 0).
    expect(report.findings.filter((f) => f.severity !== 'info').map((f) => [f.rule, f.file])).toEqual([
      ['foreign-key-without-index', 'db/migrations/0002_create_invoices.sql'],
    ]);
    expect(report.conclusion).toBe('neutral');
  });

  it('a named file that is not a migration is not silently "nothing to review": a note names it', async () => {
    const { code, report } = await json(['db/migrations/README.md', '-C', root]);
    expect(code).toBe(0);
    expect(report.stats).toMatchObject({ migrationsNew: 0 });
    expect(report.notes).toContain(
      'db/migrations/README.md was named but is not a migration pgpro recognizes (see migrations.paths and migrations.convention); it was not reviewed.',
    );
  });
});

describe('a migration read from stdin (`-` with --stdin-filepath), as editors send an unsaved buffer', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempTree(HISTORY);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is new at the path it names (not on disk), after the earlier files of its directory as history', async () => {
    const run = await cli(
      ['review', '--format', 'json', '--no-cache', ...NO_EXPLAIN, '-C', root, '--stdin-filepath', 'db/migrations/0003_unsaved.sql', '-'],
      undefined,
      'ALTER TABLE invoices ALTER COLUMN account_id TYPE integer;\n',
    );
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_create_accounts.sql', 'applied'],
      ['db/migrations/0002_create_invoices.sql', 'applied'],
      ['db/migrations/0003_unsaved.sql', 'applied'],
    ]);
    expect(report.stats).toMatchObject({ migrationsTotal: 3, migrationsNew: 1 });
    // invoices came from the history on disk: the type change rewrote it, and the trace saw it.
    const rewrite = report.findings.find((f) => f.rule === 'changing-column-type');
    expect(rewrite).toMatchObject({ file: 'db/migrations/0003_unsaved.sql', line: 1, severity: 'error' });
    expect(rewrite!.evidence).toMatch(/table-rewrite/);
    expect(run.code).toBe(1);
  });

  it('needs --stdin-filepath, and --fix only with --dry-run (it would write the buffer to disk)', async () => {
    const missing = await cli(['review', '-C', root, '-']);
    expect([missing.code, missing.stderr]).toEqual([2, 'pgpro: The path "-" (stdin) needs --stdin-filepath <path> to say which migration it is.\nRun "pgpro --help" for usage.\n']);
    const fix = await cli(['review', '--fix', '-C', root, '--stdin-filepath', 'db/migrations/0003_unsaved.sql', '-']);
    expect(fix.code).toBe(2);
    expect(fix.stderr).toContain('use --fix --dry-run to print the fixes as a diff');
    const outside = await cli(['review', '-C', root, '--stdin-filepath', '../elsewhere.sql', '-'], undefined, 'SELECT 1;\n');
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('--stdin-filepath ../elsewhere.sql is outside');
  });
});

describe('--base <ref> in a git repository', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', encoding: 'utf8' });
  beforeAll(async () => {
    repo = await tempTree(HISTORY, 'pgpro-cli-git-');
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'history');
    await writeFile(
      join(repo, 'db/migrations/0003_invoice_total.sql'),
      'ALTER TABLE invoices ADD COLUMN total_cents bigint NOT NULL DEFAULT 0;\nALTER TABLE invoices ALTER COLUMN account_id TYPE integer;\n',
    );
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('reviews only the files that differ from the ref; the ref\'s migrations are applied history', async () => {
    const { code, report } = await json(['--base', 'HEAD', '-C', join(repo, 'db')]); // from a subdirectory too
    expect(report.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_create_accounts.sql', 'applied'],
      ['db/migrations/0002_create_invoices.sql', 'applied'],
      ['db/migrations/0003_invoice_total.sql', 'applied'],
    ]);
    expect(report.stats).toMatchObject({ migrationsTotal: 3, migrationsNew: 1 });
    expect(new Set(report.findings.map((f) => f.file))).toEqual(new Set(['db/migrations/0003_invoice_total.sql']));
    // invoices existed before: the type change rewrites it under ACCESS EXCLUSIVE, and the trace saw it.
    const rewrite = report.findings.find((f) => f.rule === 'changing-column-type');
    expect(rewrite).toMatchObject({ line: 2, severity: 'error' });
    expect(rewrite!.evidence).toMatch(/table-rewrite/);
    expect(code).toBe(1);
  });

  it('an edited migration the ref already has: reported at the changed lines; the ref\'s version is history, what the edit adds is reviewed', async () => {
    const path = 'db/migrations/0001_create_accounts.sql';
    // Line 3 changed (a column added to the CREATE TABLE), lines 4-6 added: a blocking index build.
    await writeFile(
      join(repo, path),
      'CREATE TABLE accounts (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  email text NOT NULL, name text\n);\n\nCREATE INDEX accounts_email_idx\n  ON accounts (email);\n',
    );
    try {
      const { report } = await json(['--base', 'HEAD', '-C', repo]);
      const modified = report.findings.filter((f) => f.rule === 'modified-applied-migration');
      expect(modified).toEqual([expect.objectContaining({ file: path, line: 3, endLine: 3, severity: 'warning' })]);
      expect(modified[0]!.message).toContain('(and at lines 5-7)');
      // The changed CREATE TABLE cannot run where the applied one did: left out, and said so.
      expect(modified[0]!.message).toContain('The changed statement at lines 1-4 re-creates what the applied version created (relation "accounts" already exists)');
      // The base's version is replayed as history; the edit is new, with only the statement it adds applied.
      expect(report.migrations.map((m) => [m.file, m.status, m.statements, m.edit ?? false])).toEqual([
        [path, 'applied', 1, false],
        ['db/migrations/0002_create_invoices.sql', 'applied', 1, false],
        [path, 'applied', 1, true],
        ['db/migrations/0003_invoice_total.sql', 'applied', 2, false],
      ]);
      expect(report.stats).toMatchObject({ migrationsNew: 2 });
      // The index the edit adds locks the existing accounts table: reported on its own lines.
      const index = report.findings.find((f) => f.file === path && f.rule === 'require-concurrent-index-creation');
      expect(index).toMatchObject({ line: 6, endLine: 7 });
      // Its fix is proven on the edit as it runs (the statements it adds), not on the whole edited file.
      expect(index!.fix).toMatchObject({ verified: true });
      // up-down-up is not run on an edit: its down file undoes the whole migration, not the edit.
      expect(report.findings.filter((f) => f.file === path && f.rule.startsWith('up-after-down'))).toEqual([]);
    } finally {
      git('checkout', '-q', '--', 'db/migrations/0001_create_accounts.sql');
    }
  }, 300_000); // real reviews (fix proofs included) on a machine that may be busy

  it('a deleted migration the ref applied is reported, and stays history', async () => {
    const path = 'db/migrations/0002_create_invoices.sql';
    await rm(join(repo, path));
    try {
      const { report } = await json(['--base', 'HEAD', '-C', repo]);
      const removed = report.findings.filter((f) => f.rule === 'removed-applied-migration');
      expect(removed).toEqual([expect.objectContaining({ file: path, line: 1, severity: 'warning' })]);
      expect(removed[0]!.message).toContain('Databases that already ran it keep what it did');
      // Production ran it: the invoices table it made is there for 0003, which is still reviewed.
      expect(report.migrations.map((m) => [m.file, m.status])).toEqual([
        ['db/migrations/0001_create_accounts.sql', 'applied'],
        [path, 'applied'],
        ['db/migrations/0003_invoice_total.sql', 'applied'],
      ]);
    } finally {
      git('checkout', '-q', '--', path);
    }
  }, 300_000); // real reviews (fix proofs included) on a machine that may be busy

  it('a change that only deletes an applied migration is not "nothing to review"', async () => {
    const path = 'db/migrations/0002_create_invoices.sql';
    const added = join(repo, 'db/migrations/0003_invoice_total.sql');
    const content = await readFile(added, 'utf8');
    await rm(added);
    await rm(join(repo, path));
    try {
      const { code, report } = await json(['--base', 'HEAD', '-C', repo]);
      expect(report.findings.map((f) => [f.rule, f.file])).toEqual([['removed-applied-migration', path]]);
      expect(report.conclusion).toBe('neutral');
      expect(code).toBe(0);
    } finally {
      git('checkout', '-q', '--', path);
      await writeFile(added, content);
    }
  }, 300_000); // real reviews (fix proofs included) on a machine that may be busy
});
