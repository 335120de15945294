// The key columns of indexes and constraints in the catalog are named from the table's columns, read once:
// they must be what pg_attribute says for each key, in key order (dropped and renamed columns, INCLUDE
// columns, expression keys, a CHECK on a system column, partitioned tables, not-null constraints).
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/sandbox/catalog.js';
import { openPglite } from '../../src/sandbox/cluster.js';

let db: PGlite;

beforeAll(async () => {
  db = await openPglite();
  await db.exec(`
    CREATE SCHEMA other;
    CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE, a int, b int, UNIQUE (b, a));
    CREATE TABLE child (
      gone int, id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent_id int NOT NULL, note text, x int, y int,
      CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id),
      CONSTRAINT child_pair_fk FOREIGN KEY (y, x) REFERENCES parent (b, a),
      CONSTRAINT child_xy CHECK (x < y AND x > 0),
      CONSTRAINT child_here CHECK (tableoid <> 0)
    );
    ALTER TABLE child DROP COLUMN gone;
    ALTER TABLE child ADD CONSTRAINT child_remark UNIQUE (note, parent_id);
    ALTER TABLE child RENAME COLUMN note TO remark;
    CREATE INDEX child_expr ON child (lower(remark), y) INCLUDE (x) WHERE x > 1;
    CREATE INDEX child_only_expr ON child ((x + y));
    CREATE TABLE other.events (at timestamptz NOT NULL, kind text, PRIMARY KEY (kind, at)) PARTITION BY RANGE (at);
    CREATE TABLE other.events_2026 PARTITION OF other.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE INDEX events_kind ON other.events (kind);
    CREATE MATERIALIZED VIEW child_view AS SELECT id, x FROM child;
    CREATE INDEX child_view_x ON child_view (x);
  `);
}, 60_000);

afterAll(async () => {
  await db?.close();
});

/** Every key column as pg_attribute names it, per "schema.table.object". */
async function namedByPgAttribute(): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ key: string; columns: (string | null)[] }>(`
    SELECT n.nspname || '.' || c.relname || '.' || ic.relname AS key,
           ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'other')
    UNION ALL
    SELECT n.nspname || '.' || c.relname || '.' || co.conname,
           ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                 LEFT JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum ORDER BY k.ord)
    FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'other')`);
  return new Map(rows.map((r) => [r.key, r.columns.filter((name): name is string => name !== null)]));
}

describe('readCatalog key columns', () => {
  it('names every index and constraint key as pg_attribute does, in key order', async () => {
    const expected = await namedByPgAttribute();
    const catalog = await readCatalog(db);
    const seen = new Map<string, string[]>();
    for (const table of catalog.tables) {
      for (const index of table.indexes) seen.set(`${table.schema}.${table.name}.${index.name}`, index.columns);
      for (const constraint of table.constraints) seen.set(`${table.schema}.${table.name}.${constraint.name}`, constraint.columns);
    }
    // Tables only (the materialized view's index is not part of the catalog's tables).
    const tableKeys = [...expected].filter(([key]) => !key.startsWith('public.child_view.'));
    expect(new Map([...seen].sort())).toEqual(new Map(tableKeys.sort()));
    // The cases that matter, spelled out.
    expect(seen.get('public.child.child_expr')).toEqual(['y', 'x']);
    expect(seen.get('public.child.child_only_expr')).toEqual([]);
    expect(seen.get('public.child.child_pair_fk')).toEqual(['y', 'x']);
    expect(seen.get('public.child.child_here')).toEqual(['tableoid']);
    expect(seen.get('public.parent.parent_b_a_key')).toEqual(['b', 'a']);
    expect(seen.get('other.events.events_pkey')).toEqual(['kind', 'at']);
    expect(seen.get('public.child.child_remark')).toEqual(['remark', 'parent_id']);
  });
});
