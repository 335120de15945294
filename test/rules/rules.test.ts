import { describe, expect, it } from 'vitest';
import type { CatalogSnapshot } from '../../src/types.js';
import { emptyCatalog, lint, type FileSpec } from './helpers.js';

interface Case {
  sql: string | FileSpec[];
  inTransaction?: boolean;
  version?: number;
  catalog?: CatalogSnapshot;
  /** Expected finding lines for invalid cases. */
  lines?: number[];
  name?: string;
}

const ordersCatalog = emptyCatalog({
  tables: [
    {
      schema: 'public',
      name: 'orders',
      estimatedRows: 120000,
      columns: [
        { name: 'id', type: 'bigint', notNull: true },
        { name: 'code', type: 'character varying(20)', notNull: false },
        { name: 'amount', type: 'numeric(10,2)', notNull: false },
        { name: 'paid', type: 'boolean', notNull: true },
        { name: 'note', type: 'text', notNull: false },
      ],
      indexes: [{ name: 'orders_code_idx', definition: '', unique: false, primary: false, columns: ['code'], valid: true }],
      constraints: [{ name: 'orders_note_nn', type: 'c', definition: 'CHECK ((note IS NOT NULL))', validated: true, columns: ['note'] }],
    },
  ],
  functions: [
    { schema: 'public', name: 'next_code', volatility: 'v' },
    { schema: 'public', name: 'default_region', volatility: 's' },
  ],
});

const table: Record<string, { valid: Case[]; invalid: Case[] }> = {
  'require-concurrent-index-creation': {
    valid: [
      { sql: 'CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a);' },
      { name: 'table created in this change', sql: 'CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);' },
      { name: 'table created in an earlier new file', sql: [{ sql: 'CREATE TABLE t (a int);' }, { sql: 'CREATE INDEX t_a ON t (a);' }] },
    ],
    invalid: [
      { sql: 'SELECT 1;\nCREATE UNIQUE INDEX orders_a_idx\n  ON orders (a);', lines: [2] },
      { name: 'schema-qualified existing table', sql: 'CREATE TABLE t (a int);\nCREATE INDEX i ON app.t (a);', lines: [2] },
    ],
  },
  'require-concurrent-index-deletion': {
    valid: [
      { sql: 'DROP INDEX CONCURRENTLY orders_code_idx;' },
      { name: 'index created in this change', sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);\nDROP INDEX i;' },
    ],
    invalid: [{ sql: '\nDROP INDEX orders_code_idx;', lines: [2] }],
  },
  'ban-concurrent-index-creation-in-transaction': {
    valid: [{ sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);' }],
    invalid: [
      { name: 'file runs in a transaction', sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);', inTransaction: true, lines: [1] },
      { name: 'after an explicit BEGIN', sql: 'BEGIN;\nDROP INDEX CONCURRENTLY i;\nCOMMIT;', lines: [2] },
    ],
  },
  'adding-not-nullable-field': {
    valid: [
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;' },
      { name: 'already NOT NULL in the catalog', sql: 'ALTER TABLE orders ALTER COLUMN paid SET NOT NULL;', catalog: ordersCatalog },
      { name: 'validated CHECK in the catalog (PG 12+)', sql: 'ALTER TABLE orders ALTER COLUMN note SET NOT NULL;', catalog: ordersCatalog },
      {
        name: 'CHECK validated earlier in the change',
        sql: [
          { sql: 'ALTER TABLE orders ADD CONSTRAINT c CHECK (code IS NOT NULL) NOT VALID;' },
          { sql: 'ALTER TABLE orders VALIDATE CONSTRAINT c;\nALTER TABLE orders ALTER COLUMN code SET NOT NULL;' },
        ],
      },
      { name: 'PG 18 NOT NULL … NOT VALID', sql: 'ALTER TABLE orders ADD CONSTRAINT nn NOT NULL code NOT VALID;', version: 18 },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders\n  ALTER COLUMN code SET NOT NULL;', lines: [2] },
      { name: 'validated CHECK does not help before PG 12', sql: 'ALTER TABLE orders ALTER COLUMN note SET NOT NULL;', catalog: ordersCatalog, version: 11, lines: [1] },
      { name: 'PG 18 NOT NULL constraint without NOT VALID', sql: 'ALTER TABLE orders ADD CONSTRAINT nn NOT NULL code;', version: 18, lines: [1] },
    ],
  },
  'adding-field-with-default': {
    valid: [
      { sql: "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';" },
      { sql: 'ALTER TABLE orders ADD COLUMN created_at timestamptz DEFAULT now();' },
      { name: 'stable catalog function', sql: 'ALTER TABLE orders ADD COLUMN region text DEFAULT default_region();', catalog: ordersCatalog },
      { name: 'volatile default on a new table', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();' },
      { name: 'virtual generated column', sql: 'ALTER TABLE orders ADD COLUMN twice numeric GENERATED ALWAYS AS (amount * 2) VIRTUAL;', version: 18 },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders\n  ADD COLUMN u uuid DEFAULT gen_random_uuid();', lines: [2] },
      { name: 'any default before PG 11', sql: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", version: 10, lines: [1] },
      { name: 'volatile catalog function', sql: 'ALTER TABLE orders ADD COLUMN c text DEFAULT next_code();', catalog: ordersCatalog, lines: [1] },
      { name: 'volatile function created earlier in the change', sql: "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';\nALTER TABLE orders ADD COLUMN c int DEFAULT f();", catalog: ordersCatalog, lines: [2] },
      { name: 'serial column', sql: 'ALTER TABLE orders ADD COLUMN seq bigserial;', lines: [1] },
      { name: 'stored generated column', sql: 'ALTER TABLE orders ADD COLUMN twice numeric GENERATED ALWAYS AS (amount * 2) STORED;', lines: [1] },
    ],
  },
  'adding-foreign-key-constraint': {
    valid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;' },
      { name: 'new table', sql: 'CREATE TABLE t (c int);\nALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id);' },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id);', lines: [1] },
      { name: 'column with REFERENCES', sql: 'ALTER TABLE orders\n  ADD COLUMN customer_id bigint REFERENCES customers (id);', lines: [2] },
    ],
  },
  'constraint-missing-not-valid': {
    valid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;' },
      { name: 'VALIDATE in a separate autocommit file', sql: [{ sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;', inTransaction: true }, { sql: 'ALTER TABLE orders VALIDATE CONSTRAINT pos;', inTransaction: true }] },
      { name: 'foreign keys belong to adding-foreign-key-constraint', sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id);' },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0);', lines: [1] },
      { name: 'VALIDATE in the same transaction', sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT pos;', inTransaction: true, lines: [2] },
    ],
  },
  'changing-column-type': {
    valid: [
      { name: 'widening varchar', sql: 'ALTER TABLE orders ALTER COLUMN code TYPE varchar(50);', catalog: ordersCatalog },
      { name: 'varchar to text', sql: 'ALTER TABLE orders ALTER COLUMN code TYPE text;', catalog: ordersCatalog },
      { name: 'widening numeric precision', sql: 'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2);', catalog: ordersCatalog },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;' },
    ],
    invalid: [
      { name: 'no catalog: cannot tell', sql: 'ALTER TABLE orders ALTER COLUMN code TYPE varchar(50);', lines: [1] },
      { name: 'narrowing varchar', sql: 'ALTER TABLE orders ALTER COLUMN code TYPE varchar(10);', catalog: ordersCatalog, lines: [1] },
      { name: 'changing numeric scale', sql: 'ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,4);', catalog: ordersCatalog, lines: [1] },
      { sql: 'ALTER TABLE orders ALTER COLUMN id TYPE int;', catalog: ordersCatalog, lines: [1] },
    ],
  },
  'renaming-column': {
    valid: [{ sql: 'CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;' }],
    invalid: [{ sql: 'ALTER TABLE orders RENAME COLUMN code TO ref;', lines: [1] }],
  },
  'renaming-table': {
    valid: [{ sql: 'CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;' }],
    invalid: [{ sql: 'ALTER TABLE orders RENAME TO purchases;', lines: [1] }],
  },
  'ban-drop-column': {
    valid: [{ sql: 'CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;' }],
    invalid: [{ sql: 'ALTER TABLE orders\n  ADD COLUMN x int,\n  DROP COLUMN note;', lines: [3] }],
  },
  'ban-drop-table': {
    valid: [{ sql: 'CREATE TABLE t (a int);\nDROP TABLE t;' }],
    invalid: [{ sql: 'CREATE TABLE t (a int);\nDROP TABLE t, orders;', lines: [2] }],
  },
  'disallowed-unique-constraint': {
    valid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT u UNIQUE USING INDEX orders_code_idx;' },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT u UNIQUE (a);' },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT u UNIQUE (code);', lines: [1] },
      { name: 'column added UNIQUE', sql: 'ALTER TABLE orders ADD COLUMN ref text UNIQUE;', lines: [1] },
    ],
  },
  'require-timeout-settings': {
    valid: [
      { sql: "SET lock_timeout = '3s';\nALTER TABLE orders ADD COLUMN x int;" },
      { sql: "SELECT set_config('lock_timeout', '3s', false);\nALTER TABLE orders ADD COLUMN x int;" },
      { name: 'only new tables', sql: 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);' },
      { name: 'concurrent index', sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);' },
    ],
    invalid: [
      { name: 'reported once, at the first blocking statement', sql: 'CREATE TABLE t (a int);\nALTER TABLE orders ADD COLUMN x int;\nALTER TABLE orders ADD COLUMN y int;', lines: [2] },
      { name: 'a timeout of 0 disables it', sql: 'SET lock_timeout = 0;\nDROP TABLE orders;', lines: [2] },
    ],
  },
  'prefer-bigint-over-int': {
    valid: [
      { sql: 'CREATE TABLE t (id bigint PRIMARY KEY, qty int);' },
      { sql: 'CREATE TABLE t (id bigserial PRIMARY KEY);' },
    ],
    invalid: [
      { sql: 'CREATE TABLE t (\n  id serial PRIMARY KEY,\n  customer_id integer\n);', lines: [2, 3] },
      { name: 'table-level primary key', sql: 'CREATE TABLE t (k int4, PRIMARY KEY (k));', lines: [1] },
      { name: 'added column', sql: 'ALTER TABLE orders ADD COLUMN shop_id int;', lines: [1] },
    ],
  },
  'prefer-bigint-over-smallint': {
    valid: [{ sql: 'CREATE TABLE t (id bigint PRIMARY KEY, rank smallint);' }],
    invalid: [{ sql: 'CREATE TABLE t (id smallserial PRIMARY KEY);', lines: [1] }],
  },
  'prefer-text-field': {
    valid: [{ sql: 'CREATE TABLE t (name text, code varchar);' }],
    invalid: [
      { sql: 'CREATE TABLE t (\n  name character varying(40)\n);', lines: [2] },
      { sql: 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(10);', lines: [1] },
    ],
  },
  'prefer-timestamptz': {
    valid: [{ sql: 'CREATE TABLE t (at timestamptz, on_day date);' }],
    invalid: [{ sql: 'CREATE TABLE t (a timestamp, b timestamp(3) without time zone);', lines: [1, 1] }],
  },
  'ban-char-field': {
    valid: [{ sql: 'CREATE TABLE t (code text, flag "char");' }],
    invalid: [{ sql: 'CREATE TABLE t (\n  code char(3),\n  c2 character(2)\n);', lines: [2, 3] }],
  },
  'ban-drop-database': {
    valid: [{ sql: 'DROP TABLE t;' }],
    invalid: [{ sql: 'SELECT 1;\nDROP DATABASE shop;', lines: [2] }],
  },
  'ban-truncate-cascade': {
    valid: [{ sql: 'TRUNCATE orders, order_items;' }],
    invalid: [{ sql: 'TRUNCATE orders CASCADE;', lines: [1] }],
  },
  'prefer-identity': {
    valid: [{ sql: 'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);' }],
    invalid: [{ sql: 'CREATE TABLE t (id bigserial PRIMARY KEY);', lines: [1] }],
  },
};

function files(c: Case): FileSpec[] {
  return typeof c.sql === 'string' ? [{ sql: c.sql, inTransaction: c.inTransaction }] : c.sql;
}

async function findingsOf(rule: string, c: Case) {
  const config = c.version ? { 'postgres-version': c.version } : {};
  const all = await lint(files(c), { config, catalog: c.catalog });
  return all.filter((f) => f.rule === rule);
}

for (const [rule, cases] of Object.entries(table)) {
  describe(rule, () => {
    for (const c of cases.valid) {
      it(`valid: ${c.name ?? JSON.stringify(c.sql)}`, async () => {
        expect(await findingsOf(rule, c)).toEqual([]);
      });
    }
    for (const c of cases.invalid) {
      it(`invalid: ${c.name ?? JSON.stringify(c.sql)}`, async () => {
        const found = await findingsOf(rule, c);
        expect(found.map((f) => f.line)).toEqual(c.lines);
        for (const f of found) {
          expect(f.source).toBe('lint');
          expect(f.message.length).toBeGreaterThan(20);
          expect(f.fingerprint).toMatch(/^[0-9a-f]{16}$/);
        }
      });
    }
  });
}

export const ruleTable = table;
