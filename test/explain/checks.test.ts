import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/sandbox/catalog.js';
import { explainFindings, explainQueries, explainReadsData, type ExplainedQuery, type NewStatement } from '../../src/explain/checks.js';
import { collectQueries, type QuerySource } from '../../src/explain/queries.js';
import { openPglite } from '../../src/sandbox/cluster.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { fillSynthetic } from '../../src/synthetic/fill.js';
import type { CatalogSnapshot, Finding } from '../../src/types.js';

const HISTORY = `
create table customers (id bigserial primary key, email text not null unique, region text not null);
create table orders (
  id bigserial primary key,
  customer_id bigint not null references customers(id),
  status text not null check (status in ('new', 'paid', 'shipped')),
  total numeric(10,2),
  created_at timestamptz not null default now()
);
create index orders_customer_id_idx on orders (customer_id);
create index orders_created_at_idx on orders (created_at);
`;

const QUERY_FILE = `-- name: CustomerOrders :many
SELECT id, total FROM orders WHERE customer_id = $1;

-- name: RecentOrders :many
SELECT id FROM orders WHERE created_at > $1 ORDER BY created_at DESC LIMIT 20;

-- name: CustomerByEmail :one
SELECT * FROM customers WHERE email = $1;
`;

const MIGRATION_FILE = 'db/migrations/0002_payments.sql';
const MIGRATION = `DROP INDEX orders_customer_id_idx;
CREATE INDEX orders_total_idx ON orders (total);
CREATE TABLE payments (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders (id),
  amount numeric(10,2)
);
ALTER TABLE orders ADD COLUMN archived boolean;
UPDATE orders SET archived = false;
UPDATE orders SET total = 0 WHERE id = 42;
INSERT INTO payments (order_id, amount) SELECT id, total FROM orders;
`;

const ROWS = 10_000;
let db: PGlite;
let queries: QuerySource[];
let catalogBefore: CatalogSnapshot;
let catalogAfter: CatalogSnapshot;
let before: ExplainedQuery[];
let after: ExplainedQuery[];
let newStatements: NewStatement[];
let findings: Finding[];

function planOf(results: ExplainedQuery[], name: string): ExplainedQuery {
  const found = results.find((r) => r.query.name === name);
  if (!found?.plan) throw new Error(`no plan for ${name}: ${found?.error}`);
  return found;
}

function findingsOf(rule: string): Finding[] {
  return findings.filter((f) => f.rule === rule);
}

beforeAll(async () => {
  db = await openPglite();
  await db.exec(HISTORY);
  catalogBefore = await readCatalog(db);
  await fillSynthetic(db, catalogBefore, () => ROWS);
  queries = collectQueries([{ path: 'db/query.sql', content: QUERY_FILE }]);
  before = await explainQueries(db, queries);

  const parsed = await parseMigrationSql(MIGRATION, MIGRATION_FILE);
  newStatements = parsed.statements.map((statement) => ({ file: MIGRATION_FILE, statement }));
  await db.exec(MIGRATION);
  catalogAfter = await readCatalog(db);
  // Tables the migration creates are filled too, so their plans see rows.
  await fillSynthetic(db, catalogAfter, (table) => (table === 'public.payments' ? ROWS : 0));
  after = await explainQueries(db, queries);
  ({ findings } = await explainFindings({ before, after, queries, newStatements, catalogBefore, catalogAfter, db, budgetMs: 30_000 }));
});

afterAll(async () => {
  await db?.close();
});

describe('plans before and after the migration', () => {
  it('uses the customer_id index before the migration and scans orders after it', () => {
    const was = planOf(before, 'CustomerOrders').plan;
    expect(was?.indexes.map((i) => i.index)).toContain('public.orders_customer_id_idx');
    expect(was?.seqScans).toEqual([]);
    const now = planOf(after, 'CustomerOrders').plan;
    expect(now?.seqScans).toEqual(['public.orders']);
    expect(now?.indexes).toEqual([]);
  });

  it('keeps the plans of queries the migration does not touch', () => {
    expect(planOf(after, 'RecentOrders').plan?.indexes.map((i) => i.index)).toEqual(['public.orders_created_at_idx']);
    expect(planOf(after, 'CustomerByEmail').plan?.indexes.map((i) => i.index)).toEqual(['public.customers_email_key']);
  });

  it('reports the lost index as a plan regression on the DROP INDEX line', () => {
    const [regression, ...rest] = findingsOf('plan-regression');
    expect(rest).toEqual([]);
    expect(regression).toMatchObject({ severity: 'error', source: 'explain', file: MIGRATION_FILE, line: 1 });
    expect(regression?.message).toContain('db/query.sql:2 (CustomerOrders)');
    expect(regression?.evidence).toMatch(/after: Seq Scan on public\.orders: estimated rows \d+, cost [\d.]+/);
  });
});

describe('foreign-key paths', () => {
  it('flags the new child table without an index on its foreign key', () => {
    const fk = findingsOf('fk-path-seq-scan').find((f) => f.message.includes('payments_order_id_fkey'));
    expect(fk).toMatchObject({ severity: 'warning', line: 3, endLine: 7 });
    expect(fk?.fix?.sql).toBe('CREATE INDEX CONCURRENTLY payments_order_id_idx ON public.payments (order_id);');
    expect(fk?.evidence).toContain('Seq Scan on public.payments');
  });

  it('flags an existing foreign key whose index the migration drops', () => {
    const fk = findingsOf('fk-path-seq-scan').find((f) => f.message.includes('orders_customer_id_fkey'));
    expect(fk).toMatchObject({ line: 1 });
    expect(fk?.message).toContain('no index of public.orders leads with (customer_id) any more');
  });

  it('does not flag a foreign key once the child has an index on it', async () => {
    const extra = 'CREATE INDEX payments_order_id_idx ON payments (order_id);';
    const parsed = await parseMigrationSql(extra, 'db/migrations/0003_index.sql');
    await db.exec(extra);
    await db.exec('ANALYZE payments');
    const catalogIndexed = await readCatalog(db);
    const statements = [...newStatements, ...parsed.statements.map((statement) => ({ file: 'db/migrations/0003_index.sql', statement }))];
    const outcome = await explainFindings({ before, after, queries, newStatements: statements, catalogBefore, catalogAfter: catalogIndexed, db });
    const fks = outcome.findings.filter((f) => f.rule === 'fk-path-seq-scan');
    expect(fks.map((f) => f.message).join('\n')).not.toContain('payments_order_id_fkey');
    expect(fks).toHaveLength(1); // the customer_id one is still there
    // An index that serves a foreign key is not "unused", even if no query reads it.
    expect(outcome.findings.some((f) => f.rule === 'unused-new-index' && f.message.includes('payments_order_id_idx'))).toBe(false);
    await db.exec('DROP INDEX payments_order_id_idx');
  });
});

describe('new indexes', () => {
  it('reports a new index that no explained query uses, as info on its CREATE INDEX', () => {
    const unused = findingsOf('unused-new-index');
    expect(unused).toHaveLength(1);
    expect(unused[0]).toMatchObject({ severity: 'info', line: 2 });
    expect(unused[0]?.message).toContain('public.orders_total_idx');
  });

  it('says nothing about unused indexes when there are no queries to judge by', async () => {
    const outcome = await explainFindings({ before: [], after: [], queries: [], newStatements, catalogBefore, catalogAfter, db });
    expect(outcome.findings.filter((f) => f.rule === 'unused-new-index')).toEqual([]);
  });
});

describe('whether the checks read the data', () => {
  const statementsOf = async (sql: string) =>
    (await parseMigrationSql(sql, MIGRATION_FILE)).statements.map((statement) => ({ file: MIGRATION_FILE, statement }));
  const catalogWith = (tables: CatalogSnapshot['tables']): CatalogSnapshot => ({ ...catalogBefore, tables: [...catalogBefore.tables, ...tables] });

  it('reads it for queries, for statements that write rows, and for a foreign key the change adds or takes the index of', async () => {
    expect(explainReadsData({ queries, newStatements: [], catalogBefore, catalogAfter: catalogBefore })).toBe(true);
    expect(explainReadsData({ queries: [], newStatements: await statementsOf('UPDATE orders SET total = 0;'), catalogBefore, catalogAfter: catalogBefore })).toBe(true);
    // The migration adds payments.order_id and drops the index of orders.customer_id.
    expect(explainReadsData({ queries: [], newStatements: [], catalogBefore, catalogAfter })).toBe(true);
    const dropped = catalogAfter.tables.filter((t) => t.name !== 'payments');
    expect(explainReadsData({ queries: [], newStatements: [], catalogBefore, catalogAfter: { ...catalogAfter, tables: dropped } })).toBe(true);
  });

  it('does not for a change that creates a table and its index, with no query and no new foreign key', async () => {
    const accounts = { ...catalogBefore.tables.find((t) => t.name === 'customers')!, name: 'accounts', indexes: [] };
    const statements = await statementsOf('CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nCREATE INDEX ON accounts (email);');
    expect(explainReadsData({ queries: [], newStatements: statements, catalogBefore, catalogAfter: catalogWith([accounts]) })).toBe(false);
    // Every foreign key, when asked to probe all.
    expect(explainReadsData({ queries: [], newStatements: statements, catalogBefore, catalogAfter: catalogBefore, foreignKeys: 'all' })).toBe(true);
  });
});

describe('backfills', () => {
  it('flags the whole-table UPDATE with a batched alternative', () => {
    const update = findingsOf('backfill-in-one-statement').find((f) => f.line === 9);
    expect(update?.message).toContain('every row of public.orders');
    expect(update?.evidence).toMatch(/Seq Scan on public\.orders: estimated rows \d+/);
    expect(update?.fix?.sql).toContain('UPDATE orders SET archived = false\n          WHERE id > last_key AND id <= last_key + 10000;');
    expect(update?.fix?.sql).toContain('COMMIT;');
  });

  it('flags an INSERT … SELECT that copies a whole pre-existing table', () => {
    const insert = findingsOf('backfill-in-one-statement').find((f) => f.line === 11);
    expect(insert?.message).toContain('copies');
    expect(insert?.message).toContain('public.orders');
  });

  it('leaves a selective UPDATE alone', () => {
    expect(findingsOf('backfill-in-one-statement').map((f) => f.line).sort()).toEqual([11, 9]);
  });

  it('runs the batched fix for real: it updates every row', async () => {
    const update = findingsOf('backfill-in-one-statement').find((f) => f.line === 9);
    await db.exec('UPDATE orders SET archived = NULL');
    await db.exec(update?.fix?.sql ?? '');
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE archived IS DISTINCT FROM false');
    expect(r.rows[0]?.n).toBe(0);
  });
});

describe('time budget', () => {
  it('stops with a note when the budget is spent', async () => {
    const outcome = await explainFindings({ before, after, queries, newStatements, catalogBefore, catalogAfter, db, budgetMs: 0 });
    expect(outcome.notes.some((n) => n.startsWith('explain: time budget reached'))).toBe(true);
    expect(outcome.findings.filter((f) => f.rule === 'backfill-in-one-statement' || f.rule === 'fk-path-seq-scan')).toEqual([]);
  });

  it('marks queries it had no time to explain', async () => {
    const results = await explainQueries(db, queries, { budgetMs: -1 });
    expect(results.every((r) => r.skipped)).toBe(true);
  });
});
