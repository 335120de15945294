import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedMigration, PreparedStatement } from '../../src/sandbox/sandbox.js';
import type { StatementObservation } from '../../src/types.js';
import {
  createPostgresSandbox,
  PostgresSandboxError,
  SnapshotNotSupportedError,
  sweepStaleSandboxes,
  type PostgresSandbox,
} from '../../src/sandbox/postgres/index.js';
import { runsAsSandboxRole } from '../../src/sandbox/postgres/admin.js';
import { serverAdmin, SERVER_URL, urlAs } from '../helpers/postgres-server.js';

const url = SERVER_URL;
const options = { url, statementTimeoutMs: 5000, memoryMb: 256, sweepOlderThanMs: false as const };

const admin = serverAdmin();

async function databaseExists(name: string): Promise<boolean> {
  const { rows } = await admin.query('select 1 from pg_database where datname = $1', [name]);
  return rows.length > 0;
}

/** Statements of a file, one per entry, each starting on the line after the previous one ends. */
function file(name: string, texts: string[], inTransaction = true): PreparedMigration {
  let line = 1;
  const statements: PreparedStatement[] = texts.map((text, index) => {
    const endLine = line + (text.match(/\n/g)?.length ?? 0);
    const statement = { index, text, line, endLine };
    line = endLine + 1;
    return statement;
  });
  return { file: name, inTransaction, statements };
}

describe('postgres sandbox: replay, apply, trace', () => {
  let sandbox: PostgresSandbox;
  beforeAll(async () => {
    sandbox = await createPostgresSandbox(options);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('reports the server as its engine and works in a pgpro_sbx_ database', async () => {
    expect(sandbox.engine.name).toBe('postgres');
    expect(sandbox.engine.version).toMatch(/^\d+\.\d+/);
    expect(sandbox.database).toMatch(/^pgpro_sbx_\d{14}_[0-9a-f]{8}$/);
    const { rows } = await sandbox.query<{ db: string }>('select current_database() as db');
    expect(rows[0]!.db).toBe(sandbox.database);
    await expect(sandbox.snapshot()).rejects.toBeInstanceOf(SnapshotNotSupportedError);
  });

  it('replays a history, then applies a traced migration with the same observation shape as PGlite', async () => {
    const runs = await sandbox.replay([
      file('001_orders.sql', ['create table orders (id int primary key, status varchar(10), amount int)']),
      file('002_seed.sql', [`insert into orders select g, 'new', g from generate_series(1, 300) g`]),
    ]);
    expect(runs.map((r) => r.status.status)).toEqual(['applied', 'applied']);

    const migration = file('003_change.sql', [
      'alter table orders add column score float8 default random()',
      'copy orders (id, status, amount) from stdin',
      'create index orders_status on orders (status)',
    ]);
    migration.statements[1]!.copyData = '1001\tcopied\t5\n1002\tcopied\t6\n';
    const run = await sandbox.apply(migration, { trace: true });
    expect(run.status).toMatchObject({ file: '003_change.sql', status: 'applied', statements: 3 });
    expect(run.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);

    const [addColumn, copy, index] = run.outcomes.map((o) => o.observation!) as [StatementObservation, StatementObservation, StatementObservation];
    expect(addColumn.locks).toContainEqual({ relation: 'public.orders', kind: 'table', mode: 'AccessExclusiveLock' });
    expect(addColumn.rewrites).toContain('public.orders');
    expect(addColumn.changes).toContain('column public.orders.score added (double precision, with default)');
    expect(addColumn.inTransaction).toBe(true);
    // The sandbox's own server-side timeouts are not the migration's.
    expect(addColumn.lockTimeout).toBe('0');
    expect(addColumn.statementTimeout).toBe('0');
    expect(copy.changes).toContain('2 rows written in public.orders');
    expect(index.scans.find((s) => s.relation === 'public.orders')?.rowsRead).toBe(302);

    const catalog = await sandbox.catalog();
    const orders = catalog.tables.find((t) => t.name === 'orders')!;
    expect(orders.columns.map((c) => c.name)).toEqual(['id', 'status', 'amount', 'score']);
    expect(orders.indexes.map((i) => i.name).sort()).toEqual(['orders_pkey', 'orders_status']);
  });

  it("reports a migration's own lock_timeout as set", async () => {
    const run = await sandbox.apply(file('004_timeout.sql', [`set lock_timeout = '3s'`, 'alter table orders add column note text']), {
      trace: true,
    });
    expect(run.outcomes[1]!.observation?.lockTimeout).toBe('3s');
    await sandbox.exec('reset lock_timeout');
  });

  it('an error carries its sqlstate and the line inside the statement; the file rolls back', async () => {
    const run = await sandbox.apply(
      file('005_broken.sql', ['create table audit (id int)', 'alter table orders\n  add column flag nosuchtype']),
      { trace: true },
    );
    expect(run.status.status).toBe('failed');
    expect(run.status.error).toMatchObject({ sqlstate: '42704', line: 3 });
    expect(run.outcomes[1]).toMatchObject({ status: 'error', line: 2, endLine: 3, error: { sqlstate: '42704', line: 3 } });
    const { rows } = await sandbox.query(`select 1 from pg_class where relname = 'audit'`);
    expect(rows).toEqual([]);
    expect(sandbox.alive).toBe(true);
  });

  it('a missing extension is not run and the rest of the file still applies', async () => {
    const run = await sandbox.apply(
      file('006_ext.sql', ['create extension if not exists pgpro_no_such_extension', 'create table after_ext (id int)']),
      { trace: true },
    );
    expect(run.missingExtension).toBe('pgpro_no_such_extension');
    expect(run.outcomes.map((o) => o.status)).toEqual(['not-run', 'ok']);
    expect(run.status.status).toBe('applied');
  });

  it('CREATE INDEX CONCURRENTLY runs outside a transaction block', async () => {
    const run = await sandbox.apply(file('007_cic.sql', ['create index concurrently orders_amount on orders (amount)'], false), {
      trace: true,
    });
    expect(run.outcomes[0]).toMatchObject({ status: 'ok', observation: { inTransaction: false } });
  });
});

describe('postgres sandbox: the database never outlives the review', () => {
  it('is dropped on close', async () => {
    const sandbox = await createPostgresSandbox(options);
    expect(await databaseExists(sandbox.database)).toBe(true);
    await sandbox.close();
    expect(await databaseExists(sandbox.database)).toBe(false);
    await sandbox.close(); // twice is fine
  });

  it('is dropped on close after a failed migration', async () => {
    const sandbox = await createPostgresSandbox(options);
    const run = await sandbox.apply(file('bad.sql', ['select 1/0']), { trace: false });
    expect(run.status.error?.sqlstate).toBe('22012');
    await sandbox.close();
    expect(await databaseExists(sandbox.database)).toBe(false);
  });

  it('a statement over the timeout ends in about the timeout, stops the sandbox and drops its database', async () => {
    const sandbox = await createPostgresSandbox({ ...options, statementTimeoutMs: 1000 });
    const started = Date.now();
    // An hour's sleep: only the deadline can end it within the test's time, however slow the machine.
    const run = await sandbox.apply(file('slow.sql', ['select pg_sleep(3600)', 'create table never (id int)']), { trace: true });
    // Never before the deadline (a lower bound that load cannot break).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(run.outcomes[0]).toMatchObject({ status: 'error', error: { sqlstate: '57014' } });
    expect(run.outcomes[0]!.error!.message).toMatch(/did not finish within 1 s/);
    expect(run.outcomes[1]!.status).toBe('not-run');
    expect(sandbox.alive).toBe(false);
    expect(await databaseExists(sandbox.database)).toBe(false);
    const next = await sandbox.apply(file('later.sql', ['select 1']), { trace: false });
    expect(next.status.status).toBe('not-run');
    await sandbox.close();
  });

  it('the client deadline holds when a migration turns the server timeout off', async () => {
    const sandbox = await createPostgresSandbox({ ...options, statementTimeoutMs: 500 });
    // An hour's sleep with the server's timeout off: only the client's deadline can end it in the test's time.
    const run = await sandbox.apply(file('sneaky.sql', ['set statement_timeout = 0', 'select pg_sleep(3600)'], false), { trace: false });
    expect(run.outcomes[1]).toMatchObject({ status: 'error', error: { sqlstate: '57014' } });
    expect(await databaseExists(sandbox.database)).toBe(false);
    await sandbox.close();
  });

  describe('another process', () => {
    const childScript = fileURLToPath(new URL('./child-sandbox.ts', import.meta.url));
    const keep = `pgpro_keepme_${randomBytes(4).toString('hex')}`;
    const lookalike = `pgpro_sbx_20000101000000_${randomBytes(4).toString('hex')}x`;
    beforeAll(async () => {
      await admin.query(`create database ${keep}`);
      await admin.query(`create database ${lookalike}`);
    });
    afterAll(async () => {
      await admin.query(`drop database if exists ${keep}`);
      await admin.query(`drop database if exists ${lookalike}`);
    });

    function startChild(env: Record<string, string> = {}): Promise<{ child: ChildProcess; database: string }> {
      const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
        env: { ...process.env, DATABASE_URL: url, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return new Promise((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const name = /pgpro_sbx_\S+/.exec(out)?.[0];
          if (out.includes('\n') && name) resolve({ child, database: name });
        });
        child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
    }

    function exited(child: ChildProcess): Promise<void> {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
    }

    it('SIGTERM: the process drops its database before it ends', async () => {
      const { child, database } = await startChild();
      expect(await databaseExists(database)).toBe(true);
      child.kill('SIGTERM');
      await exited(child);
      expect(child.signalCode).toBe('SIGTERM');
      expect(await databaseExists(database)).toBe(false);
    });

    it('process.exit without close: the exit handler drops the database', async () => {
      const { child, database } = await startChild({ PGPRO_CHILD_EXIT: '1' });
      await exited(child);
      expect(child.exitCode).toBe(3);
      expect(await databaseExists(database)).toBe(false);
    });

    it('SIGKILL: the sweep drops the leftover and nothing that is not a pgpro sandbox', async () => {
      const { child, database } = await startChild();
      child.kill('SIGKILL');
      await exited(child);
      expect(await databaseExists(database)).toBe(true);

      // Its backend notices the closed socket within moments; until then the database counts as in use.
      let dropped: string[] = [];
      for (let attempt = 0; attempt < 50 && !dropped.includes(database); attempt++) {
        dropped = dropped.concat(await sweepStaleSandboxes(url, 0));
        if (!dropped.includes(database)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(dropped).toContain(database);
      expect(await databaseExists(database)).toBe(false);
      // Its roles (migrations', the agent tools' reader) went with it.
      const roles = await admin.query('select rolname from pg_roles where rolname in ($1, $2)', [database, `${database}_reader`]);
      expect(roles.rows).toEqual([]);
      expect(await databaseExists(keep)).toBe(true);
      expect(await databaseExists(lookalike)).toBe(true);
    });

    it('the sweep drops the roles of a sandbox whose database is gone, the reader role included', async () => {
      const orphan = `pgpro_sbx_20000101000000_${randomBytes(4).toString('hex')}`;
      await admin.query(`create role ${orphan} nologin`);
      await admin.query(`create role ${orphan}_reader nologin`);
      await sweepStaleSandboxes(url, 0);
      const roles = await admin.query('select rolname from pg_roles where rolname in ($1, $2)', [orphan, `${orphan}_reader`]);
      expect(roles.rows).toEqual([]);
    });

    it('the sweep leaves recent leftovers alone under the default threshold', async () => {
      const { child, database } = await startChild();
      child.kill('SIGKILL');
      await exited(child);
      await new Promise((r) => setTimeout(r, 300));
      expect(await sweepStaleSandboxes(url)).not.toContain(database);
      expect(await databaseExists(database)).toBe(true);
      await admin.query(`drop database ${database} with (force)`);
      await admin.query(`drop role if exists ${database}_reader`);
      await admin.query(`drop role if exists ${database}`);
    });
  });
});

describe('postgres sandbox: refuses what it must not use', () => {
  const role = `pgpro_nocreatedb_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    await admin.query(`create role ${role} login nocreatedb nosuperuser`);
  });
  afterAll(async () => {
    await admin.query(`drop role if exists ${role}`);
  });

  it('a role without CREATEDB, with a message saying what to do', async () => {
    const attempt = createPostgresSandbox({ ...options, url: urlAs(role) });
    await expect(attempt).rejects.toBeInstanceOf(PostgresSandboxError);
    await expect(attempt).rejects.toThrow(new RegExp(`role "${role}" in sandbox.url lacks CREATEDB.*ALTER ROLE`));
    // No database of its own was left (counted by owner: server tests in parallel create and drop theirs).
    const owned = await admin.query('select 1 from pg_database d join pg_roles r on r.oid = d.datdba where r.rolname = $1', [role]);
    expect(owned.rows).toEqual([]);
  });

  it('an unreachable server, with a message and no secret in it', async () => {
    const attempt = createPostgresSandbox({ ...options, url: 'postgres://someone:s3cret@127.0.0.1:1/x' });
    await expect(attempt).rejects.toThrow(/cannot connect to the sandbox server/);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  it('a PGlite snapshot', async () => {
    await expect(createPostgresSandbox({ ...options, tarball: new Uint8Array([1]) })).rejects.toThrow(/cannot start from a PGlite snapshot/);
  });
});

describe('postgres sandbox: a privileged URL role is not what migrations run as', () => {
  // The test server's URL role is a superuser: the case the issue found (COPY … FROM PROGRAM ran `id`).
  let sandbox: PostgresSandbox;
  beforeAll(async () => {
    sandbox = await createPostgresSandbox(options);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('runs migrations as a role made for the sandbox: no superuser, owner of its database only', async () => {
    const { rows } = await sandbox.query<{ me: string; su: boolean; owner: string }>(
      `select current_user as me, r.rolsuper as su, pg_catalog.pg_get_userbyid(d.datdba) as owner
       from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`,
    );
    expect(rows[0]).toEqual({ me: sandbox.database, su: false, owner: sandbox.database });
  });

  it.each([
    ["copy (select 1) to program 'id'", '42501'],
    ["create table out (line text); copy out from program 'id'", '42501'],
    ["select pg_read_file('/etc/passwd')", '42501'],
    ["select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgpro-admin'", '42501'],
  ])('refuses %s', async (sql, sqlstate) => {
    const run = await sandbox.apply(file('evil.sql', [sql]), { trace: false });
    expect(run.status.error?.sqlstate).toBe(sqlstate);
    expect(JSON.stringify(run)).not.toMatch(/uid=\d+|root:x:0/);
  });

  it('reports an untrusted extension as the sandbox role\'s limit, not the migration\'s error', async () => {
    const run = await sandbox.apply(file('ext.sql', ['create extension if not exists pg_prewarm', 'create table after_untrusted (id int)']), { trace: false });
    expect(run.missingExtension).toBe('pg_prewarm');
    expect(run.outcomes.map((o) => o.status)).toEqual(['not-run', 'ok']);
  });

  it('drops the role with the database', async () => {
    const other = await createPostgresSandbox(options);
    await other.close();
    const { rows } = await admin.query('select 1 from pg_roles where rolname = $1', [other.database]);
    expect(rows).toEqual([]);
  });
});

describe('postgres sandbox: a URL role with CREATEROLE, not a superuser, does not run the migrations itself', () => {
  // As the URL's role, one review's migration could end every other review's session and drop their
  // databases (the URL role's own): each sandbox's migrations run as a login role of its own instead.
  const role = `pgpro_test_createrole_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let roleUrl: string;
  let mine: PostgresSandbox;
  let theirs: PostgresSandbox;
  beforeAll(async () => {
    await admin.query(`create role ${role} login password '${password}' createdb createrole nosuperuser`);
    roleUrl = urlAs(role, password);
    mine = await createPostgresSandbox({ ...options, url: roleUrl });
    theirs = await createPostgresSandbox({ ...options, url: roleUrl });
    await theirs.replay([file('001_secret.sql', [`create table secret as select 'their data' as note`])]);
  });
  afterAll(async () => {
    await mine?.close();
    await theirs?.close();
    await admin.query(`drop role if exists ${role}`);
  });

  it('runs them as a login role made for the sandbox, owner of its database only, with no attribute', async () => {
    const { rows } = await mine.query<{ me: string; session: string; owner: string; createdb: boolean; createrole: boolean; member_of: string[] }>(
      `select current_user as me, session_user as session, pg_catalog.pg_get_userbyid(d.datdba) as owner,
              r.rolcreatedb as createdb, r.rolcreaterole as createrole,
              array(select m.roleid::regrole::text from pg_auth_members m where m.member = r.oid) as member_of
       from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`,
    );
    expect(rows[0]).toEqual({ me: mine.database, session: mine.database, owner: mine.database, createdb: false, createrole: false, member_of: [`${mine.database}_reader`] });
  });

  it('still lets a migration do what an owner does in its database: temporary tables, schemas, trusted extensions', async () => {
    const run = await mine.apply(
      file('ok.sql', ['create temporary table scratch (id int)', 'create schema app', 'create extension if not exists pgcrypto', 'create table app.t (id uuid default gen_random_uuid())']),
      { trace: false },
    );
    expect(run.status.status).toBe('applied');
    expect(run.outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it("refuses a migration's pg_terminate_backend on another review's session and on pgpro's own", async () => {
    for (const target of [`datname = '${theirs.database}'`, `application_name = 'pgpro-admin' and usename = '${role}'`]) {
      const run = await mine.apply(file('evil.sql', [`select pg_terminate_backend(pid) from pg_stat_activity where ${target}`]), { trace: false });
      expect(run.status.error?.sqlstate, target).toBe('42501');
    }
    expect(theirs.alive).toBe(true);
    expect((await theirs.query<{ note: string }>('select note from secret')).rows).toEqual([{ note: 'their data' }]);
  });

  it("refuses a migration's reach into another review's database: no DROP, no RESET ROLE back, no CONNECT", async () => {
    const drop = await mine.apply(file('evil.sql', [`drop database ${theirs.database}`], false), { trace: false });
    expect(drop.status.error?.sqlstate).toBe('42501');
    // The session logged in as the sandbox role: there is no other role to go back to.
    const reset = await mine.apply(file('evil.sql', ['reset role', `drop database ${theirs.database}`], false), { trace: false });
    expect(reset.status.error?.sqlstate).toBe('42501');
    const { rows } = await admin.query<{ connect: boolean }>(`select has_database_privilege($1, $2, 'CONNECT') as connect`, [mine.database, theirs.database]);
    expect(rows[0]!.connect).toBe(false);
    // Were its password known, the login itself would be refused.
    await admin.query(`alter role ${mine.database} password 'known'`);
    const intruder = new pg.Client({ connectionString: urlAs(mine.database, 'known', theirs.database) });
    await expect(intruder.connect()).rejects.toMatchObject({ code: '42501' });
    await intruder.end().catch(() => undefined);
    expect(await databaseExists(theirs.database)).toBe(true);
  });

  it('does so on PostgreSQL 16 and later too, where CREATEROLE alone is no longer privileged', () => {
    const info = { version: '16.4', versionNum: 160004, role, createrole: true };
    expect(runsAsSandboxRole(info)).toBe(true);
    expect(runsAsSandboxRole({ ...info, createrole: false })).toBe(false);
    expect(runsAsSandboxRole({ ...info, createrole: false, privileged: 'superuser' })).toBe(true);
  });

  it('drops the roles with the database', async () => {
    const other = await createPostgresSandbox({ ...options, url: roleUrl });
    const before = await admin.query('select rolname from pg_roles where rolname in ($1, $2) order by 1', [other.database, `${other.database}_reader`]);
    expect(before.rows).toHaveLength(2);
    await other.close();
    expect(await databaseExists(other.database)).toBe(false);
    const after = await admin.query('select 1 from pg_roles where rolname in ($1, $2)', [other.database, `${other.database}_reader`]);
    expect(after.rows).toEqual([]);
  });
});

describe('postgres sandbox: a URL role with only CREATEDB runs the migrations itself', () => {
  // There is no other role to run them as (documented in docs/config.md): the case without isolation.
  const role = `pgpro_test_createdb_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let sandbox: PostgresSandbox;
  beforeAll(async () => {
    await admin.query(`create role ${role} login password '${password}' createdb nocreaterole nosuperuser`);
    sandbox = await createPostgresSandbox({ ...options, url: urlAs(role, password) });
  });
  afterAll(async () => {
    await sandbox?.close();
    await admin.query(`drop role if exists ${role}`);
  });

  it('as the URL role, owner of the database, with no reader role for the agent', async () => {
    const { rows } = await sandbox.query<{ me: string; owner: string }>(
      `select current_user as me, pg_catalog.pg_get_userbyid(d.datdba) as owner from pg_database d where d.datname = current_database()`,
    );
    expect(rows[0]).toEqual({ me: role, owner: role });
    expect(sandbox.readerRole).toBeUndefined();
  });
});

