// The schema `pgpro lint` reads from the files' DDL: what each statement adds, changes or removes.
import { beforeAll, describe, expect, it } from 'vitest';
import { StaticCatalog } from '../../src/lint/static-catalog.js';
import { loadParser, parseMigrationSqlSync } from '../../src/sql/parse.js';

beforeAll(() => loadParser());

function catalogOf(...files: string[]): StaticCatalog {
  const catalog = new StaticCatalog();
  for (const [i, sql] of files.entries()) {
    const parsed = parseMigrationSqlSync(sql, `m${i}.sql`);
    expect(parsed.errors).toEqual([]);
    for (const statement of parsed.statements) catalog.apply(statement.ast);
  }
  return catalog;
}

describe('StaticCatalog', () => {
  it('reads a table: columns as format_type spells them, NOT NULL from the primary key, constraints and their indexes', () => {
    const catalog = catalogOf(`
      CREATE TABLE accounts (
        id serial PRIMARY KEY,
        email varchar(255) NOT NULL UNIQUE,
        balance numeric(12,2),
        created_at timestamptz,
        tags text[],
        owner_id bigint REFERENCES users (id),
        CONSTRAINT balance_set CHECK (balance IS NOT NULL) NOT VALID
      );`);
    expect(catalog.origin).toBe('static');
    const table = catalog.table({ relname: 'accounts' })!;
    expect(table).toMatchObject({ schema: 'public', name: 'accounts', estimatedRows: 0 });
    expect(table.columns).toEqual([
      { name: 'id', type: 'integer', notNull: true },
      { name: 'email', type: 'character varying(255)', notNull: true },
      { name: 'balance', type: 'numeric(12,2)', notNull: false },
      { name: 'created_at', type: 'timestamp with time zone', notNull: false },
      { name: 'tags', type: 'text[]', notNull: false },
      { name: 'owner_id', type: 'bigint', notNull: false },
    ]);
    expect(table.constraints.map((c) => [c.name, c.type, c.columns, c.validated, c.references])).toEqual([
      ['accounts_pkey', 'p', ['id'], true, undefined],
      ['accounts_email_key', 'u', ['email'], true, undefined],
      ['accounts_owner_id_fkey', 'f', ['owner_id'], true, 'public.users'],
      ['balance_set', 'c', [], false, undefined],
    ]);
    expect(table.constraints.find((c) => c.name === 'balance_set')!.definition).toBe('CHECK ((balance IS NOT NULL))');
    expect(table.indexes.map((i) => [i.name, i.unique, i.primary, i.columns])).toEqual([
      ['accounts_pkey', true, true, ['id']],
      ['accounts_email_key', true, false, ['email']],
    ]);
  });

  it('follows ALTER TABLE, CREATE INDEX, renames and drops across files', () => {
    const catalog = catalogOf(
      'CREATE TABLE app.orders (id bigint PRIMARY KEY, note varchar(20), state text);',
      `ALTER TABLE app.orders ADD COLUMN total integer NOT NULL DEFAULT 0, ALTER COLUMN note TYPE text, ALTER COLUMN state SET NOT NULL;
       CREATE INDEX ON app.orders (state);
       CREATE UNIQUE INDEX orders_total_idx ON app.orders (total);
       ALTER TABLE app.orders ADD CONSTRAINT total_positive CHECK (total > 0) NOT VALID;`,
      `ALTER TABLE app.orders VALIDATE CONSTRAINT total_positive;
       ALTER TABLE app.orders RENAME COLUMN state TO status;
       ALTER INDEX app.orders_total_idx RENAME TO orders_total_key;
       ALTER TABLE app.orders DROP COLUMN note;
       ALTER TABLE app.orders RENAME TO purchases;`,
    );
    expect(catalog.table({ schemaname: 'app', relname: 'orders' })).toBeUndefined();
    const table = catalog.table({ schemaname: 'app', relname: 'purchases' })!;
    expect(table.columns).toEqual([
      { name: 'id', type: 'bigint', notNull: true },
      { name: 'status', type: 'text', notNull: true },
      { name: 'total', type: 'integer', notNull: true },
    ]);
    expect(table.indexes.map((i) => [i.name, i.columns])).toEqual([
      ['orders_pkey', ['id']],
      ['orders_state_idx', ['status']], // PostgreSQL keeps an index's name when its column is renamed
      ['orders_total_key', ['total']],
    ]);
    expect(table.constraints.find((c) => c.name === 'total_positive')).toMatchObject({ validated: true });

    const dropped = catalogOf('CREATE TABLE t (id int); CREATE INDEX t_id ON t (id);', 'DROP INDEX t_id; DROP TABLE t;');
    expect(dropped.tables).toEqual([]);
  });

  it('keeps functions with their volatility, enums in declared order, and extensions', () => {
    const catalog = catalogOf(
      `CREATE EXTENSION IF NOT EXISTS pgcrypto;
       CREATE FUNCTION util.next_code() RETURNS text LANGUAGE sql AS 'SELECT 1';
       CREATE FUNCTION today_code() RETURNS text STABLE LANGUAGE sql AS 'SELECT 1';
       CREATE TYPE mood AS ENUM ('sad', 'happy');`,
      `ALTER TYPE mood ADD VALUE 'ok' AFTER 'sad';
       ALTER TYPE mood ADD VALUE 'ecstatic';
       ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';
       DROP FUNCTION util.next_code();`,
    );
    expect(catalog.extensions).toEqual(['pgcrypto']);
    expect(catalog.functions).toEqual([{ schema: 'public', name: 'today_code', volatility: 's' }]);
    expect(catalog.enums).toEqual([{ schema: 'public', name: 'mood', values: ['blue', 'ok', 'happy', 'ecstatic'] }]);
  });

  it('leaves what it does not model alone, and a table it never saw stays unknown', () => {
    const catalog = catalogOf(`ALTER TABLE elsewhere ADD COLUMN x int; DO $$ BEGIN EXECUTE 'CREATE TABLE dynamic (id int)'; END $$;`);
    expect(catalog.tables).toEqual([]);
  });
});
