import { describe, expect, it } from 'vitest';
import { detectMigrations, loadMigrations } from '../../src/migrations/index.js';
import type { MigrationFile } from '../../src/types.js';
import { fixtureTree, memoryTree } from '../helpers/tree.js';

const brief = (m: MigrationFile) => ({
  path: m.path,
  convention: m.convention,
  version: m.version,
  name: m.name,
  kind: m.kind,
  inTransaction: m.inTransaction,
  down: m.down?.path,
});

describe('plain numbered directories', () => {
  it('orders by leading number, ignores seeds, dumps, queries, tests and stray SQL, and assumes autocommit', async () => {
    const tree = await fixtureTree('plain');
    const { migrations, notes } = await loadMigrations(tree);
    expect(migrations.map(brief)).toEqual([
      { path: 'db/migrations/1_init.sql', convention: 'plain', version: '1', name: 'init', kind: 'versioned', inTransaction: false, down: undefined },
      { path: 'db/migrations/2_users_email.sql', convention: 'plain', version: '2', name: 'users_email', kind: 'versioned', inTransaction: false, down: undefined },
      { path: 'db/migrations/10_orders.sql', convention: 'plain', version: '10', name: 'orders', kind: 'versioned', inTransaction: false, down: undefined },
    ]);
    expect(migrations[0]!.transactionReason).toMatch(/psql -f.*assume-in-transaction/s);
    expect(migrations[0]!.sql).toBe('CREATE TABLE users (id bigint PRIMARY KEY);\n');
    expect(migrations[0]!.lineOffset).toBe(0);
    expect(notes).toEqual([]);
  });

  it('honours a forced lexical order and assume-in-transaction', async () => {
    const tree = await fixtureTree('plain');
    const { migrations } = await loadMigrations(tree, { order: 'lexical', assumeInTransaction: true });
    // Byte order: '0' sorts before '_', so 10_orders.sql precedes 1_init.sql.
    expect(migrations.map((m) => m.version)).toEqual(['10', '1', '2']);
    expect(migrations.every((m) => m.inTransaction)).toBe(true);
    expect(migrations[0]!.transactionReason).toMatch(/^Config assume-in-transaction: true overrides the plain default/);
  });

  it('leaves a file with squawk\'s -- squawk-disable-assume-in-transaction in its own mode', async () => {
    const tree = memoryTree({
      'db/migrations/1_a.sql': 'CREATE TABLE a (id bigint);\n',
      'db/migrations/2_b.sql': '-- squawk-disable-assume-in-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n',
    });
    const { migrations } = await loadMigrations(tree, { assumeInTransaction: true });
    expect(migrations.map((m) => m.inTransaction)).toEqual([true, false]);
    expect(migrations[1]!.transactionReason).toMatch(/^-- squawk-disable-assume-in-transaction keeps the plain default/);
  });
});

describe('Prisma', () => {
  it('takes migration.sql of each folder in folder order; a multi-statement file is one implicit transaction', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('prisma'));
    expect(migrations.map(brief)).toEqual([
      { path: 'prisma/migrations/20240101000000_init/migration.sql', convention: 'prisma', version: '20240101000000', name: 'init', kind: 'versioned', inTransaction: true, down: undefined },
      { path: 'prisma/migrations/20240202000000_post_author_index/migration.sql', convention: 'prisma', version: '20240202000000', name: 'post_author_index', kind: 'versioned', inTransaction: false, down: undefined },
    ]);
    expect(migrations[0]!.transactionReason).toMatch(/one implicit transaction/);
    expect(migrations[1]!.transactionReason).toMatch(/single statement/);
  });
});

describe('diesel', () => {
  it('pairs up.sql with down.sql and honours run_in_transaction = false', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('diesel'));
    expect(migrations.map(brief)).toEqual([
      { path: 'migrations/00000000000000_diesel_initial_setup/up.sql', convention: 'diesel', version: '00000000000000', name: 'diesel_initial_setup', kind: 'versioned', inTransaction: true, down: 'migrations/00000000000000_diesel_initial_setup/down.sql' },
      { path: 'migrations/2024-01-01-120000_create_users/up.sql', convention: 'diesel', version: '20240101120000', name: 'create_users', kind: 'versioned', inTransaction: true, down: 'migrations/2024-01-01-120000_create_users/down.sql' },
      { path: 'migrations/2024-02-01-120000_users_name_index/up.sql', convention: 'diesel', version: '20240201120000', name: 'users_name_index', kind: 'versioned', inTransaction: false, down: 'migrations/2024-02-01-120000_users_name_index/down.sql' },
    ]);
    expect(migrations[2]!.transactionReason).toMatch(/run_in_transaction = false/);
    expect(migrations[1]!.down!.sql).toBe('DROP TABLE users;\n');
  });
});

describe('golang-migrate', () => {
  it('orders versions numerically, pairs downs, and runs multi-statement files as one implicit transaction', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('golang-migrate'));
    expect(migrations.map(brief)).toEqual([
      { path: 'db/migrations/1_init.up.sql', convention: 'golang-migrate', version: '1', name: 'init', kind: 'versioned', inTransaction: true, down: 'db/migrations/1_init.down.sql' },
      { path: 'db/migrations/2_events_account.up.sql', convention: 'golang-migrate', version: '2', name: 'events_account', kind: 'versioned', inTransaction: false, down: undefined },
      { path: 'db/migrations/10_accounts_name.up.sql', convention: 'golang-migrate', version: '10', name: 'accounts_name', kind: 'versioned', inTransaction: true, down: 'db/migrations/10_accounts_name.down.sql' },
    ]);
    expect(migrations[0]!.transactionReason).toBe(
      'golang-migrate sends the whole file as one multi-statement query, which Postgres runs as one implicit transaction (unless the database URL sets x-multi-statement=true, which runs statements one by one).',
    );
  });
});

describe('Flyway', () => {
  it('orders versions by numeric parts, repeatables after them by name, attaches undo files, skips callbacks', async () => {
    const tree = await fixtureTree('flyway');
    const { migrations, notes } = await loadMigrations(tree);
    const dir = 'src/main/resources/db/migration';
    expect(migrations.map((m) => [m.path.slice(dir.length + 1), m.version, m.kind, m.inTransaction, m.down?.path.slice(dir.length + 1)])).toEqual([
      ['V1__init.sql', '1', 'versioned', true, undefined],
      ['V1.2__two.sql', '1.2', 'versioned', true, 'U1_2__two.sql'],
      ['V1_9__nine.sql', '1.9', 'versioned', true, undefined],
      ['V1_10__ten.sql', '1.10', 'versioned', true, undefined],
      ['V2__sku_index.sql', '2', 'versioned', false, undefined],
      ['V3__opt_out.sql', '3', 'versioned', false, undefined],
      ['v4/V4__nested.sql', '4', 'versioned', true, undefined],
      ['R__a_functions.sql', '', 'repeatable', true, undefined],
      ['R__views.sql', '', 'repeatable', true, undefined],
    ]);
    expect(migrations[4]!.transactionReason).toMatch(/cannot run in a transaction \(here: CREATE INDEX CONCURRENTLY items_sku/);
    expect(migrations[5]!.transactionReason).toMatch(/executeInTransaction=false/);
    expect(notes).toEqual([`${dir}/U7__orphan.sql is a Flyway undo migration with no matching versioned migration; not applied.`]);
    const candidates = detectMigrations(tree.paths);
    expect(candidates.at(-1)).toMatchObject({ path: `${dir}/U7__orphan.sql`, kind: 'undo' });
    expect(candidates.some((c) => c.path.endsWith('afterMigrate.sql'))).toBe(false);
  });
});

describe('dbmate', () => {
  it('keeps only the up section, with the lines before it as lineOffset, and reads transaction:false', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('dbmate'));
    expect(migrations.map(brief)).toEqual([
      { path: 'db/migrations/20240101000000_create_users.sql', convention: 'dbmate', version: '20240101000000', name: 'create_users', kind: 'versioned', inTransaction: true, down: 'db/migrations/20240101000000_create_users.sql' },
      { path: 'db/migrations/20240102000000_users_index.sql', convention: 'dbmate', version: '20240102000000', name: 'users_index', kind: 'versioned', inTransaction: false, down: 'db/migrations/20240102000000_users_index.sql' },
    ]);
    const [first] = migrations;
    expect(first!.sql).toBe('CREATE TABLE users (\n  id bigint PRIMARY KEY\n);\n');
    expect(first!.lineOffset).toBe(1);
    expect(first!.down).toEqual({ path: first!.path, sql: 'DROP TABLE users;\n', lineOffset: 6 });
    expect(migrations[1]!.transactionReason).toMatch(/transaction:false/);
  });

  it('is announced by detectMigrations as plain files that need a content check', async () => {
    const candidates = detectMigrations((await fixtureTree('dbmate')).paths);
    expect(candidates.map((c) => [c.convention, c.needsContentCheck])).toEqual([
      ['plain', true],
      ['plain', true],
    ]);
    const forced = detectMigrations((await fixtureTree('dbmate')).paths, { convention: 'dbmate' });
    expect(forced.map((c) => [c.convention, c.needsContentCheck])).toEqual([
      ['dbmate', undefined],
      ['dbmate', undefined],
    ]);
  });
});

describe('Supabase', () => {
  it('takes supabase/migrations in timestamp order, one transaction per file, without seed.sql', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('supabase'));
    expect(migrations.map(brief)).toEqual([
      { path: 'supabase/migrations/20240101000000_profiles.sql', convention: 'supabase', version: '20240101000000', name: 'profiles', kind: 'versioned', inTransaction: true, down: undefined },
      { path: 'supabase/migrations/20240301000000_profiles_rls.sql', convention: 'supabase', version: '20240301000000', name: 'profiles_rls', kind: 'versioned', inTransaction: true, down: undefined },
    ]);
  });
});

describe('sqlx', () => {
  it('recognises a migrations directory next to Cargo.toml and the -- no-transaction opt-out', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('sqlx'));
    expect(migrations.map(brief)).toEqual([
      { path: 'migrations/20240101000000_init.sql', convention: 'sqlx', version: '20240101000000', name: 'init', kind: 'versioned', inTransaction: true, down: undefined },
      { path: 'migrations/20240102000000_notes_body.sql', convention: 'sqlx', version: '20240102000000', name: 'notes_body', kind: 'versioned', inTransaction: false, down: undefined },
    ]);
    expect(migrations[1]!.transactionReason).toMatch(/-- no-transaction/);
  });

  it('pairs reversible .up.sql/.down.sql files', async () => {
    const { migrations } = await loadMigrations(await fixtureTree('sqlx-reversible'));
    expect(migrations.map(brief)).toEqual([
      { path: 'migrations/20240101000000_init.up.sql', convention: 'sqlx', version: '20240101000000', name: 'init', kind: 'versioned', inTransaction: true, down: 'migrations/20240101000000_init.down.sql' },
      { path: 'migrations/20240105000000_tags.up.sql', convention: 'sqlx', version: '20240105000000', name: 'tags', kind: 'versioned', inTransaction: true, down: 'migrations/20240105000000_tags.down.sql' },
    ]);
  });
});

describe('sqitch', () => {
  it('follows sqitch.plan, including a reworked change, and notes unlisted and missing scripts', async () => {
    const { migrations, notes } = await loadMigrations(await fixtureTree('sqitch'));
    expect(migrations.map(brief)).toEqual([
      { path: 'deploy/appschema.sql', convention: 'sqitch', version: '1', name: 'appschema', kind: 'versioned', inTransaction: false, down: 'revert/appschema.sql' },
      { path: 'deploy/users@v1.0.sql', convention: 'sqitch', version: '2', name: 'users', kind: 'versioned', inTransaction: false, down: 'revert/users@v1.0.sql' },
      { path: 'deploy/users.sql', convention: 'sqitch', version: '3', name: 'users', kind: 'versioned', inTransaction: false, down: 'revert/users.sql' },
    ]);
    expect(notes).toEqual([
      'sqitch change "missing" in sqitch.plan has no deploy/missing.sql; skipped.',
      'deploy/unlisted.sql is not listed in sqitch.plan; sqitch does not deploy it.',
    ]);
    expect(migrations[0]!.transactionReason).toMatch(/psql/);
  });
});
