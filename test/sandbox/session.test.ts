// Each file runs in a fresh session, as its migration tool runs it: database- and role-level settings
// (which PGlite never applies by itself) are in effect, and what one file did to its own session (SET,
// SET ROLE, temp tables) is gone in the next. A restored snapshot comes back with the same settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type PreparedMigration, type Sandbox } from '../../src/sandbox/index.js';
import { databaseSettingsSql, startSessionSql } from '../../src/sandbox/session.js';

function file(name: string, texts: string[], inTransaction = true): PreparedMigration {
  return { file: name, inTransaction, statements: texts.map((text, index) => ({ index, text, line: index + 1, endLine: index + 1 })) };
}

const SEARCH_PATH_SETUP = "CREATE SCHEMA app;\nDO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app, public', current_database()); END $$;";

describe('sessions', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048 });
    await sandbox.runSetup('setup', SEARCH_PATH_SETUP);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('replays each history file with the database-level search_path the setup stored', async () => {
    const runs = await sandbox.replay([
      file('001.sql', ['CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL)']),
      file('002.sql', ['ALTER TABLE orders ADD COLUMN note text']),
    ]);
    expect(runs.map((r) => r.status.status)).toEqual(['applied', 'applied']);
    const where = await sandbox.query<{ schema: string }>("SELECT relnamespace::regnamespace::text AS schema FROM pg_class WHERE relname = 'orders'");
    expect(where.rows).toEqual([{ schema: 'app' }]);
  });

  it("a file's own SET search_path, SET ROLE and temp table do not reach the next file", async () => {
    const leaky = await sandbox.apply(
      file(
        '003.sql',
        [
          'CREATE ROLE reader NOLOGIN',
          'SET search_path = public',
          'CREATE TEMP TABLE orders (id int)',
          'SET ROLE reader',
        ],
        false,
      ),
      { trace: false },
    );
    expect(leaky.status.status).toBe('applied');
    const next = await sandbox.apply(file('004.sql', ['ALTER TABLE orders ADD COLUMN shipped boolean']), { trace: true });
    expect(next.status).toMatchObject({ status: 'applied' });
    const columns = await sandbox.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'orders' AND column_name = 'shipped'",
    );
    expect(columns.rows).toEqual([{ n: 1 }]);
    // The traced statement saw the real table: it took its lock on app.orders.
    expect(next.outcomes[0]?.observation?.locks.map((l) => l.relation)).toContain('app.orders');
  });

  it('a migration that stores ALTER DATABASE … SET changes the sessions of the files after it', async () => {
    await sandbox.apply(file('005.sql', ["DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = ''3s''', current_database()); END $$"]), {
      trace: false,
    });
    const run = await sandbox.apply(file('006.sql', ['CREATE TABLE lock_probe AS SELECT current_setting(\'lock_timeout\') AS v']), { trace: false });
    expect(run.status.status).toBe('applied');
    expect((await sandbox.query('SELECT v FROM lock_probe')).rows).toEqual([{ v: '3s' }]);
  });

  it('a role-level setting of the session user overrides the database-level one', async () => {
    await sandbox.exec("ALTER ROLE CURRENT_USER SET lock_timeout = '7s'");
    await sandbox.startSession();
    expect((await sandbox.query('SHOW lock_timeout')).rows).toEqual([{ lock_timeout: '7s' }]);
    await sandbox.exec('ALTER ROLE CURRENT_USER RESET lock_timeout');
    await sandbox.startSession();
    expect((await sandbox.query('SHOW lock_timeout')).rows).toEqual([{ lock_timeout: '3s' }]);
  });

  it('a stored setting the server rejects is skipped and the others apply, as a connection only warns about it', async () => {
    // ALTER DATABASE validates the value; a catalog edited by hand (or an extension's placeholder) need not be valid.
    await sandbox.exec(
      "UPDATE pg_db_role_setting SET setconfig = array_prepend('work_mem=banana', setconfig) WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0",
    );
    await sandbox.startSession();
    expect((await sandbox.query('SHOW search_path')).rows).toEqual([{ search_path: 'app, public' }]);
    await sandbox.exec(
      "UPDATE pg_db_role_setting SET setconfig = array_remove(setconfig, 'work_mem=banana') WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
  });

  it("the engine's pinned settings stay as the session has them", async () => {
    await sandbox.exec("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = ''3s''', current_database()); END $$");
    await sandbox.exec('DISCARD ALL');
    const fresh = (await sandbox.query<{ search_path: string }>('SHOW search_path')).rows[0]!.search_path;
    await sandbox.exec(startSessionSql(['search_path']));
    expect((await sandbox.query('SHOW search_path')).rows).toEqual([{ search_path: fresh }]);
    await sandbox.exec(databaseSettingsSql(['search_path']));
    expect((await sandbox.query('SHOW search_path')).rows).toEqual([{ search_path: fresh }]);
    expect((await sandbox.query('SHOW lock_timeout')).rows).toEqual([{ lock_timeout: '3s' }]);
  });

  it('a snapshot restores into a session with the same settings', async () => {
    const tarball = await sandbox.snapshot();
    const restored = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048, tarball });
    try {
      const run = await restored.apply(file('007.sql', ['ALTER TABLE orders ADD COLUMN restored boolean']), { trace: false });
      expect(run.status.status).toBe('applied');
      await restored.startSession();
      expect((await restored.query('SHOW search_path')).rows).toEqual([{ search_path: 'app, public' }]);
    } finally {
      await restored.close();
    }
  });

  it('a DO block that commits: fails in a file its tool wraps in a transaction, runs in an autocommit one, on the fast path too', async () => {
    const block = "DO $$ BEGIN CREATE TABLE do_commit_a (id int); COMMIT; END $$";
    const [wrapped, autocommit] = await sandbox.replay([file('008.sql', [block], true), file('009.sql', [block.replace('do_commit_a', 'do_commit_b')], false)]);
    expect(wrapped?.status).toMatchObject({ status: 'failed', error: { sqlstate: '2D000' } });
    expect(autocommit?.status.status).toBe('applied');
    expect((await sandbox.query("SELECT to_regclass('do_commit_a')::text AS a, to_regclass('do_commit_b')::text AS b")).rows).toEqual([{ a: null, b: 'do_commit_b' }]);
  });
});

describe('an extension the sandbox lacks', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048, extensions: ['postgis'] });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('costs its CREATE EXTENSION and the statements needing it; the rest of that file and later files apply', async () => {
    const runs = await sandbox.replay([
      file('001.sql', ['CREATE EXTENSION IF NOT EXISTS postgis', 'CREATE TABLE places (id int PRIMARY KEY, at geometry(Point, 4326))', 'CREATE TABLE visits (id int PRIMARY KEY)']),
      file('002.sql', ['ALTER TABLE visits ADD COLUMN note text']),
    ]);
    expect(runs.map((r) => r.status.status)).toEqual(['applied', 'applied']);
    expect(runs[0]?.missingExtension).toBe('postgis');
    expect(runs[0]?.outcomes.map((o) => o.status)).toEqual(['not-run', 'not-run', 'ok']);
    expect(runs[0]?.extensionGaps).toEqual([{ line: 2, extension: 'postgis', message: 'type "geometry" does not exist' }]);
    const applied = await sandbox.apply(file('003.sql', ["SELECT ST_MakePoint(1, 2)", 'CREATE INDEX visits_note ON visits (note)']), { trace: true });
    expect(applied.status.status).toBe('applied');
    expect(applied.outcomes.map((o) => o.status)).toEqual(['not-run', 'ok']);
    expect(applied.extensionGaps?.[0]).toMatchObject({ line: 1, extension: 'postgis' });
    // A genuinely missing table is still the migration's error.
    const missing = await sandbox.apply(file('004.sql', ['ALTER TABLE nowhere ADD COLUMN x int']), { trace: false });
    expect(missing.status).toMatchObject({ status: 'failed', error: { sqlstate: '42P01' } });
  });
});
