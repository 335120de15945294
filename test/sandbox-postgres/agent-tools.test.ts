// The agent's tools on a server sandbox (--sandbox-url, the real local PostgreSQL) run as a role that can
// only read: not as the migration role, whose functions, views and rights over its own sessions a
// hostile migration would lend to the tool query.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../src/agent/index.js';
import { createPostgresSandbox, type PostgresSandbox } from '../../src/sandbox/postgres/index.js';
import { NO_SERVER_READER, sandboxTools } from '../../src/stages/agent.js';
import { serverAdmin, SERVER_URL, urlAs } from '../helpers/postgres-server.js';

const url = SERVER_URL;
const options = { url, statementTimeoutMs: 20_000, memoryMb: 256, sweepOlderThanMs: false as const };

const admin = serverAdmin();

describe('the agent tools on a server sandbox', () => {
  let sandbox: PostgresSandbox;
  beforeAll(async () => {
    sandbox = await createPostgresSandbox(options);
    // What a hostile migration might leave for the agent to query, written as the migration role.
    await sandbox.exec(`
      CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
      INSERT INTO accounts VALUES (1, 'a@example.com');
      CREATE VIEW account_emails AS SELECT email FROM accounts;
      CREATE VIEW leak AS SELECT pg_catalog.pg_read_file('PG_VERSION') AS contents;
      CREATE VIEW stop_pgpro AS SELECT pg_catalog.pg_terminate_backend(pg_catalog.pg_backend_pid()) AS stopped;
      CREATE FUNCTION scribble() RETURNS int LANGUAGE sql AS $$ INSERT INTO accounts VALUES (2, 'b') RETURNING 1 $$;
      CREATE FUNCTION scribble_as_owner() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ INSERT INTO accounts VALUES (3, 'c') RETURNING 1 $$;
      CREATE FUNCTION whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT current_user::text $$;
    `);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('run a plain SELECT as the reader role, and leave no trace of its rights', async () => {
    expect(sandbox.readerRole).toBe(`${sandbox.database}_reader`);
    const tools = sandboxTools(sandbox);
    const { rows } = await tools.query('SELECT current_user AS who, (SELECT count(*)::int FROM accounts) AS n, (SELECT email FROM account_emails) AS email');
    expect(rows).toEqual([{ who: sandbox.readerRole, n: 1, email: 'a@example.com' }]);
    expect(await tools.explain('SELECT * FROM accounts WHERE id = 1')).toMatch(/accounts/);
    // Rolled back: the session is the migration role's again, the reader holds nothing, PUBLIC may run the functions.
    const after = await sandbox.query<{ who: string; reads: boolean; public_may: boolean }>(
      "SELECT current_user AS who, has_table_privilege($1, 'accounts', 'SELECT') AS reads, has_function_privilege('public', 'scribble()', 'EXECUTE') AS public_may",
      [sandbox.readerRole],
    );
    expect(after.rows).toEqual([{ who: sandbox.database, reads: false, public_may: true }]);
  });

  it('cannot run what the migration wrote: a function that writes, a SECURITY DEFINER writer', async () => {
    for (const sql of ['SELECT scribble()', 'SELECT scribble_as_owner()', 'SELECT whoami()']) {
      const outcome = await runTool(sandboxTools(sandbox), 'run_query', { sql });
      expect(outcome.isError, sql).toBe(true);
      expect(outcome.content, sql).toMatch(/permission denied for function (scribble|scribble_as_owner|whoami)/);
    }
    expect((await sandbox.query('SELECT count(*)::int AS n FROM accounts')).rows).toEqual([{ n: 1 }]);
  });

  it('cannot read server files through a view the migration wrote', async () => {
    const outcome = await runTool(sandboxTools(sandbox), 'run_query', { sql: 'SELECT * FROM leak' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/permission denied for function pg_read_file/);
  });

  it("cannot end pgpro's own session through a view, as the migration role could", async () => {
    const outcome = await runTool(sandboxTools(sandbox), 'run_query', { sql: 'SELECT * FROM stop_pgpro' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/permission denied to terminate process|must be a member of the role/);
    expect(sandbox.stopped).toBeUndefined();
    expect((await sandbox.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
  });

  it('refuses a tool query that would change the role or settings', async () => {
    const tools = sandboxTools(sandbox);
    for (const sql of ['RESET ROLE', `SET ROLE ${sandbox.database}`, "SELECT set_config('role', 'postgres', false)"]) {
      const outcome = await runTool(tools, 'run_query', { sql });
      expect(outcome.isError, sql).toBe(true);
      expect(outcome.content, sql).toMatch(/^Rejected: /);
    }
  });

  it("does not run as a reader that was granted another role", async () => {
    const other = await createPostgresSandbox(options);
    try {
      // A migration role cannot grant itself to the reader (it has no ADMIN option on itself); an admin could:
      // the tools check rather than trust it.
      await admin.query(`GRANT pg_read_server_files TO "${other.readerRole}"`);
      const outcome = await runTool(sandboxTools(other), 'run_query', { sql: 'SELECT 1' });
      expect(outcome.isError).toBe(true);
      expect(outcome.content).toMatch(/was granted another role; the tools do not run as it/);
    } finally {
      await other.close();
    }
  });

  it('drops the reader role with the database', async () => {
    const other = await createPostgresSandbox(options);
    const reader = other.readerRole!;
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [reader])).rows).toHaveLength(1);
    await other.close();
    expect((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [reader])).rows).toEqual([]);
  });
});

describe('the agent tools on a server sandbox whose role cannot create roles', () => {
  const role = `pgpro_createdb_only_${randomBytes(4).toString('hex')}`;
  let sandbox: PostgresSandbox;
  beforeAll(async () => {
    await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB`);
    sandbox = await createPostgresSandbox({ ...options, url: urlAs(role) });
    await sandbox.exec('CREATE TABLE accounts (id bigint PRIMARY KEY)');
  });
  afterAll(async () => {
    await sandbox?.close();
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  });

  it('refuse to query rather than run as the migration role, and still describe tables', async () => {
    expect(sandbox.readerRole).toBeUndefined();
    const outcome = await runTool(sandboxTools(sandbox), 'run_query', { sql: 'SELECT count(*) FROM accounts' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain(NO_SERVER_READER);
    const described = await runTool(sandboxTools(sandbox), 'describe_table', { table: 'accounts' });
    expect(described.isError).toBe(false);
    expect(described.content).toMatch(/accounts/);
  });
});
