import { describe, expect, it } from 'vitest';
import { FEATURES } from '../../src/rules/syntax-newer-than-target.js';
import { lint } from './helpers.js';

// One sample per feature of syntax-newer-than-target: flagged one version below, quiet from its own.
const samples: Record<string, string> = {
  'CREATE INDEX … ON ONLY': 'CREATE INDEX i ON ONLY measurements (at);',
  'INCLUDE columns in an index': 'CREATE INDEX i ON orders (customer_id) INCLUDE (total);',
  'CREATE PROCEDURE': "CREATE PROCEDURE p() LANGUAGE sql AS 'select 1';",
  CALL: 'CALL archive_orders();',
  'generated columns (GENERATED ALWAYS AS … STORED)': 'ALTER TABLE orders ADD COLUMN twice numeric GENERATED ALWAYS AS (amount * 2) STORED;',
  'REINDEX … CONCURRENTLY': 'REINDEX INDEX CONCURRENTLY orders_code_idx;',
  'DETACH PARTITION … CONCURRENTLY': 'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;',
  'CREATE OR REPLACE TRIGGER': 'CREATE OR REPLACE TRIGGER t AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f();',
  'column COMPRESSION': 'ALTER TABLE orders ADD COLUMN body text COMPRESSION lz4;',
  MERGE: 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING;',
  'NULLS NOT DISTINCT': 'ALTER TABLE orders ADD CONSTRAINT u UNIQUE NULLS NOT DISTINCT (code);',
  'ON DELETE SET NULL/SET DEFAULT (columns)':
    'ALTER TABLE items ADD CONSTRAINT f FOREIGN KEY (tenant, order_id) REFERENCES orders ON DELETE SET NULL (order_id);',
  'ALTER TABLE … SET ACCESS METHOD': 'ALTER TABLE orders SET ACCESS METHOD heap;',
  'SQL/JSON constructors and IS JSON': "SELECT JSON_OBJECT('a': 1);",
  JSON_TABLE: "SELECT * FROM JSON_TABLE('[]'::jsonb, '$[*]' COLUMNS (a int PATH '$.a')) jt;",
  'JSON_QUERY / JSON_VALUE / JSON_EXISTS': "SELECT JSON_VALUE(doc, '$.a') FROM orders;",
  'MERGE … RETURNING': 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE RETURNING t.id;',
  'MERGE … WHEN NOT MATCHED BY SOURCE': 'MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE;',
  'ALTER COLUMN … SET EXPRESSION': 'ALTER TABLE orders ALTER COLUMN twice SET EXPRESSION AS (amount * 3);',
  'virtual generated columns (GENERATED ALWAYS AS … without STORED)':
    'ALTER TABLE orders ADD COLUMN twice numeric GENERATED ALWAYS AS (amount * 2) VIRTUAL;',
  'NOT NULL constraints with NOT VALID': 'ALTER TABLE orders ADD CONSTRAINT nn NOT NULL code NOT VALID;',
  'NOT ENFORCED constraints': 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT ENFORCED;',
  'WITHOUT OVERLAPS / PERIOD (temporal keys)': 'ALTER TABLE rooms ADD CONSTRAINT p PRIMARY KEY (id, during WITHOUT OVERLAPS);',
  'uuidv7()': 'ALTER TABLE orders ALTER COLUMN ref SET DEFAULT uuidv7();',
};

async function featuresAt(sql: string, version: number): Promise<string[]> {
  const found = await lint({ sql }, { config: { 'postgres-version': version } });
  return found.filter((f) => f.rule === 'syntax-newer-than-target').map((f) => f.message);
}

describe('syntax-newer-than-target across versions', () => {
  it('has a sample for every feature', () => {
    expect(Object.keys(samples).sort()).toEqual(FEATURES.map((f) => f.what).sort());
  });

  for (const feature of FEATURES) {
    it(`${feature.what}: flagged on ${feature.since - 1}, quiet on ${feature.since}`, async () => {
      const sql = samples[feature.what]!;
      const below = await featuresAt(sql, feature.since - 1);
      expect(below.some((m) => m.startsWith(`${feature.what} needs PostgreSQL ${feature.since}`))).toBe(true);
      expect(await featuresAt(sql, feature.since)).toEqual(
        (await featuresAt(sql, feature.since)).filter((m) => !m.startsWith(feature.what)),
      );
      expect((await featuresAt(sql, feature.since)).some((m) => m.startsWith(feature.what))).toBe(false);
    });
  }

  it('flags a feature on each node type it has (an index and a constraint alike)', async () => {
    const nulls = await featuresAt('CREATE UNIQUE INDEX i ON orders (code) NULLS NOT DISTINCT;', 14);
    expect(nulls.some((m) => m.startsWith('NULLS NOT DISTINCT needs PostgreSQL 15'))).toBe(true);
    const include = await featuresAt('ALTER TABLE orders ADD CONSTRAINT u UNIQUE (code) INCLUDE (total);', 10);
    expect(include.some((m) => m.startsWith('INCLUDE columns in an index needs PostgreSQL 11'))).toBe(true);
    // Several features of one statement, in the order of the tree as before.
    const several = await featuresAt('CREATE UNIQUE INDEX i ON ONLY orders (code) INCLUDE (total) NULLS NOT DISTINCT;', 10);
    expect(several.map((m) => m.slice(0, m.indexOf(' needs')))).toEqual(['CREATE INDEX … ON ONLY', 'INCLUDE columns in an index', 'NULLS NOT DISTINCT']);
  });
});
