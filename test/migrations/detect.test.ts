import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectMigrations, loadMigrations } from '../../src/migrations/index.js';
import { directoryTree } from '../../src/migrations/tree.js';
import { memoryTree } from '../helpers/tree.js';

const paths = (list: { path: string }[]) => list.map((c) => c.path);

describe('detectMigrations heuristics', () => {
  it('leaves out vendored, test, seed, dump and query SQL', () => {
    const found = detectMigrations([
      'db/migrations/001_init.sql',
      'db/migrations/seed.sql',
      'db/migrations/schema.sql',
      'db/migrations/002_seed_roles.sql',
      'node_modules/lib/migrations/001_x.sql',
      'vendor/github.com/x/migrations/1_a.up.sql',
      'tests/migrations/001_t.sql',
      'spec/fixtures/prisma/migrations/1_a/migration.sql',
      'db/queries/001_get.sql',
      'db/queries/002_list.sql',
      'seeds/001_users.sql',
      'sql/report.sql',
    ]);
    expect(paths(found)).toEqual(['db/migrations/001_init.sql', 'db/migrations/002_seed_roles.sql']);
  });

  it('treats a directory of numbered files as migrations even without "migrat" in its name', () => {
    expect(paths(detectMigrations(['sql/01_tables.sql', 'sql/02_views.sql']))).toEqual(['sql/01_tables.sql', 'sql/02_views.sql']);
    expect(detectMigrations(['sql/01_tables.sql', 'sql/views.sql'])).toEqual([]);
    expect(detectMigrations(['sql/01_tables.sql'])).toEqual([]);
  });

  it('orders a plain directory lexically when some files have no number, numerically when forced', () => {
    const files = ['migrations/b_second.sql', 'migrations/10_ten.sql', 'migrations/a_first.sql', 'migrations/9_nine.sql'];
    expect(paths(detectMigrations(files))).toEqual(['migrations/10_ten.sql', 'migrations/9_nine.sql', 'migrations/a_first.sql', 'migrations/b_second.sql']);
    expect(paths(detectMigrations(files, { order: 'numeric' }))).toEqual(['migrations/9_nine.sql', 'migrations/10_ten.sql', 'migrations/a_first.sql', 'migrations/b_second.sql']);
  });

  it('compares long timestamps without losing precision', () => {
    const files = ['migrations/20240101000000000001_b.sql', 'migrations/20240101000000000000_a.sql', 'migrations/3_c.sql'];
    expect(paths(detectMigrations(files))).toEqual(['migrations/3_c.sql', 'migrations/20240101000000000000_a.sql', 'migrations/20240101000000000001_b.sql']);
  });

  it('keeps several migration directories as sequences in directory path order', async () => {
    const tree = memoryTree({
      'services/b/migrations/1_b.sql': 'SELECT 1;',
      'services/a/prisma/migrations/20240101_a/migration.sql': 'SELECT 1;',
      'services/a/prisma/migrations/20230101_z/migration.sql': 'SELECT 1;',
    });
    const { migrations, notes } = await loadMigrations(tree);
    expect(paths(migrations)).toEqual([
      'services/a/prisma/migrations/20230101_z/migration.sql',
      'services/a/prisma/migrations/20240101_a/migration.sql',
      'services/b/migrations/1_b.sql',
    ]);
    expect(notes).toEqual([
      'Found 2 migration directories: services/a/prisma/migrations (prisma), services/b/migrations (plain). Each is applied as its own sequence, one after the other in path order; set migrations.paths in .github/pgpro.yml to choose.',
    ]);
  });

  it('uses configured globs and directories instead of the heuristics', () => {
    const all = ['db/changes/a.sql', 'db/changes/b.sql', 'tests/sql/001_x.sql', 'migrations/1_init.sql'];
    expect(paths(detectMigrations(all, { globs: ['db/changes'] }))).toEqual(['db/changes/a.sql', 'db/changes/b.sql']);
    expect(paths(detectMigrations(all, { globs: ['tests/**/*.sql'] }))).toEqual(['tests/sql/001_x.sql']);
    expect(paths(detectMigrations(all, { globs: ['./db/changes/', 'migrations/*.sql'] }))).toEqual([
      'db/changes/a.sql',
      'db/changes/b.sql',
      'migrations/1_init.sql',
    ]);
  });

  it('a forced convention keeps only files that fit it', () => {
    const all = ['prisma/migrations/1_a/migration.sql', 'db/migrations/1_init.up.sql', 'db/migrations/1_init.down.sql', 'supabase/migrations/2024_x.sql'];
    expect(detectMigrations(all, { convention: 'prisma' }).map((c) => c.convention)).toEqual(['prisma']);
    expect(detectMigrations(all, { convention: 'sqlx' }).map((c) => [c.path, c.convention, c.downPath])).toEqual([
      ['db/migrations/1_init.up.sql', 'sqlx', 'db/migrations/1_init.down.sql'],
      ['supabase/migrations/2024_x.sql', 'sqlx', undefined],
    ]);
    expect(detectMigrations(all, { convention: 'auto' }).map((c) => c.convention)).toEqual(['golang-migrate', 'prisma', 'supabase']);
  });
});

describe('loadMigrations skips files it cannot use', () => {
  it('names binary, non-UTF-8, oversize and unreadable files in notes and keeps the rest', async () => {
    const tree = memoryTree({
      'migrations/1_ok.sql': 'SELECT 1;',
      'migrations/2_binary.sql': 'SELECT\u0000',
      'migrations/3_latin1.sql': 'SELECT \ufffd;',
      'migrations/4_big.sql': `SELECT '${'x'.repeat(200)}';`,
    });
    const broken = { ...tree, paths: [...tree.paths, 'migrations/5_gone.sql'] };
    const { migrations, notes } = await loadMigrations(broken, { maxFileBytes: 100 });
    expect(paths(migrations)).toEqual(['migrations/1_ok.sql']);
    expect(notes).toEqual([
      'migrations/2_binary.sql is not UTF-8 text; skipped.',
      'migrations/3_latin1.sql is not UTF-8 text; skipped.',
      'migrations/4_big.sql is 210 bytes, over the 100-byte limit (limits.max-file-bytes); skipped.',
      'migrations/5_gone.sql could not be read; skipped.',
    ]);
  });
});

describe('directoryTree', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pgpro-tree-'));
    await mkdir(join(root, 'db', 'migrations'), { recursive: true });
    await mkdir(join(root, 'node_modules', 'x'), { recursive: true });
    await mkdir(join(root, '.git'), { recursive: true });
    await writeFile(join(root, 'db', 'migrations', '1_init.sql'), '\ufeffSELECT 1; -- café');
    await writeFile(join(root, 'db', 'migrations', '2_latin1.sql'), Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0xe9]));
    await writeFile(join(root, 'node_modules', 'x', 'a.sql'), 'SELECT 1;');
    await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists files recursively as POSIX paths, skipping node_modules and .git, and decodes UTF-8 without BOM', async () => {
    const tree = await directoryTree(root);
    expect(tree.paths).toEqual(['db/migrations/1_init.sql', 'db/migrations/2_latin1.sql']);
    expect(await tree.read('db/migrations/1_init.sql')).toBe('SELECT 1; -- café');
    expect(await tree.read('node_modules/x/a.sql')).toBeUndefined();
    const { migrations, notes } = await loadMigrations(tree);
    expect(paths(migrations)).toEqual(['db/migrations/1_init.sql']);
    expect(notes).toEqual(['db/migrations/2_latin1.sql is not UTF-8 text; skipped.']);
  });
});

describe('content checks', () => {
  it('a plain file with dbmate markers is dbmate, unless plain is forced', async () => {
    const tree = memoryTree({ 'db/migrations/1_a.sql': '-- migrate:up\r\nSELECT 1;\r\n-- migrate:down\r\nSELECT 2;\r\n' });
    const auto = await loadMigrations(tree);
    expect(auto.migrations.map((m) => [m.convention, m.sql, m.lineOffset, m.down?.lineOffset])).toEqual([['dbmate', 'SELECT 1;\r', 1, 3]]);
    const forced = await loadMigrations(tree, { convention: 'plain' });
    expect(forced.migrations.map((m) => [m.convention, m.lineOffset, m.inTransaction])).toEqual([['plain', 0, false]]);
  });
});
