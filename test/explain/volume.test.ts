import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { readsNoRows } from '../../src/explain/volume.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { explainFill } from '../../src/stages/explain.js';
import { parseNew } from '../../src/stages/parse.js';
import type { ReviewedMigration } from '../../src/stages/state.js';
import type { CatalogSnapshot, CatalogTable, MigrationFile } from '../../src/types.js';

async function kinds(sql: string): Promise<boolean[]> {
  const parsed = await parseMigrationSql(sql, 'x.sql');
  return parsed.statements.map(readsNoRows);
}

describe('readsNoRows: statements that read and write no table rows', () => {
  it('accepts functions, views, triggers, comments, grants, settings and column renames', async () => {
    const sql = `
      SET lock_timeout = '5s';
      BEGIN;
      CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE audit SET n = n + 1; RETURN NEW; END $$;
      CREATE VIEW recent AS SELECT id FROM orders WHERE created_at > now() - interval '7 days';
      CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
      COMMENT ON TABLE orders IS 'orders';
      GRANT SELECT ON orders TO reader;
      ALTER TABLE orders RENAME COLUMN total TO amount;
      ALTER INDEX orders_total_idx RENAME TO orders_amount_idx;
      ALTER TYPE status ADD VALUE 'refunded';
      DROP VIEW old_recent;
      DROP FUNCTION old_touch();
      COMMIT;`;
    expect(await kinds(sql)).toEqual(Array(13).fill(true));
  });

  it('refuses whatever reads or writes rows, or renames a table or a key the EXPLAIN checks match by name', async () => {
    const cases = [
      'UPDATE orders SET total = 0',
      'CREATE INDEX orders_total_idx ON orders (total)',
      'ALTER TABLE orders ADD COLUMN note text',
      'ALTER TABLE orders RENAME TO purchases',
      'ALTER TABLE orders RENAME CONSTRAINT orders_customer_fkey TO orders_customer_fk',
      'CREATE MATERIALIZED VIEW totals AS SELECT sum(total) FROM orders',
      'SELECT touch_all()',
      "DO $$ BEGIN PERFORM 1 FROM orders; END $$",
      // CASCADE may drop an expression index that uses the function.
      'DROP FUNCTION f() CASCADE',
      'DROP TABLE orders',
      'CREATE TABLE lines (id int, order_id bigint REFERENCES orders(id))',
    ];
    for (const sql of cases) expect([sql, ...(await kinds(sql))]).toEqual([sql, false]);
  });
});

const table = (name: string): CatalogTable => ({ schema: 'public', name, estimatedRows: 0, columns: [], indexes: [], constraints: [] });
const catalogBefore: CatalogSnapshot = { tables: [table('orders'), table('customers')], functions: [], extensions: [], enums: [] };
const config = validateConfig({ agent: { enabled: false }, explain: { 'default-rows': 5000 }, sandbox: { 'seed-rows': 100 } }, 'test');

async function reviewed(sql: string, down?: string): Promise<ReviewedMigration> {
  const migration = {
    path: 'db/migrations/0002_change.sql',
    sql,
    lineOffset: 0,
    ...(down !== undefined ? { down: { path: 'db/migrations/0002_change.down.sql', sql: down, lineOffset: 0 } } : {}),
  } as MigrationFile;
  return parseNew(migration);
}

async function plan(fresh: ReviewedMigration, options: { agentQueries?: boolean; files?: Record<string, string>; queries?: string[] } = {}) {
  const cfg = options.queries ? { ...config, explain: { ...config.explain, queries: options.queries } } : config;
  const { plan } = await explainFill({
    config: cfg,
    head: memoryTree(options.files ?? {}),
    fresh: [fresh],
    catalogBefore,
    seeded: { rows: 100, syntheticOnly: [] },
    agentQueries: options.agentQueries ?? false,
  });
  return plan;
}

describe('explainFill: the EXPLAIN volume only where something reads it', () => {
  it('a change that reads no rows adds none to the tables it names', async () => {
    expect(await plan(await reviewed('ALTER TABLE orders RENAME COLUMN total TO amount;'))).toEqual([]);
  });

  it('a change that reads rows gets the volume in the tables it names, and only there', async () => {
    expect(await plan(await reviewed('CREATE INDEX orders_total_idx ON orders (total);'))).toEqual([['public.orders', 4900]]);
  });

  it('a down migration that reads rows keeps the volume', async () => {
    const fresh = await reviewed('ALTER TABLE orders RENAME COLUMN total TO amount;', 'UPDATE orders SET total = 0;');
    expect(await plan(fresh)).toEqual([['public.orders', 4900]]);
  });

  it('queries to plan, or Claude querying the database, keep the volume', async () => {
    const fresh = await reviewed('ALTER TABLE orders RENAME COLUMN total TO amount;');
    expect(await plan(fresh, { agentQueries: true })).toEqual([['public.orders', 4900]]);
    const files = { 'queries/orders.sql': 'SELECT * FROM customers WHERE id = $1;\n' };
    expect(await plan(fresh, { files, queries: ['queries/*.sql'] })).toEqual([
      ['public.orders', 4900],
      ['public.customers', 4900],
    ]);
  });
});
