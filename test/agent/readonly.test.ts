import { describe, expect, it } from 'vitest';
import { checkReadOnlySql, isTableName } from '../../src/agent/readonly.js';

describe('checkReadOnlySql', () => {
  it.each([
    ['SELECT count(*) FROM orders', true],
    ["SELECT indexname FROM pg_indexes WHERE tablename = 'orders'", true],
    ['WITH recent AS (SELECT * FROM orders LIMIT 5) SELECT * FROM recent', true],
    ['SELECT * FROM orders UNION ALL SELECT * FROM orders', true],
  ])('accepts %s', async (sql) => {
    expect(await checkReadOnlySql(sql, false)).toEqual({ ok: true });
  });

  it.each([
    ['DELETE FROM orders', 'only a SELECT or EXPLAIN of a SELECT is allowed, got DeleteStmt'],
    ['DROP TABLE orders', 'only a SELECT or EXPLAIN of a SELECT is allowed, got DropStmt'],
    ['SELECT 1; DROP TABLE orders', 'exactly one statement is allowed, got 2'],
    ['SELECT * INTO copy FROM orders', 'read-only tools reject SELECT … INTO (creates a table)'],
    ['SELECT * FROM orders FOR UPDATE', 'read-only tools reject FOR UPDATE/SHARE (takes row locks)'],
    ['WITH gone AS (DELETE FROM orders RETURNING id) SELECT * FROM gone', 'read-only tools reject a DELETE'],
    ['SELECT * FROM (SELECT 1) s WHERE EXISTS (SELECT 1 FROM orders FOR SHARE)', 'read-only tools reject FOR UPDATE/SHARE (takes row locks)'],
    ['EXPLAIN ANALYZE UPDATE orders SET total = 0', 'only EXPLAIN of a SELECT is allowed, got EXPLAIN of UpdateStmt'],
    ['COPY orders TO PROGRAM \'curl evil\'', 'only a SELECT or EXPLAIN of a SELECT is allowed, got CopyStmt'],
    ['SET default_transaction_read_only = off', 'only a SELECT or EXPLAIN of a SELECT is allowed, got VariableSetStmt'],
    ['-- just a comment', 'exactly one statement is allowed, got 0'],
    ["SELECT pg_read_file('/etc/passwd')", 'read-only tools reject pg_read_file(): it reads or writes server files'],
    ["SELECT pg_catalog.pg_ls_dir('.')", 'read-only tools reject pg_ls_dir(): it reads or writes server files'],
    ["SELECT lo_import('/etc/passwd')", 'read-only tools reject lo_import(): it uses large objects'],
    ['SELECT data FROM pg_largeobject', 'read-only tools reject pg_largeobject: it holds large objects'],
    ['SELECT pg_terminate_backend(pid) FROM pg_stat_activity', 'read-only tools reject pg_terminate_backend(): it signals the server or its backends'],
    ['SELECT count(*) FROM orders WHERE pg_cancel_backend(1)', 'read-only tools reject pg_cancel_backend(): it signals the server or its backends'],
    ['SELECT pg_advisory_lock(42)', 'read-only tools reject pg_advisory_lock(): it takes advisory locks'],
    ['SELECT pg_try_advisory_xact_lock(42)', 'read-only tools reject pg_try_advisory_xact_lock(): it takes advisory locks'],
    ["SELECT * FROM dblink('host=evil', 'select 1') AS t(x int)", 'read-only tools reject dblink(): it connects to another server'],
    ["SELECT set_config('role', 'postgres', false)", 'read-only tools reject set_config(): it changes settings'],
    ["SELECT query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')", 'read-only tools reject query_to_xml(): it runs SQL given as a string'],
    ['EXPLAIN SELECT pg_sleep(100)', 'read-only tools reject pg_sleep(): it only waits'],
  ])('rejects %s', async (sql, reason) => {
    expect(await checkReadOnlySql(sql, true)).toEqual({ ok: false, reason });
  });

  it('accepts EXPLAIN of a SELECT only where EXPLAIN is allowed', async () => {
    expect(await checkReadOnlySql('EXPLAIN SELECT * FROM orders', true)).toEqual({ ok: true });
    expect(await checkReadOnlySql('EXPLAIN SELECT * FROM orders', false)).toEqual({
      ok: false,
      reason: 'only a SELECT is allowed, got ExplainStmt',
    });
  });

  it('reports SQL that does not parse', async () => {
    const result = await checkReadOnlySql('SELEC 1', true);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^SQL does not parse: syntax error at or near "SELEC"/);
  });
});

describe('isTableName', () => {
  it.each(['orders', 'public.orders', '"Order Items"', 'audit."events"'])('accepts %s', (name) => {
    expect(isTableName(name)).toBe(true);
  });
  it.each(['orders; DROP TABLE x', 'a.b.c', "orders'", ''])('rejects %s', (name) => {
    expect(isTableName(name)).toBe(false);
  });
});
