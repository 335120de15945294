import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/sandbox/cluster.js';
import { dataErrorFix } from '../../src/stages/data-errors.js';
import type { ApplyError } from '../../src/types.js';

let db: PGlite;

beforeAll(async () => {
  db = await openPglite();
  await db.exec(`
    CREATE TABLE accounts (id bigint PRIMARY KEY, email text, balance int);
    INSERT INTO accounts VALUES (1, 'a@x', 5), (2, 'a@x', -3), (3, NULL, 7), (4, 'b@x', 1);
    CREATE TABLE payments (id bigint PRIMARY KEY, account_id bigint);
    INSERT INTO payments VALUES (10, 1), (11, 99), (12, NULL);
  `);
});
afterAll(() => db.close());

/** Runs the statement for real and returns the error as the sandbox reports it. */
async function failure(sql: string): Promise<ApplyError> {
  try {
    await db.exec(sql);
  } catch (error) {
    const e = error as { message: string; code?: string; detail?: string; table?: string; column?: string };
    return { message: e.message, sqlstate: e.code, detail: e.detail, table: e.table, column: e.column, line: 1 };
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('dataErrorFix', () => {
  it('gives the query that counts the NULLs a SET NOT NULL trips over, and it finds them', async () => {
    const sql = 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL';
    const fix = dataErrorFix(await failure(sql), sql);
    expect(fix?.sql).toBe('SELECT count(*) FROM accounts WHERE email IS NULL;');
    expect((await db.query<{ count: number }>(fix!.sql!)).rows[0]?.count).toBe(1);
  });

  it('tells how to add a NOT NULL column to a table with rows instead of a query', async () => {
    const sql = 'ALTER TABLE accounts ADD COLUMN tier int NOT NULL';
    const fix = dataErrorFix(await failure(sql), sql);
    expect(fix?.sql).toBeUndefined();
    expect(fix?.title).toContain('DEFAULT');
  });

  it('finds the duplicated values a new unique index trips over', async () => {
    const sql = 'CREATE UNIQUE INDEX accounts_email_key ON accounts (email)';
    const fix = dataErrorFix(await failure(sql), sql);
    expect(fix?.sql).toBe('SELECT email, count(*) FROM accounts GROUP BY email HAVING count(*) > 1 LIMIT 100;');
    expect((await db.query(fix!.sql!)).rows).toEqual([{ email: 'a@x', count: 2 }]);
  });

  it('finds the rows a new CHECK rejects', async () => {
    const sql = 'ALTER TABLE accounts ADD CONSTRAINT balance_positive CHECK (balance >= 0 AND (email IS NULL OR email <> \'\'))';
    const fix = dataErrorFix(await failure(sql), sql);
    expect(fix?.sql).toBe("SELECT * FROM accounts WHERE NOT (balance >= 0 AND (email IS NULL OR email <> '')) LIMIT 100;");
    expect((await db.query<{ id: number }>(fix!.sql!)).rows.map((r) => Number(r.id))).toEqual([2]);
  });

  it('counts the orphans a new foreign key trips over', async () => {
    const sql = 'ALTER TABLE payments ADD CONSTRAINT payments_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id)';
    const fix = dataErrorFix(await failure(sql), sql);
    expect(fix?.sql).toBe(
      'SELECT count(*) FROM payments c WHERE c.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts p WHERE p.id = c.account_id);',
    );
    expect((await db.query<{ count: number }>(fix!.sql!)).rows[0]?.count).toBe(1);
  });

  it('says nothing for errors that are not about existing rows', async () => {
    const sql = 'ALTER TABLE nowhere ADD COLUMN x int';
    expect(dataErrorFix(await failure(sql), sql)).toBeUndefined();
  });

  it('takes hostile identifiers as plain names: no pattern is built from them', async () => {
    await db.exec(`CREATE TABLE "qty(units" ("(.*a){25}!" int, "qty(units" int); INSERT INTO "qty(units" VALUES (NULL, NULL);`);
    for (const column of ['(.*a){25}!', 'qty(units']) {
      const quoted = `"${column}"`;
      const setNotNull = `ALTER TABLE "qty(units" ALTER COLUMN ${quoted} SET NOT NULL`;
      expect(dataErrorFix(await failure(setNotNull), setNotNull)?.sql).toBe(`SELECT count(*) FROM "qty(units" WHERE ${quoted} IS NULL;`);
    }
    const evil = `${'a'.repeat(40)}!`;
    const add = `ALTER TABLE "qty(units" ADD COLUMN "(.*a){25}!x" int NOT NULL -- ${evil}`;
    const fix = dataErrorFix(await failure(add), add);
    expect(fix?.title).toContain('new column (.*a){25}!x');
    expect(fix?.steps?.[0]).toContain('ADD COLUMN "(.*a){25}!x" <type> NOT NULL DEFAULT');
  });

  it('reads the names from the error fields when the message does not give them', () => {
    const error: ApplyError = { message: 'null value violates something', sqlstate: '23502', table: 'Odd (t', column: 'c)*', line: 1 };
    expect(dataErrorFix(error, 'ALTER TABLE x ALTER COLUMN y SET NOT NULL')?.sql).toBe('SELECT count(*) FROM "Odd (t" WHERE "c)*" IS NULL;');
  });
});
