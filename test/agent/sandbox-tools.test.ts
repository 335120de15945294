// The agent's tools on a real PGlite sandbox run as a role that can only read: a migration's views and
// functions cannot lend a tool query the superuser's rights, and the tool query cannot take them back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../src/agent/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { AGENT_READER_ROLE, sandboxTools } from '../../src/stages/agent.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 1024 });
  // What a hostile migration might leave for the agent to query.
  await sandbox.exec(`
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
    INSERT INTO accounts VALUES (1, 'a@example.com');
    CREATE VIEW leak AS SELECT pg_catalog.pg_read_file('PG_VERSION') AS contents;
    CREATE FUNCTION climb() RETURNS text LANGUAGE plpgsql AS $$
      BEGIN PERFORM set_config('role', 'postgres', true); RETURN pg_read_file('PG_VERSION'); END $$;
    CREATE FUNCTION scribble() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ INSERT INTO accounts VALUES (2, 'b') RETURNING 1 $$;
  `);
});

afterAll(async () => {
  await sandbox?.close();
});

describe('the agent tools on a PGlite sandbox', () => {
  it('run as a role that can only read, and leave no trace of it', async () => {
    const tools = sandboxTools(sandbox);
    const { rows } = await tools.query('SELECT current_user AS who, (SELECT count(*) FROM accounts) AS n');
    expect(rows).toEqual([{ who: AGENT_READER_ROLE, n: 1 }]);
    expect(await tools.explain('SELECT * FROM accounts WHERE id = 1')).toMatch(/accounts/);
    // The transaction that made the role was rolled back: the sandbox is as the migrations left it.
    const after = await sandbox.query('SELECT current_user AS who, (SELECT count(*) FROM pg_roles WHERE rolname = $1) AS roles', [AGENT_READER_ROLE]);
    expect(after.rows).toEqual([{ who: 'postgres', roles: 0 }]);
    const grants = await sandbox.query("SELECT has_function_privilege('public', 'climb()', 'EXECUTE') AS public_may");
    expect(grants.rows).toEqual([{ public_may: true }]);
  });

  it('cannot reach server files through a view the migration wrote', async () => {
    const outcome = await runTool(sandboxTools(sandbox), 'run_query', { sql: 'SELECT * FROM leak' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toMatch(/permission denied for function pg_read_file/);
  });

  it("cannot run the migration's own code, which could set the role back", async () => {
    for (const sql of ['SELECT climb()', 'SELECT scribble()']) {
      const outcome = await runTool(sandboxTools(sandbox), 'run_query', { sql });
      expect(outcome.isError, sql).toBe(true);
      expect(outcome.content, sql).toMatch(/permission denied for function (climb|scribble)/);
    }
    expect((await sandbox.query('SELECT count(*) AS n FROM accounts')).rows).toEqual([{ n: 1 }]);
  });

  it('refuses a tool query that would change the role or settings', async () => {
    const tools = sandboxTools(sandbox);
    for (const sql of ['RESET ROLE', 'SET ROLE postgres', "SELECT set_config('role', 'postgres', false)", "SELECT pg_catalog.set_config('session_authorization', 'postgres', false)"]) {
      const outcome = await runTool(tools, 'run_query', { sql });
      expect(outcome.isError, sql).toBe(true);
      expect(outcome.content, sql).toMatch(/^Rejected: /);
    }
  });
});
