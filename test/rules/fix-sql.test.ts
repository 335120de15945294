// Fix SQL as the user would paste it: the source's identifier quoting, the types the statement
// declares (never `<type>` when it is known), and, for statements that refuse a transaction block in a
// file that runs in one, a migration of its own in the tool's terms.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';
import { transactionMode } from '../../src/migrations/transaction.js';
import { lintMigrations } from '../../src/rules/lib/lint.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { CatalogSnapshot, Convention, Finding, MigrationFile } from '../../src/types.js';

const existing: CatalogSnapshot = {
  tables: ['Document', 'orders', 'customers'].map((name) => ({
    schema: 'public', name, estimatedRows: 1000, columns: [], constraints: [], indexes: [],
  })),
  functions: [], extensions: [], enums: [],
};

async function lintAs(sql: string, convention: Convention = 'plain', inTransaction?: boolean): Promise<Finding[]> {
  const mode = transactionMode(convention, sql);
  const migration: MigrationFile = {
    path: 'migrations/0002_change/migration.sql', convention, version: '2', name: 'change', kind: 'versioned', sql, lineOffset: 0,
    inTransaction: inTransaction ?? mode.inTransaction, transactionReason: mode.transactionReason,
  };
  const parsed = await parseMigrationSql(sql, migration.path);
  expect(parsed.errors).toEqual([]);
  return lintMigrations([{ migration, parsed }], { config: defaultConfig() as PgproConfig, catalog: existing });
}

const fixOf = (findings: Finding[], rule: string) => {
  const found = findings.find((f) => f.rule === rule);
  if (!found?.fix) throw new Error(`no ${rule} fix among ${findings.map((f) => f.rule).join(', ')}`);
  return found.fix;
};
const fixText = (fix: Finding['fix']) => [fix!.sql ?? '', ...(fix!.steps ?? [])].join('\n');

describe('fix SQL keeps the source quoting', () => {
  it('quotes a mixed-case column in the text CHECK (char_length(hintText) fails on PostgreSQL)', async () => {
    const fix = fixOf(await lintAs('ALTER TABLE "Document" ADD COLUMN "hintText" varchar(20);'), 'prefer-text-field');
    expect(fix.sql).toBe('ALTER TABLE "Document" ADD COLUMN "hintText" text CHECK (char_length("hintText") <= 20);');
  });

  it('quotes the table, column and constraint of a NOT NULL, foreign key and VALIDATE fix', async () => {
    const notNull = fixOf(await lintAs('ALTER TABLE "Document" ALTER COLUMN "ownerId" SET NOT NULL;'), 'adding-not-nullable-field');
    expect(notNull.sql).toContain('ALTER TABLE "Document" ADD CONSTRAINT "Document_ownerId_not_null" CHECK ("ownerId" IS NOT NULL) NOT VALID;');
    expect(notNull.sql).toContain('ALTER TABLE "Document" ALTER COLUMN "ownerId" SET NOT NULL;');
    expect(notNull.sql).toContain('ALTER TABLE "Document" VALIDATE CONSTRAINT "Document_ownerId_not_null";');

    const fk = fixOf(
      await lintAs('ALTER TABLE "Document" ADD CONSTRAINT "Document_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" (id);'),
      'adding-foreign-key-constraint',
    );
    expect(fk.sql).toBe(
      'ALTER TABLE "Document" ADD CONSTRAINT "Document_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User" (id) NOT VALID;\n' +
        'ALTER TABLE "Document" VALIDATE CONSTRAINT "Document_ownerId_fkey";',
    );
  });

  it('keeps plain names plain and quotes keywords used as names', async () => {
    const fix = fixOf(await lintAs('ALTER TABLE orders ADD CONSTRAINT orders_order_key UNIQUE ("order");'), 'disallowed-unique-constraint');
    expect(fix.sql).toContain('CREATE UNIQUE INDEX CONCURRENTLY orders_order_key_idx ON orders ("order")');
  });
});

describe('fix SQL uses the declared type', () => {
  it('writes the column type of an ADD COLUMN instead of <type>', async () => {
    const required = fixOf(await lintAs('ALTER TABLE "Document" ADD COLUMN "pageCount" numeric(12, 4) NOT NULL;'), 'adding-required-field');
    expect(required.sql).toMatch(/^ALTER TABLE "Document" ADD COLUMN "pageCount" numeric\(12, 4\) NOT NULL DEFAULT <value>;/);

    const fk = fixOf(await lintAs('ALTER TABLE orders ADD COLUMN "customerId" bigint REFERENCES customers;'), 'adding-foreign-key-constraint');
    expect(fk.sql).toContain('ALTER TABLE orders ADD COLUMN "customerId" bigint;');
    expect(fk.sql).not.toContain('<type>');

    const unique = fixOf(await lintAs('ALTER TABLE orders ADD COLUMN code character varying(8) UNIQUE;'), 'disallowed-unique-constraint');
    expect(unique.steps?.[0]).toBe('ALTER TABLE orders ADD COLUMN code character varying(8);');
  });

  it('writes the new type of an ALTER COLUMN … TYPE, and a plain type for a serial column', async () => {
    const type = fixOf(await lintAs('ALTER TABLE orders ALTER COLUMN total TYPE timestamp with time zone USING now();'), 'changing-column-type');
    expect(type.steps?.[0]).toBe('ALTER TABLE orders ADD COLUMN total_new timestamp with time zone;');

    const serial = fixOf(await lintAs('ALTER TABLE orders ADD COLUMN seq bigserial;'), 'adding-field-with-default');
    expect(serial.steps?.[0]).toBe('ALTER TABLE orders ADD COLUMN seq bigint; -- no default: instant');
  });

  it('never prints <type> in any fix of these statements', async () => {
    const findings = await lintAs(
      [
        'ALTER TABLE orders ADD COLUMN a uuid DEFAULT gen_random_uuid();',
        'ALTER TABLE orders ADD COLUMN b int NOT NULL;',
        'ALTER TABLE orders ADD COLUMN c text UNIQUE;',
        'ALTER TABLE orders ADD COLUMN d bigint REFERENCES customers (id);',
        'ALTER TABLE orders ALTER COLUMN e TYPE bigint;',
        'CREATE DOMAIN positive AS int CHECK (VALUE > 0);',
      ].join('\n'),
    );
    expect(findings.filter((f) => f.fix).length).toBeGreaterThanOrEqual(6);
    for (const f of findings) if (f.fix) expect(fixText(f.fix), f.rule).not.toContain('<type>');
  });
});

describe('a statement that refuses a transaction, in a file that runs in one', () => {
  const INDEX = 'CREATE INDEX "Document_title_idx" ON "Document" (title);\nALTER TABLE "Document" ADD COLUMN note text;\n';

  it.each([
    ['prisma', /prisma migrate dev --create-only/],
    ['diesel', /run_in_transaction = false/],
    ['sqlx', /-- no-transaction/],
    ['dbmate', /-- migrate:up transaction:false/],
    ['golang-migrate', /holds only this statement/],
  ] as const)('%s: says to move it to a migration of its own in that tool\'s terms, never as a drop-in', async (convention, terms) => {
    const fix = fixOf(await lintAs(INDEX, convention), 'require-concurrent-index-creation');
    expect(fix.replacesStatement).toBeUndefined();
    expect(fix.title).toBe('Create the index CONCURRENTLY, in a migration of its own');
    expect(fix.steps?.[0]).toMatch(/^CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and this file runs in one/);
    expect(fix.steps?.[0]).toMatch(terms);
    expect(fix.sql).toBe('CREATE INDEX CONCURRENTLY "Document_title_idx" ON "Document" (title);');
  });

  it('a one-statement Prisma migration runs outside a transaction: there the fix is the drop-in', async () => {
    const fix = fixOf(await lintAs('CREATE INDEX "Document_title_idx" ON "Document" (title);\n', 'prisma'), 'require-concurrent-index-creation');
    expect(fix).toMatchObject({ title: 'Create the index CONCURRENTLY', replacesStatement: true });
  });

  it('an explicit BEGIN: move it after the COMMIT', async () => {
    const fix = fixOf(await lintAs('BEGIN;\nDROP INDEX orders_code_idx;\nCOMMIT;\n'), 'require-concurrent-index-deletion');
    expect(fix.steps).toContainEqual(expect.stringMatching(/Move it after the COMMIT/));
  });
});

describe('a type fix on a statement with several such columns', () => {
  it('changes every column the rule reports in the statement, in each of its fixes', async () => {
    const findings = (await lintAs('CREATE TABLE invoices (id serial PRIMARY KEY, customer_id integer);')).filter((f) => f.rule === 'prefer-bigint-over-int');
    expect(findings).toHaveLength(2);
    for (const f of findings) expect(f.fix?.sql).toBe('CREATE TABLE invoices (id bigserial PRIMARY KEY, customer_id bigint);');
  });
});

describe('a type fix in a Prisma migration', () => {
  it('says what to declare in schema.prisma, since the next prisma migrate dev would undo the SQL alone', async () => {
    const fix = fixOf(await lintAs('ALTER TABLE "Survey" ADD COLUMN "archivedAt" TIMESTAMP(3);\n', 'prisma'), 'prefer-timestamptz');
    expect(fix.sql).toBe('ALTER TABLE "Survey" ADD COLUMN "archivedAt" timestamptz(3);');
    expect(fix.steps).toEqual([
      'Prisma writes this file from schema.prisma: declare archivedAt there as a DateTime with `@db.Timestamptz(3)` too, so that ' +
        'the schema and this migration agree; changed here alone, the next `prisma migrate dev` sees the difference and writes a ' +
        'migration that changes the column back.',
    ]);
  });

  it('keeps the rule own steps first, and says when the schema cannot declare the new column', async () => {
    const fix = fixOf(await lintAs('CREATE TABLE "Account" ("id" SERIAL NOT NULL, CONSTRAINT "Account_pkey" PRIMARY KEY ("id"));\n', 'prisma'), 'prefer-identity');
    expect(fix.steps?.at(-1)).toMatch(/^Prisma writes this file from schema\.prisma, which cannot declare an identity column: /);
  });

  it('adds nothing outside Prisma', async () => {
    const fix = fixOf(await lintAs('ALTER TABLE orders ADD COLUMN shipped_at timestamp;\n'), 'prefer-timestamptz');
    expect(fix.steps).toBeUndefined();
  });
});
