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
