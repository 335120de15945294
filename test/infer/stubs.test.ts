// The stub planner on its own: what it creates for each "does not exist", from the error and the AST.
import { describe, expect, it } from 'vitest';
import { columnTypeFromUse, namesCreatedBy, planStub, type StubContext } from '../../src/infer/stubs.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { ParsedStatement } from '../../src/types.js';

async function statement(sql: string): Promise<ParsedStatement> {
  return (await parseMigrationSql(sql, 'x.sql')).statements[0]!;
}

function context(tables: Record<string, Record<string, string>> = {}, stubs: string[] = []): StubContext {
  return {
    stubs: new Set(stubs),
    createdByChange: new Set(),
    columnType: async (table, column) => tables[table]?.[column],
    resolveTable: async ({ schema, name }) => {
      const key = `${schema ?? 'public'}.${name}`;
      return key in tables ? key : undefined;
    },
  };
}

describe('planStub', () => {
  it('a missing table: its schema, the columns the statement names, typed by their use', async () => {
    const s = await statement('DELETE FROM app.queue WHERE attempt >= 5');
    const plan = await planStub(s, { sqlstate: '42P01', message: 'relation "app.queue" does not exist' }, context());
    expect(plan?.sql).toEqual(['CREATE SCHEMA IF NOT EXISTS app', 'CREATE TABLE IF NOT EXISTS app.queue ()']);
    const column = await planStub(s, { sqlstate: '42703', message: 'column "attempt" does not exist' }, context({ 'app.queue': {} }, ['app.queue']));
    expect(column?.sql).toEqual(['ALTER TABLE app.queue ADD COLUMN IF NOT EXISTS attempt bigint']);
  });

  it('a referenced table gets the referenced key, typed like the referencing column', async () => {
    const s = await statement('ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id)');
    const plan = await planStub(s, { sqlstate: '42P01', message: 'relation "customers" does not exist' }, context({ 'public.orders': { customer_id: 'bigint' } }));
    expect(plan?.sql).toEqual(['CREATE TABLE IF NOT EXISTS public.customers (id bigint, PRIMARY KEY (id))']);
  });

  it('a column named on a relation written without its schema in the message', async () => {
    const s = await statement('ALTER TABLE auth.flow_state ALTER COLUMN code DROP NOT NULL');
    const plan = await planStub(s, { sqlstate: '42703', message: 'column "code" of relation "flow_state" does not exist' }, context({ 'auth.flow_state': {} }, ['auth.flow_state']));
    expect(plan?.sql).toEqual(['ALTER TABLE auth.flow_state ADD COLUMN IF NOT EXISTS code text']);
  });

  it('functions, types and schemas', async () => {
    const trigger = await statement('CREATE TRIGGER t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch()');
    expect((await planStub(trigger, { sqlstate: '42883', message: 'function touch() does not exist' }, context()))?.sql).toEqual([
      'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $pgpro_stub$ BEGIN RETURN NEW; END $pgpro_stub$',
    ]);
    const enumAdd = await statement("ALTER TYPE mood ADD VALUE 'great'");
    expect((await planStub(enumAdd, { sqlstate: '42704', message: 'type "mood" does not exist' }, context()))?.sql).toEqual(['CREATE TYPE mood AS ENUM ()']);
    const column = await statement('ALTER TABLE orders ADD COLUMN m mood');
    expect((await planStub(column, { sqlstate: '42704', message: 'type "mood" does not exist' }, context()))?.sql).toEqual(['CREATE DOMAIN mood AS text']);
    expect((await planStub(column, { sqlstate: '3F000', message: 'schema "billing" does not exist' }, context()))?.sql).toEqual(['CREATE SCHEMA IF NOT EXISTS billing']);
  });

  it('never stubs what the change creates itself, nor errors it cannot read', async () => {
    const s = await statement('ALTER TABLE audit ADD COLUMN x int');
    const ctx = { ...context(), createdByChange: namesCreatedBy([await statement('CREATE TABLE audit (id int)')]) };
    expect(await planStub(s, { sqlstate: '42P01', message: 'relation "audit" does not exist' }, ctx)).toBeUndefined();
    expect(await planStub(s, { sqlstate: '42883', message: 'operator does not exist: text >= integer' }, context())).toBeUndefined();
  });
});

describe('columnTypeFromUse', () => {
  it('reads the type of a constant the column is compared with or set to', async () => {
    expect(columnTypeFromUse((await statement("UPDATE t SET paid = true, note = 'x' WHERE 2.5 < score")).ast, 'paid')).toBe('boolean');
    expect(columnTypeFromUse((await statement("UPDATE t SET paid = true, note = 'x' WHERE 2.5 < score")).ast, 'score')).toBe('numeric');
    expect(columnTypeFromUse((await statement("UPDATE t SET paid = true, note = 'x' WHERE 2.5 < score")).ast, 'note')).toBe('text');
    expect(columnTypeFromUse((await statement('UPDATE t SET a = b')).ast, 'a')).toBeUndefined();
  });
});

describe('enum labels', () => {
  it('a label a stubbed enum lacks, named by ADD VALUE … AFTER, is added first', async () => {
    const s = await statement("ALTER TYPE build_status ADD VALUE IF NOT EXISTS 'partial' AFTER 'failure'");
    const error = { sqlstate: '22023', message: '"failure" is not an existing enum label' };
    expect((await planStub(s, error, context({}, ['public.build_status'])))?.sql).toEqual([
      "ALTER TYPE build_status ADD VALUE IF NOT EXISTS 'failure'",
    ]);
    expect(await planStub(s, error, context())).toBeUndefined(); // a real enum from the history: the migration's error
  });
});
