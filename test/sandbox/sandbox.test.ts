import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, SandboxSetupError, type PreparedMigration, type Sandbox } from '../../src/sandbox/index.js';
import { gunzipSync } from 'node:zlib';
import { isGzip, unpackedBytes } from '../../src/sandbox/cluster.js';

/** A migration from `;`-free statements, one per line group, lines counted as in the file. */
function migration(file: string, inTransaction: boolean, texts: (string | { text: string; copyData: string })[]): PreparedMigration {
  let line = 1;
  const statements = texts.map((entry, index) => {
    const text = typeof entry === 'string' ? entry : entry.text;
    const lines = text.split('\n').length;
    const statement = { index, text, line, endLine: line + lines - 1, ...(typeof entry === 'string' ? {} : { copyData: entry.copyData }) };
    line += lines + (typeof entry === 'string' ? 0 : entry.copyData.split('\n').length);
    return statement;
  });
  return { file, inTransaction, statements };
}

describe('sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048, extensions: ['pgcrypto', 'uuid-ossp', 'postgis'] });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('names its engine and bounds temp files at the server level', async () => {
    expect(sandbox.engine.name).toBe('pglite');
    expect(sandbox.engine.version).toMatch(/PostgreSQL 1\d\./);
    await sandbox.exec('SET temp_file_limit = -1; RESET ALL;');
    expect((await sandbox.query('SHOW temp_file_limit')).rows).toEqual([{ temp_file_limit: '1GB' }]);
  });

  it('runs setup SQL and names the setup when it fails', async () => {
    await sandbox.runSetup('roles', 'CREATE ROLE app_user NOLOGIN; CREATE SCHEMA app;');
    const roles = await sandbox.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'app_user'");
    expect(roles.rows[0]?.n).toBe(1);
    const failure = await sandbox.runSetup('supabase', 'SELECT 1;\nCREATE TABLE x (id nosuchtype);').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SandboxSetupError);
    expect((failure as SandboxSetupError).message).toMatch(/setup "supabase" failed at line 2: type "nosuchtype" does not exist/);
  });

  it('rolls a failed in-transaction file back and marks the rest not-run', async () => {
    const run = await sandbox.apply(
      migration('db/001.sql', true, ['CREATE TABLE tx_a (id int PRIMARY KEY)', 'INSERT INTO tx_a VALUES (1), (1)', 'CREATE TABLE tx_b (id int)']),
      { trace: false },
    );
    expect(run.status).toMatchObject({ file: 'db/001.sql', status: 'failed', statements: 3, error: { line: 2, sqlstate: '23505' } });
    expect(run.outcomes.map((o) => o.status)).toEqual(['ok', 'error', 'not-run']);
    expect(run.outcomes[1]?.error?.detail).toMatch(/already exists/);
    const left = await sandbox.query("SELECT to_regclass('tx_a') AS a");
    expect(left.rows[0]).toEqual({ a: null });
  });

  it('autocommits each statement of a file outside a transaction', async () => {
    const run = await sandbox.apply(migration('db/002.sql', false, ['CREATE TABLE ac_a (id int)', 'SELECT 1/0', 'CREATE TABLE ac_b (id int)']), {
      trace: false,
    });
    expect(run.outcomes.map((o) => o.status)).toEqual(['ok', 'error', 'not-run']);
    expect(run.status.error).toMatchObject({ sqlstate: '22012', line: 2 });
    const left = await sandbox.query("SELECT to_regclass('ac_a')::text AS a, to_regclass('ac_b')::text AS b");
    expect(left.rows[0]).toEqual({ a: 'ac_a', b: null });
  });

  it('fails CREATE INDEX CONCURRENTLY inside a transaction file as Postgres does, and runs it in autocommit', async () => {
    await sandbox.exec('CREATE TABLE cic (id int)');
    const inTx = await sandbox.apply(migration('db/003.sql', true, ['CREATE INDEX CONCURRENTLY cic_id ON cic (id)']), { trace: false });
    expect(inTx.status.error).toMatchObject({ sqlstate: '25001' });
    const outside = await sandbox.apply(migration('db/004.sql', false, ['CREATE INDEX CONCURRENTLY cic_id ON cic (id)', 'VACUUM cic']), {
      trace: false,
    });
    expect(outside.status.status).toBe('applied');
  });

  it("respects a file's own BEGIN/COMMIT instead of wrapping it again", async () => {
    const run = await sandbox.apply(
      migration('db/005.sql', true, ['BEGIN', 'CREATE TABLE own_a (id int)', 'COMMIT', 'CREATE INDEX CONCURRENTLY own_a_id ON own_a (id)']),
      { trace: false },
    );
    expect(run.status.status).toBe('applied');
    const rows = await sandbox.query("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'own_a_id'::regclass");
    expect(rows.rows).toEqual([{ valid: true }]);
  });

  it('maps a syntax error position to the exact line inside the statement', async () => {
    const run = await sandbox.apply(migration('db/006.sql', true, ['SELECT 1', 'CREATE TABLE syn (\n  id int,\n  name txet\n)']), {
      trace: false,
    });
    expect(run.status.error).toMatchObject({ line: 4, sqlstate: '42704' });
    expect(run.outcomes[1]?.error?.message).toMatch(/type "txet" does not exist/);
  });

  it('loads COPY FROM stdin data', async () => {
    const run = await sandbox.apply(
      migration('db/007.sql', true, ['CREATE TABLE copied (id int, name text)', { text: 'COPY copied (id, name) FROM stdin', copyData: '1\tone\n2\ttwo\n\\.\n' }]),
      { trace: false },
    );
    expect(run.status.status).toBe('applied');
    const rows = await sandbox.query('SELECT id, name FROM copied ORDER BY id');
    expect(rows.rows).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
  });

  it('loads requested extensions and reports an unavailable one as missing, not as an error', async () => {
    const run = await sandbox.apply(
      migration('db/008.sql', false, [
        'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"',
        'CREATE EXTENSION pgcrypto',
        'CREATE EXTENSION postgis',
        'CREATE TABLE ext_t (id uuid DEFAULT uuid_generate_v4(), h text DEFAULT encode(digest(\'x\', \'sha256\'), \'hex\'))',
      ]),
      { trace: false },
    );
    expect(run.missingExtension).toBe('postgis');
    expect(run.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'not-run', 'ok']);
    expect(run.outcomes[2]?.error?.message).toMatch(/"postgis" is not available/);
    expect(run.status.status).toBe('applied');
  });

  it('survives parameters that are not SQL values', async () => {
    await expect(sandbox.query('SELECT $1::text AS x', [() => 1])).rejects.toThrow(/cannot be sent/);
    await expect(sandbox.query('SELECT $1::int AS x', ['nope'])).rejects.toMatchObject({ sqlstate: '22P02' });
    expect((await sandbox.query('SELECT $1::int AS x', [7])).rows).toEqual([{ x: 7 }]);
    expect(sandbox.stopped).toBeUndefined();
  });

  it('reads host files only as a normal error', async () => {
    const run = await sandbox.apply(migration('db/009.sql', false, ["SELECT pg_read_file('/etc/passwd')"]), { trace: false });
    expect(run.status.error?.sqlstate).toBe('58P01');
    expect((await sandbox.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('traces statements on pre-existing tables', async () => {
    await sandbox.exec('CREATE TABLE traced (id int); INSERT INTO traced SELECT generate_series(1, 100);');
    const run = await sandbox.apply(
      migration('db/010.sql', false, ['ALTER TABLE traced ALTER COLUMN id TYPE bigint', 'ALTER TABLE traced ADD COLUMN note text']),
      { trace: true },
    );
    expect(run.status.status).toBe('applied');
    const [rewrite, add] = run.outcomes.map((o) => o.observation);
    expect(rewrite?.inTransaction).toBe(false);
    expect(rewrite?.rewrites).toContain('public.traced');
    expect(rewrite?.locks).toContainEqual(expect.objectContaining({ mode: 'AccessExclusiveLock' }));
    expect(add?.rewrites).toEqual([]);
  });

  it('replays a history on the fast path and finds the failing line by re-running the file', async () => {
    const progress: number[] = [];
    const runs = await sandbox.replay(
      [
        migration('h/001.sql', true, ['CREATE TABLE h1 (id int PRIMARY KEY)', '-- trailing comment\nINSERT INTO h1 VALUES (1) -- one']),
        migration('h/002.sql', false, ['CREATE TABLE h2 (id int)', 'CREATE INDEX CONCURRENTLY h2_id ON h2 (id)']),
        migration('h/003.sql', false, ['CREATE TABLE h3 (id int)', 'INSERT INTO h1 VALUES (1)', 'CREATE TABLE h3b (id int)']),
        migration('h/004.sql', true, ['CREATE TABLE h4 (id int)', 'SELECT 1', 'SELECT * FROM h4_missing']),
      ],
      (done, total) => progress.push(done / total),
    );
    expect(progress).toEqual([1 / 4, 2 / 4, 3 / 4, 1]);
    expect(runs.map((r) => r.status.status)).toEqual(['applied', 'applied', 'failed', 'failed']);
    expect(runs[3]?.status.error).toMatchObject({ line: 3, sqlstate: '42P01' });
    expect(runs[3]?.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'error']);
    expect((await sandbox.query("SELECT to_regclass('h4') AS t")).rows).toEqual([{ t: null }]);
    expect(runs[2]?.status.error).toMatchObject({ line: 2, sqlstate: '23505' });
    // autocommit file: the statement before the failure stays, as its tool would leave it
    const left = await sandbox.query("SELECT to_regclass('h3')::text AS a, to_regclass('h3b')::text AS b, (SELECT count(*)::int FROM h1) AS n");
    expect(left.rows[0]).toEqual({ a: 'h3', b: null, n: 1 });
  });

  it('describes the catalog of user schemas', async () => {
    await sandbox.exec(`
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE TABLE cat_parent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, m mood NOT NULL DEFAULT 'ok');
      CREATE TABLE cat_child (id int, parent_id bigint);
      ALTER TABLE cat_child ADD CONSTRAINT cat_child_parent_fk FOREIGN KEY (parent_id) REFERENCES cat_parent (id) NOT VALID;
      CREATE INDEX cat_child_parent ON cat_child (parent_id);
      INSERT INTO cat_child SELECT g, NULL FROM generate_series(1, 5) g;
      CREATE FUNCTION cat_now() RETURNS timestamptz LANGUAGE sql STABLE AS 'SELECT now()';`);
    const catalog = await sandbox.catalog();
    expect(catalog.tables.every((t) => t.schema !== 'pg_catalog' && t.schema !== 'information_schema')).toBe(true);
    const child = catalog.tables.find((t) => t.name === 'cat_child');
    expect(child?.estimatedRows).toBe(5);
    expect(child?.columns).toEqual([
      { name: 'id', type: 'integer', notNull: false },
      { name: 'parent_id', type: 'bigint', notNull: false },
    ]);
    expect(child?.indexes).toEqual([
      expect.objectContaining({ name: 'cat_child_parent', columns: ['parent_id'], valid: true, unique: false }),
    ]);
    expect(child?.constraints).toContainEqual(
      expect.objectContaining({ name: 'cat_child_parent_fk', type: 'f', validated: false, columns: ['parent_id'], references: 'public.cat_parent' }),
    );
    const parent = catalog.tables.find((t) => t.name === 'cat_parent');
    expect(parent?.columns[1]).toEqual({ name: 'm', type: 'mood', notNull: true, default: "'ok'::mood" });
    expect(catalog.functions).toContainEqual({ schema: 'public', name: 'cat_now', volatility: 's' });
    expect(catalog.enums).toContainEqual({ schema: 'public', name: 'mood', values: ['sad', 'ok', 'happy'] });
    expect(catalog.extensions).toEqual(expect.arrayContaining(['pgcrypto', 'uuid-ossp']));
  });

  it('snapshots and starts a new sandbox from the snapshot', async () => {
    const tarball = await sandbox.snapshot();
    expect(isGzip(tarball)).toBe(true); // stored compressed, restored from either form
    const restored = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048, extensions: ['pgcrypto', 'uuid-ossp'], tarball });
    try {
      const rows = await restored.query('SELECT count(*)::int AS n FROM copied');
      expect(rows.rows).toEqual([{ n: 2 }]);
      const uuid = await restored.query<{ u: string }>('SELECT uuid_generate_v4()::text AS u');
      expect(uuid.rows[0]?.u).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await restored.close();
    }
  });

  it("keeps a snapshot for a restore in this process a plain tar, and restores it like a stored one", async () => {
    const plain = await sandbox.snapshot('restore');
    expect(isGzip(plain)).toBe(false);
    const restored = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048, extensions: ['pgcrypto', 'uuid-ossp'], tarball: plain });
    try {
      expect((await restored.query('SELECT count(*)::int AS n FROM copied')).rows).toEqual([{ n: 2 }]);
      await restored.exec('CREATE TABLE gone (id int)');
      await restored.restore!(plain);
      expect((await restored.query("SELECT to_regclass('gone') IS NULL AS gone")).rows).toEqual([{ gone: true }]);
    } finally {
      await restored.close();
    }
  });

  it('names the snapshot it started or was restored from while nothing changed its state, and none after', async () => {
    const plain = await sandbox.snapshot('restore');
    const options = { statementTimeoutMs: 20_000, memoryMb: 2048, extensions: ['pgcrypto', 'uuid-ossp'] };
    const fresh = await createSandbox(options);
    const restored = await createSandbox({ ...options, tarball: plain });
    try {
      // Reads change nothing: the state is still the one it started from.
      await restored.startSession();
      await restored.catalog();
      await restored.query('SELECT count(*)::int AS n FROM copied');
      expect(await restored.unchangedSince!()).toBe(plain);
      // A change Postgres logs, made through a query, is seen.
      await restored.query("INSERT INTO copied SELECT * FROM copied");
      expect(await restored.unchangedSince!()).toBeUndefined();
      // Restored: the snapshot it was restored from, until SQL not pgpro's own runs, whatever it logs.
      await restored.restore!(plain);
      expect(await restored.unchangedSince!()).toBe(plain);
      await restored.exec("ALTER SYSTEM SET work_mem = '8MB'");
      expect(await restored.unchangedSince!()).toBeUndefined();
      await restored.restore!(plain);
      await restored.runSetup('nothing', 'SELECT 1');
      expect(await restored.unchangedSince!()).toBeUndefined();
      await restored.restore!(plain);
      await restored.apply(migration('a.sql', true, ['SELECT 1']), { trace: false });
      expect(await restored.unchangedSince!()).toBeUndefined();
      // A sandbox started without a snapshot started from the fresh cluster: that one is named.
      const origin = await fresh.unchangedSince!();
      expect(origin && isGzip(origin)).toBe(true);
      expect(unpackedBytes(origin!)).toBe(gunzipSync(origin!).byteLength);
      expect(unpackedBytes(plain)).toBe(plain.byteLength);
      const again = await createSandbox({ ...options, tarball: origin! });
      try {
        expect((await again.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace")).rows).toEqual([{ n: 0 }]);
      } finally {
        await again.close();
      }
    } finally {
      await Promise.all([fresh.close(), restored.close()]);
    }
  });

  it('shares a plain snapshot with the sandboxes started from it, which never write into it', async () => {
    const plain = await sandbox.snapshot('restore');
    expect(plain.buffer).toBeInstanceOf(SharedArrayBuffer);
    const before = Buffer.from(plain).toString('base64');
    const options = { statementTimeoutMs: 20_000, memoryMb: 2048, extensions: ['pgcrypto', 'uuid-ossp'] };
    const [one, two] = await Promise.all([createSandbox({ ...options, tarball: plain }), createSandbox({ ...options, tarball: plain })]);
    try {
      await one.exec("INSERT INTO copied SELECT * FROM copied; UPDATE copied SET name = 'changed in one'; CHECKPOINT");
      expect((await two.query('SELECT count(*)::int AS n FROM copied')).rows).toEqual([{ n: 2 }]);
      expect((await two.query("SELECT count(*)::int AS n FROM copied WHERE name = 'changed in one'")).rows).toEqual([{ n: 0 }]);
      await one.restore!(plain);
      expect((await one.query('SELECT count(*)::int AS n FROM copied')).rows).toEqual([{ n: 2 }]);
      expect(Buffer.from(plain).toString('base64')).toBe(before);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});
