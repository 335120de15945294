import { describe, expect, it } from 'vitest';
import type { CatalogSnapshot } from '../../src/types.js';
import { rules } from '../../src/rules/index.js';
import { emptyCatalog, lint, type FileSpec } from './helpers.js';

interface Case {
  sql: string | FileSpec[];
  inTransaction?: boolean;
  version?: number;
  catalog?: CatalogSnapshot;
  /** Config `assume-in-transaction`: overrides the file's mode. */
  assumeInTransaction?: boolean;
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

// A partitioned table, a partition with and without a validated CHECK, and a foreign key served by one full index.
const shopCatalog = emptyCatalog({
  tables: [
    { schema: 'public', name: 'events', partitioned: true, estimatedRows: 0, columns: [], indexes: [], constraints: [] },
    { schema: 'public', name: 'events_2024', estimatedRows: 5000, columns: [], indexes: [], constraints: [] },
    {
      schema: 'public', name: 'events_2025', estimatedRows: 5000, columns: [], indexes: [],
      constraints: [{ name: 'events_2025_bound', type: 'c', definition: "CHECK (at >= '2025-01-01')", validated: true, columns: ['at'] }],
    },
    {
      schema: 'public', name: 'purchases', estimatedRows: 8000,
      columns: [
        { name: 'id', type: 'bigint', notNull: true },
        { name: 'item_id', type: 'bigint', notNull: false },
        { name: 'shop_id', type: 'bigint', notNull: true },
        { name: 'code', type: 'text', notNull: false },
      ],
      indexes: [
        { name: 'purchases_shop_idx', definition: 'CREATE INDEX purchases_shop_idx ON public.purchases USING btree (shop_id)', unique: false, primary: false, columns: ['shop_id'], valid: true },
        { name: 'purchases_code_key', definition: 'CREATE UNIQUE INDEX purchases_code_key ON public.purchases USING btree (code)', unique: true, primary: false, columns: ['code'], valid: true },
        { name: 'purchases_id_key', definition: 'CREATE UNIQUE INDEX purchases_id_key ON public.purchases USING btree (id)', unique: true, primary: false, columns: ['id'], valid: true },
      ],
      constraints: [
        { name: 'purchases_item_fk', type: 'f', definition: 'FOREIGN KEY (item_id) REFERENCES items(id)', validated: true, columns: ['item_id'], references: 'public.items' },
        { name: 'purchases_shop_fk', type: 'f', definition: 'FOREIGN KEY (shop_id) REFERENCES shops(id)', validated: true, columns: ['shop_id'], references: 'public.shops' },
      ],
    },
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
      // Indexes the change created under another name: through a constraint, or renamed since.
      { name: 'index of a UNIQUE column of a new table', sql: 'CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE);\nDROP INDEX t_code_key;' },
      { name: 'index of a new primary key', sql: 'CREATE TABLE t (id int PRIMARY KEY);\nDROP INDEX t_pkey;' },
      { name: 'index of a named UNIQUE constraint', sql: 'ALTER TABLE orders ADD CONSTRAINT orders_code_uq UNIQUE (code);\nDROP INDEX orders_code_uq;' },
      { name: 'index renamed with ALTER INDEX', sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);\nALTER INDEX i RENAME TO j;\nDROP INDEX j;' },
      {
        name: 'constraint renamed with its index',
        sql: 'ALTER TABLE orders ADD CONSTRAINT u1 UNIQUE (code);\nALTER TABLE orders RENAME CONSTRAINT u1 TO u2;\nDROP INDEX u2;',
      },
      {
        name: 'index attached as a constraint (USING INDEX)',
        sql: 'CREATE UNIQUE INDEX CONCURRENTLY i ON orders (code);\nALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX i;\nDROP INDEX orders_code_key;',
      },
    ],
    invalid: [
      { sql: '\nDROP INDEX orders_code_idx;', lines: [2] },
      {
        name: 'an existing index attached as a constraint is not new',
        sql: 'ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_idx;\nDROP INDEX orders_code_key;',
        lines: [2],
      },
    ],
  },
  'ban-concurrent-index-creation-in-transaction': {
    valid: [
      { sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);' },
      { name: 'between COMMIT and BEGIN of a file the tool wraps', sql: 'COMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nBEGIN;', inTransaction: true },
      { name: 'after the explicit block is committed', sql: 'BEGIN;\nSELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (a);' },
      { name: 'REINDEX (CONCURRENTLY false) is a plain REINDEX', sql: 'REINDEX (CONCURRENTLY false) INDEX orders_code_idx;', inTransaction: true },
    ],
    invalid: [
      { name: 'file runs in a transaction', sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);', inTransaction: true, lines: [1] },
      { name: 'after an explicit BEGIN', sql: 'BEGIN;\nDROP INDEX CONCURRENTLY i;\nCOMMIT;', lines: [2] },
      { name: 'after COMMIT … BEGIN reopened a block', sql: 'COMMIT;\nBEGIN;\nCREATE INDEX CONCURRENTLY i ON orders (a);', inTransaction: true, lines: [3] },
      { name: 'REINDEX (CONCURRENTLY on)', sql: 'REINDEX (CONCURRENTLY on) INDEX orders_code_idx;', inTransaction: true, lines: [1] },
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
      { name: 'stable built-in with a schema read', sql: "ALTER TABLE orders ADD COLUMN c text DEFAULT format('%s-%s', 'a', 'b');", catalog: ordersCatalog },
      { name: 'stable built-in without a schema', sql: "ALTER TABLE orders ADD COLUMN c text DEFAULT to_char(now(), 'YYYY');" },
      { name: 'schema-qualified built-in', sql: 'ALTER TABLE orders ADD COLUMN c timestamptz DEFAULT pg_catalog.now();', catalog: ordersCatalog },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders\n  ADD COLUMN u uuid DEFAULT gen_random_uuid();', lines: [2] },
      { name: 'any default before PG 11', sql: "ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';", version: 10, lines: [1] },
      { name: 'volatile catalog function', sql: 'ALTER TABLE orders ADD COLUMN c text DEFAULT next_code();', catalog: ordersCatalog, lines: [1] },
      { name: 'function the schema does not define', sql: 'ALTER TABLE orders ADD COLUMN c text DEFAULT make_code();', catalog: ordersCatalog, lines: [1] },
      { name: 'a built-in name in another schema is not the built-in', sql: 'ALTER TABLE orders ADD COLUMN c text DEFAULT app.format();', catalog: ordersCatalog, lines: [1] },
      { name: 'volatile built-in beyond the common ones', sql: 'ALTER TABLE orders ADD COLUMN c int[] DEFAULT array_shuffle(ARRAY[1, 2]);', catalog: ordersCatalog, lines: [1] },
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
      {
        name: 'COMMIT between ADD … NOT VALID and VALIDATE (explicit blocks)',
        sql: 'BEGIN;\nALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT pos;\nCOMMIT;',
      },
      {
        name: 'COMMIT … BEGIN in a file the tool wraps',
        sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT pos;',
        inTransaction: true,
      },
      { name: 'autocommit file: each statement commits', sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT pos;' },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0);', lines: [1] },
      {
        name: 'VALIDATE inside the explicit block that added it',
        sql: 'BEGIN;\nALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT pos;\nCOMMIT;',
        lines: [3],
      },
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
      { name: 'binary-coercible, but a CHECK on the column is re-validated', sql: 'ALTER TABLE orders ALTER COLUMN note TYPE varchar;', catalog: ordersCatalog, lines: [1] },
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
      { name: 'plain VACUUM takes no blocking lock', sql: 'VACUUM (FULL false) orders;' },
      { name: 'concurrent reindex and refresh', sql: 'REINDEX INDEX CONCURRENTLY orders_code_idx;\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;' },
    ],
    invalid: [
      { name: 'reported once, at the first blocking statement', sql: 'CREATE TABLE t (a int);\nALTER TABLE orders ADD COLUMN x int;\nALTER TABLE orders ADD COLUMN y int;', lines: [2] },
      { name: 'a timeout of 0 disables it', sql: 'SET lock_timeout = 0;\nDROP TABLE orders;', lines: [2] },
      { name: 'REINDEX with CONCURRENTLY off', sql: 'REINDEX (CONCURRENTLY false) INDEX orders_code_idx;', lines: [1] },
      { name: 'VACUUM FULL', sql: 'VACUUM FULL orders;', lines: [1] },
      { name: 'CLUSTER', sql: 'CLUSTER orders USING orders_pkey;', lines: [1] },
      { name: 'REFRESH MATERIALIZED VIEW', sql: 'REFRESH MATERIALIZED VIEW daily_totals;', lines: [1] },
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
      { name: 'array of keys', sql: 'CREATE TABLE t (parent_id int[]);', lines: [1] },
      { name: 'added column', sql: 'ALTER TABLE orders ADD COLUMN shop_id int;', lines: [1] },
    ],
  },
  'prefer-bigint-over-smallint': {
    valid: [{ sql: 'CREATE TABLE t (id bigint PRIMARY KEY, rank smallint);' }],
    invalid: [
      { sql: 'CREATE TABLE t (id smallserial PRIMARY KEY);', lines: [1] },
      { name: 'array of keys', sql: 'ALTER TABLE orders ADD COLUMN group_id smallint[];', lines: [1] },
    ],
  },
  'prefer-text-field': {
    valid: [{ sql: 'CREATE TABLE t (name text, code varchar);' }],
    invalid: [
      { sql: 'CREATE TABLE t (\n  name character varying(40)\n);', lines: [2] },
      { sql: 'ALTER TABLE orders ALTER COLUMN note TYPE varchar(10);', lines: [1] },
      { name: 'array', sql: 'CREATE TABLE t (tags varchar(20)[]);', lines: [1] },
      { name: 'array written with ARRAY', sql: 'ALTER TABLE orders ADD COLUMN tags character varying(20) ARRAY;', lines: [1] },
    ],
  },
  'prefer-timestamptz': {
    valid: [{ sql: 'CREATE TABLE t (at timestamptz, on_day date);' }],
    invalid: [
      { sql: 'CREATE TABLE t (a timestamp, b timestamp(3) without time zone);', lines: [1, 1] },
      { name: 'array', sql: 'CREATE TABLE t (\n  seen timestamp[]\n);', lines: [2] },
    ],
  },
  'ban-char-field': {
    valid: [{ sql: 'CREATE TABLE t (code text, flag "char");' }],
    invalid: [
      { sql: 'CREATE TABLE t (\n  code char(3),\n  c2 character(2)\n);', lines: [2, 3] },
      { name: 'array', sql: 'ALTER TABLE orders ADD COLUMN codes char(3)[];', lines: [1] },
    ],
  },
  'ban-drop-database': {
    valid: [{ sql: 'DROP TABLE t;' }],
    invalid: [{ sql: 'SELECT 1;\nDROP DATABASE shop;', lines: [2] }],
  },
  'ban-truncate-cascade': {
    valid: [{ sql: 'TRUNCATE orders, order_items;' }],
    invalid: [{ sql: 'TRUNCATE orders CASCADE;', lines: [1] }],
  },
  'adding-serial-primary-key-field': {
    valid: [
      { name: 'USING INDEX built concurrently', sql: 'ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_pkey_idx;' },
      { name: 'new table', sql: 'CREATE TABLE t (id bigint);\nALTER TABLE t ADD PRIMARY KEY (id);' },
      { name: 'USING INDEX on NOT NULL columns', sql: 'ALTER TABLE purchases ADD PRIMARY KEY USING INDEX purchases_id_key;', catalog: shopCatalog },
      {
        name: 'USING INDEX after SET NOT NULL in the file',
        sql: 'ALTER TABLE purchases ALTER COLUMN code SET NOT NULL;\nALTER TABLE purchases ADD PRIMARY KEY USING INDEX purchases_code_key;',
        catalog: shopCatalog,
      },
    ],
    invalid: [
      {
        name: 'USING INDEX on a nullable column scans for NULLs',
        sql: 'ALTER TABLE purchases ADD CONSTRAINT purchases_pkey PRIMARY KEY USING INDEX purchases_code_key;',
        catalog: shopCatalog,
        lines: [1],
      },
      { sql: 'ALTER TABLE orders\n  ADD PRIMARY KEY (id);', lines: [2] },
      { name: 'column added as PRIMARY KEY', sql: 'ALTER TABLE orders ADD COLUMN id2 bigint PRIMARY KEY;', lines: [1] },
    ],
  },
  'adding-required-field': {
    valid: [
      { sql: "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';" },
      { sql: 'ALTER TABLE orders ADD COLUMN note2 text;' },
      { name: 'identity fills existing rows', sql: 'ALTER TABLE orders ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY;' },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;' },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders\n  ADD COLUMN status text NOT NULL;', lines: [2] },
      { name: 'DEFAULT NULL does not count', sql: 'ALTER TABLE orders ADD COLUMN s text NOT NULL DEFAULT NULL;', lines: [1] },
    ],
  },
  'ban-alter-domain-with-add-constraint': {
    valid: [
      { sql: 'ALTER DOMAIN positive SET NOT NULL;' },
      { name: 'NOT VALID skips the scan', sql: 'ALTER DOMAIN positive ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;' },
    ],
    invalid: [{ sql: 'ALTER DOMAIN positive ADD CONSTRAINT pos CHECK (VALUE > 0);', lines: [1] }],
  },
  'ban-create-domain-with-constraint': {
    valid: [{ sql: 'CREATE DOMAIN email AS text;' }, { sql: 'CREATE DOMAIN email AS text NOT NULL;' }],
    invalid: [{ sql: 'CREATE DOMAIN positive AS int\n  CHECK (VALUE > 0);', lines: [2] }],
  },
  'ban-drop-not-null': {
    valid: [{ sql: 'CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;' }],
    invalid: [{ sql: 'ALTER TABLE orders\n  ALTER COLUMN paid DROP NOT NULL;', lines: [2] }],
  },
  'prefer-robust-stmts': {
    valid: [
      { name: 'in a transaction a failure rolls back', sql: 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);', inTransaction: true },
      { name: 'assume-in-transaction overrides autocommit', sql: 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);', assumeInTransaction: true },
      { name: 'explicit BEGIN … COMMIT', sql: 'BEGIN;\nCREATE TABLE t (a int);\nALTER TABLE orders ADD COLUMN x int;\nCOMMIT;' },
      { name: 'a single statement fails whole', sql: 'CREATE TABLE t (a int);' },
      { name: 'already robust', sql: 'CREATE TABLE IF NOT EXISTS t (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nDROP TABLE IF EXISTS u;\nALTER TABLE orders ADD COLUMN IF NOT EXISTS x int;' },
      { name: 'temporary table dropped on commit', sql: 'CREATE TEMP TABLE scratch (a int) ON COMMIT DROP;\nINSERT INTO scratch VALUES (1);' },
      {
        name: 'constraint dropped if it exists first',
        sql: 'ALTER TABLE orders DROP CONSTRAINT IF EXISTS pos;\nALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;',
      },
    ],
    invalid: [
      { sql: 'CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i ON orders (a);\nDROP INDEX CONCURRENTLY j;\nALTER TABLE orders ADD COLUMN x int;', lines: [1, 2, 3, 4] },
      { name: 'assume-in-transaction: false overrides a transactional file', sql: 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);', inTransaction: true, assumeInTransaction: false, lines: [1, 2] },
      {
        name: 'constraints added and dropped',
        sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders DROP CONSTRAINT old_pos;',
        lines: [1, 2],
      },
      { name: 'a temporary table kept for the session', sql: 'CREATE TEMP TABLE scratch (a int);\nINSERT INTO scratch VALUES (1);', lines: [1] },
      {
        name: 'one DROP IF EXISTS covers one ADD of the name',
        sql: 'ALTER TABLE orders DROP CONSTRAINT IF EXISTS pos;\nALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 1) NOT VALID;',
        lines: [3],
      },
      { name: 'after COMMIT ends the tool transaction', sql: 'COMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nBEGIN;', inTransaction: true, lines: [2] },
    ],
  },
  'transaction-nesting': {
    valid: [
      { name: 'BEGIN … COMMIT in an autocommit file', sql: 'BEGIN;\nALTER TABLE orders ADD COLUMN x int;\nCOMMIT;' },
      { name: 'no explicit transaction in a transactional file', sql: 'ALTER TABLE orders ADD COLUMN x int;', inTransaction: true },
      { name: 'two BEGIN … COMMIT blocks', sql: 'BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nROLLBACK;' },
    ],
    invalid: [
      { name: 'BEGIN in a file the tool wraps', sql: 'BEGIN;\nALTER TABLE orders ADD COLUMN x int;\nCOMMIT;', inTransaction: true, lines: [1] },
      { name: 'assume-in-transaction makes the same file nested', sql: 'BEGIN;\nSELECT 1;\nCOMMIT;', assumeInTransaction: true, lines: [1] },
      { name: 'COMMIT ends the tool transaction early', sql: 'ALTER TABLE orders ADD COLUMN x int;\nCOMMIT;', inTransaction: true, lines: [2] },
      { name: 'BEGIN inside BEGIN', sql: 'BEGIN;\nSELECT 1;\nBEGIN;\nCOMMIT;', lines: [3] },
      { name: 'nested BEGIN closed twice: one finding', sql: 'BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;', lines: [2] },
      { name: 'a stray second COMMIT', sql: 'BEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;', lines: [4] },
      { name: 'COMMIT with no BEGIN in an autocommit file', sql: 'SELECT 1;\nCOMMIT;', lines: [2] },
      {
        name: 'COMMIT … BEGIN in a file the tool wraps: one finding, at the COMMIT',
        sql: 'ALTER TABLE orders ADD COLUMN x int;\nCOMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (x);\nBEGIN;\nSELECT 1;',
        inTransaction: true,
        lines: [2],
      },
    ],
  },
  'ban-uncommitted-transaction': {
    valid: [
      { sql: 'BEGIN;\nSELECT 1;\nCOMMIT;' },
      { sql: 'START TRANSACTION;\nSELECT 1;\nROLLBACK;' },
      { name: 'a nested BEGIN is closed by the first COMMIT', sql: 'BEGIN;\nSELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;' },
      { name: 'BEGIN reopened after COMMIT in a file the tool wraps', sql: 'COMMIT;\nCREATE INDEX CONCURRENTLY i ON orders (a);\nBEGIN;', inTransaction: true },
    ],
    invalid: [
      { sql: 'SELECT 1;\nBEGIN;\nALTER TABLE orders ADD COLUMN x int;', lines: [2] },
      { name: 'second BEGIN left open', sql: 'BEGIN;\nCOMMIT;\nBEGIN;\nSELECT 1;', lines: [3] },
    ],
  },
  'require-enum-value-ordering': {
    valid: [{ sql: "ALTER TYPE status ADD VALUE 'paused' BEFORE 'done';" }, { sql: "ALTER TYPE status ADD VALUE 'paused' AFTER 'active';" }],
    invalid: [{ sql: "ALTER TYPE status ADD VALUE 'paused';", lines: [1] }],
  },
  'require-concurrent-reindex': {
    valid: [
      { sql: 'REINDEX INDEX CONCURRENTLY orders_code_idx;' },
      { sql: 'REINDEX TABLE CONCURRENTLY orders;' },
      { sql: 'REINDEX (CONCURRENTLY) TABLE orders;' },
      { sql: 'REINDEX (CONCURRENTLY true, VERBOSE) TABLE orders;' },
      { name: 'table created in this change', sql: 'CREATE TABLE t (a int);\nREINDEX TABLE t;' },
    ],
    invalid: [
      { sql: 'REINDEX INDEX orders_code_idx;', lines: [1] },
      { name: 'before PG 12 there is no CONCURRENTLY', sql: 'REINDEX TABLE orders;', version: 11, lines: [1] },
      { name: 'CONCURRENTLY switched off', sql: 'REINDEX (CONCURRENTLY false) TABLE orders;', lines: [1] },
      { name: 'CONCURRENTLY 0', sql: 'REINDEX (VERBOSE, CONCURRENTLY 0) INDEX orders_code_idx;', lines: [1] },
    ],
  },
  'require-concurrent-partition-detach': {
    valid: [
      { sql: 'ALTER TABLE events DETACH PARTITION events_2020 CONCURRENTLY;' },
      { name: 'new table', sql: 'CREATE TABLE e (a int) PARTITION BY RANGE (a);\nALTER TABLE e DETACH PARTITION e1;' },
    ],
    invalid: [
      { sql: 'ALTER TABLE events\n  DETACH PARTITION events_2020;', lines: [2] },
      { name: 'PG 13 (no CONCURRENTLY yet)', sql: 'ALTER TABLE events DETACH PARTITION events_2020;', version: 13, lines: [1] },
    ],
  },
  'prefer-repack': {
    valid: [
      { sql: 'VACUUM orders;' },
      { sql: 'VACUUM (ANALYZE) orders;' },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nCLUSTER t USING i;' },
      { name: 'FULL false', sql: 'VACUUM (FULL false) orders;' },
      { name: 'FULL off', sql: 'VACUUM (FULL off, ANALYZE) orders;' },
      { name: 'FULL 0', sql: 'VACUUM (FULL 0) orders;' },
    ],
    invalid: [
      { sql: 'VACUUM FULL orders;', lines: [1] },
      { sql: 'VACUUM (FULL, ANALYZE) orders;', lines: [1] },
      { name: 'FULL true', sql: 'VACUUM (FULL true) orders;', lines: [1] },
      { name: 'FULL 1', sql: 'VACUUM (ANALYZE, FULL 1) orders;', lines: [1] },
      { sql: 'CLUSTER orders USING orders_pkey;', version: 19, lines: [1] },
    ],
  },
  'identifier-too-long': {
    valid: [
      { sql: `CREATE TABLE ${'a'.repeat(63)} (${'b'.repeat(63)} int);` },
      { name: '63 bytes of multi-byte characters', sql: `CREATE TABLE t (${'é'.repeat(31)}x int);` },
      { name: 'a quoted name of 63 bytes with an escaped quote in it', sql: `CREATE TABLE "${'a'.repeat(30)}""${'b'.repeat(32)}" (id int);` },
    ],
    invalid: [
      { sql: `CREATE TABLE t (\n  ${'c'.repeat(64)} int\n);`, lines: [2] },
      { name: 'multi-byte characters count as bytes', sql: `CREATE INDEX ${'é'.repeat(32)} ON t (a);`, lines: [1] },
      { name: 'a long name after shorter runs and punctuation', sql: `CREATE TABLE t_${'x'.repeat(15)} (\n  a$1 int, ${'d'.repeat(40)}_${'e'.repeat(30)} int\n);`, lines: [2] },
      { name: 'a quoted name of 64 bytes with an escaped quote in it', sql: `CREATE TABLE "${'a'.repeat(30)}""${'b'.repeat(33)}" (id int);`, lines: [1] },
      { name: 'a quoted name of 64 bytes beginning with escaped quotes', sql: `CREATE TABLE x."""""${'c'.repeat(62)}" (id int);`, lines: [1] },
    ],
  },
  'prefer-jsonb': {
    valid: [{ sql: 'CREATE TABLE t (doc jsonb);' }, { sql: 'ALTER TABLE orders ADD COLUMN meta jsonb;' }],
    invalid: [
      { sql: 'ALTER TABLE orders\n  ADD COLUMN meta json;', lines: [2] },
      { sql: 'CREATE TABLE t (id bigint, doc json);', lines: [1] },
    ],
  },
  'renaming-schema': {
    valid: [{ sql: 'ALTER SCHEMA app OWNER TO admin;' }],
    invalid: [{ sql: 'ALTER SCHEMA app RENAME TO core;', lines: [1] }],
  },
  'adding-enum-value-in-transaction': {
    valid: [
      { name: 'autocommit file', sql: "ALTER TYPE status ADD VALUE 'paused';", version: 11 },
      { name: 'PG 12+: in a transaction, not used later', sql: "ALTER TYPE status ADD VALUE 'paused';\nALTER TABLE orders ADD COLUMN x int;", inTransaction: true },
      { name: 'used after an explicit COMMIT', sql: "BEGIN;\nALTER TYPE status ADD VALUE 'paused';\nCOMMIT;\nUPDATE orders SET status = 'paused';" },
    ],
    invalid: [
      { name: 'before PG 12 in a transaction', sql: "ALTER TYPE status ADD VALUE 'paused';", inTransaction: true, version: 11, lines: [1] },
      { name: 'before PG 12, assume-in-transaction', sql: "ALTER TYPE status ADD VALUE 'paused';", assumeInTransaction: true, version: 11, lines: [1] },
      { name: 'PG 12+: used later in the same transaction', sql: "ALTER TYPE status ADD VALUE 'paused';\nUPDATE orders SET status = 'paused' WHERE id = 1;", inTransaction: true, lines: [1] },
    ],
  },
  'require-concurrent-refresh': {
    valid: [
      { sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;' },
      { name: 'created in this change', sql: 'CREATE MATERIALIZED VIEW m AS SELECT 1 AS a;\nREFRESH MATERIALIZED VIEW m;' },
    ],
    invalid: [{ sql: 'REFRESH MATERIALIZED VIEW daily_totals;', lines: [1] }],
  },
  'adding-exclusion-constraint': {
    valid: [{ name: 'new table', sql: 'CREATE TABLE b (r tstzrange);\nALTER TABLE b ADD CONSTRAINT no_overlap EXCLUDE USING gist (r WITH &&);' }],
    invalid: [{ sql: 'ALTER TABLE bookings\n  ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);', lines: [2] }],
  },
  'ban-lock-table': {
    valid: [
      { name: 'a mode that does not block writes', sql: 'BEGIN;\nLOCK TABLE orders IN ROW EXCLUSIVE MODE;\nCOMMIT;' },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nLOCK TABLE t;', inTransaction: true },
    ],
    invalid: [
      { name: 'in a transaction', sql: 'LOCK TABLE orders;', inTransaction: true, lines: [1] },
      { name: 'outside a transaction it fails', sql: 'LOCK TABLE orders IN SHARE MODE;', lines: [1] },
      { name: 'assume-in-transaction: false', sql: 'LOCK TABLE orders;', inTransaction: true, assumeInTransaction: false, lines: [1] },
    ],
  },
  'statement-after-access-exclusive-lock': {
    valid: [
      { name: 'autocommit: each statement commits', sql: 'ALTER TABLE orders ADD COLUMN x int;\nUPDATE orders SET x = 1;' },
      { name: 'COMMIT right after the lock', sql: "BEGIN;\nALTER TABLE orders ADD COLUMN x int;\nCOMMIT;\nSELECT 1;" },
      { name: 'only SET after the lock', sql: "ALTER TABLE orders ADD COLUMN x int;\nSET lock_timeout = '1s';", inTransaction: true },
      { name: 'SHARE lock only', sql: 'CREATE INDEX i ON orders (a);\nSELECT 1;', inTransaction: true },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders ADD COLUMN x int;\nUPDATE orders SET x = 1;\nSELECT 1;', inTransaction: true, lines: [2] },
      { name: 'assume-in-transaction', sql: 'ALTER TABLE orders ADD COLUMN x int;\nSELECT 1;', assumeInTransaction: true, lines: [2] },
      { name: 'explicit BEGIN', sql: 'BEGIN;\nALTER TABLE orders RENAME COLUMN a TO b;\nCREATE INDEX i ON customers (a);\nCOMMIT;', lines: [3] },
    ],
  },
  'syntax-newer-than-target': {
    valid: [
      { name: 'MERGE on 15', sql: 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING;', version: 15 },
      { name: 'NOT NULL … NOT VALID on 18', sql: 'ALTER TABLE orders ADD CONSTRAINT nn NOT NULL code NOT VALID;', version: 18 },
      { name: 'FK NOT VALID is old syntax', sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id) NOT VALID;', version: 10 },
      { name: 'plain CHECK and REFERENCES', sql: 'CREATE TABLE t (a int REFERENCES u, b int CHECK (b > 0), CHECK (a > b));', version: 10 },
    ],
    invalid: [
      { name: 'MERGE on 14', sql: 'SELECT 1;\nMERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DO NOTHING;', version: 14, lines: [2] },
      { name: 'NOT NULL … NOT VALID on 17', sql: 'ALTER TABLE orders ADD CONSTRAINT nn NOT NULL code NOT VALID;', version: 17, lines: [1] },
      { name: 'virtual generated column on 17 (default kind from 18)', sql: 'ALTER TABLE orders\n  ADD COLUMN twice numeric GENERATED ALWAYS AS (amount * 2);', version: 17, lines: [2] },
      { name: 'two features in one statement', sql: 'CREATE UNIQUE INDEX i ON ONLY t (a) INCLUDE (b) NULLS NOT DISTINCT;', version: 10, lines: [1, 1, 1] },
    ],
  },
  'concurrent-index-if-not-exists': {
    valid: [
      { sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);' },
      { name: 'leftover dropped first', sql: 'DROP INDEX CONCURRENTLY IF EXISTS i;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a);' },
      { name: 'a plain build fails whole', sql: 'CREATE INDEX IF NOT EXISTS i ON orders (a);' },
    ],
    invalid: [
      { sql: 'SELECT 1;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i\n  ON orders (a);', lines: [2] },
      { name: 'a different index dropped first', sql: 'DROP INDEX CONCURRENTLY IF EXISTS j;\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON orders (a);', lines: [2] },
    ],
  },
  'disabling-triggers': {
    valid: [
      { sql: 'ALTER TABLE orders DISABLE TRIGGER USER;' },
      { sql: 'ALTER TABLE orders DISABLE TRIGGER orders_audit;' },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nALTER TABLE t DISABLE TRIGGER ALL;' },
      { sql: "SET session_replication_role = 'origin';" },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders\n  DISABLE TRIGGER ALL;', lines: [1] },
      { sql: "SELECT 1;\nSET LOCAL session_replication_role TO 'replica';", lines: [2] },
      { name: 'set_config', sql: "SELECT set_config('session_replication_role', 'replica', true);", lines: [1] },
    ],
  },
  'creating-enum': {
    valid: [{ sql: "CREATE TABLE t (status text CHECK (status IN ('new', 'paid')));" }, { sql: "ALTER TYPE status ADD VALUE 'x' AFTER 'y';" }],
    invalid: [{ sql: "SELECT 1;\nCREATE TYPE status AS ENUM ('new', 'paid');", lines: [2] }],
  },
  'dropping-primary-key': {
    valid: [
      { name: 'replaced in the same statement', sql: 'ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id2_idx;' },
      {
        name: 'replaced later in the same transaction',
        sql: 'ALTER TABLE orders DROP CONSTRAINT orders_pkey;\nALTER TABLE orders ADD PRIMARY KEY USING INDEX orders_id2_idx;',
        inTransaction: true,
      },
      { name: 'not the primary key (catalog)', sql: 'ALTER TABLE orders DROP CONSTRAINT orders_note_nn;', catalog: ordersCatalog },
      { name: 'a key the change created', sql: 'CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t DROP CONSTRAINT t_pkey;' },
      { sql: 'ALTER TABLE orders REPLICA IDENTITY FULL;' },
    ],
    invalid: [
      { sql: 'ALTER TABLE orders DROP CONSTRAINT orders_pkey;', lines: [1] },
      {
        name: 'replaced after a COMMIT: a window without a key',
        sql: 'BEGIN;\nALTER TABLE orders DROP CONSTRAINT orders_pkey;\nCOMMIT;\nALTER TABLE orders ADD PRIMARY KEY USING INDEX i;',
        lines: [2],
      },
      {
        name: 'the catalog names the key',
        sql: 'ALTER TABLE orders DROP CONSTRAINT orders_id_key;',
        catalog: emptyCatalog({
          tables: [{ ...ordersCatalog.tables[0]!, constraints: [{ name: 'orders_id_key', type: 'p', definition: 'PRIMARY KEY (id)', validated: true, columns: ['id'] }] }],
        }),
        lines: [1],
      },
      { sql: 'ALTER TABLE orders REPLICA IDENTITY NOTHING;', lines: [1] },
    ],
  },
  'unbounded-data-change': {
    valid: [
      { sql: 'UPDATE orders SET paid = true WHERE id = 42;' },
      { name: 'new table', sql: 'CREATE TABLE t (a int);\nUPDATE t SET a = 1;\nDELETE FROM t;' },
      { name: 'IS NULL on a column that existed before', sql: 'UPDATE orders SET note = \'\' WHERE note IS NULL;' },
      { sql: "INSERT INTO orders (id) VALUES (1), (2);" },
      { name: 'INSERT … SELECT with a WHERE', sql: 'INSERT INTO archive SELECT * FROM orders WHERE paid;' },
    ],
    invalid: [
      { sql: 'SELECT 1;\nUPDATE orders\n  SET paid = true;', lines: [2] },
      { sql: 'DELETE FROM orders WHERE true;', lines: [1] },
      { name: 'WHERE 1 = 1', sql: 'DELETE FROM app.orders WHERE 1 = 1;', lines: [1] },
      {
        name: 'IS NULL on a column this change added',
        sql: [{ sql: 'ALTER TABLE orders ADD COLUMN region text;' }, { sql: "UPDATE orders SET region = 'eu' WHERE region IS NULL;" }],
        lines: [1],
      },
      { name: 'INSERT … SELECT of a whole table', sql: 'CREATE TABLE archive (id bigint);\nINSERT INTO archive SELECT id FROM orders;', lines: [2] },
    ],
  },
  'partitioned-table-index': {
    valid: [
      { name: 'ON ONLY the parent', sql: 'CREATE INDEX events_at_idx ON ONLY events (at);', catalog: shopCatalog },
      { name: 'a partition', sql: 'CREATE INDEX CONCURRENTLY events_2024_at_idx ON events_2024 (at);', catalog: shopCatalog },
      { name: 'no schema read: cannot tell', sql: 'CREATE INDEX events_at_idx ON events (at);' },
    ],
    invalid: [
      { sql: 'CREATE INDEX events_at_idx ON events (at);', catalog: shopCatalog, lines: [1] },
      { name: 'CONCURRENTLY fails there', sql: 'CREATE INDEX CONCURRENTLY events_at_idx ON events (at);', catalog: shopCatalog, lines: [1] },
    ],
  },
  'attach-partition-without-check': {
    valid: [
      { name: 'validated CHECK in the catalog', sql: "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');", catalog: shopCatalog },
      {
        name: 'CHECK validated earlier in the change',
        sql: [
          { sql: "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (at >= '2024-01-01' AND at < '2025-01-01') NOT VALID;" },
          { sql: "ALTER TABLE events_2024 VALIDATE CONSTRAINT b;\nALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');" },
        ],
        catalog: shopCatalog,
      },
      {
        name: 'partition created in this change',
        sql: "CREATE TABLE events_2026 (at timestamptz);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
      },
    ],
    invalid: [
      { sql: "ALTER TABLE events\n  ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');", catalog: shopCatalog, lines: [1] },
      { name: 'NOT VALID only', sql: "ALTER TABLE events_2024 ADD CONSTRAINT b CHECK (at < '2025-01-01') NOT VALID;\nALTER TABLE events ATTACH PARTITION events_2024 DEFAULT;", lines: [2] },
    ],
  },
  'partial-index-on-foreign-key': {
    valid: [
      { name: 'a full index', sql: 'CREATE INDEX CONCURRENTLY purchases_item_idx ON purchases (item_id);', catalog: shopCatalog },
      { name: 'partial, but a full index serves the key', sql: 'CREATE INDEX purchases_shop_recent ON purchases (shop_id) WHERE id > 100;', catalog: shopCatalog },
      { name: 'partial on other columns', sql: 'CREATE INDEX purchases_code_part ON purchases (code) WHERE code IS NOT NULL;', catalog: shopCatalog },
      { name: 'dropping an index no foreign key needs', sql: 'DROP INDEX CONCURRENTLY purchases_code_key;', catalog: shopCatalog },
      {
        name: 'the replacement is built first',
        sql: 'CREATE INDEX CONCURRENTLY purchases_shop_v2 ON purchases (shop_id, id);\nDROP INDEX CONCURRENTLY purchases_shop_idx;',
        catalog: shopCatalog,
      },
    ],
    invalid: [
      { sql: 'CREATE INDEX purchases_item_idx ON purchases (item_id)\n  WHERE item_id = 1;', catalog: shopCatalog, lines: [1] },
      { name: 'dropping the only index of a foreign key', sql: 'SELECT 1;\nDROP INDEX CONCURRENTLY purchases_shop_idx;', catalog: shopCatalog, lines: [2] },
    ],
  },
  'renaming-enum-value': {
    valid: [
      { sql: "ALTER TYPE status ADD VALUE 'paused' AFTER 'active';" },
      { name: 'type created in this change', sql: "CREATE TYPE s AS ENUM ('a');\nALTER TYPE s RENAME VALUE 'a' TO 'b';" },
    ],
    invalid: [{ sql: "SELECT 1;\nALTER TYPE app.status RENAME VALUE 'done' TO 'completed';", lines: [2] }],
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
  const config = {
    ...(c.version ? { 'postgres-version': c.version } : {}),
    ...(c.assumeInTransaction !== undefined ? { 'assume-in-transaction': c.assumeInTransaction } : {}),
  };
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

describe('rule table', () => {
  it('has valid and invalid cases for every registered rule', () => {
    for (const rule of rules) {
      const cases = table[rule.meta.id];
      expect(cases, rule.meta.id).toBeDefined();
      expect(cases!.valid.length, rule.meta.id).toBeGreaterThan(0);
      expect(cases!.invalid.length, rule.meta.id).toBeGreaterThan(0);
    }
  });
});

export const ruleTable = table;
