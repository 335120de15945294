import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/sandbox/catalog.js';
import { openPglite } from '../../src/sandbox/cluster.js';
import { fillSynthetic, type FillResult } from '../../src/synthetic/fill.js';
import { fillOrder } from '../../src/synthetic/order.js';
import { syntheticDataSql } from '../../src/synthetic/plan.js';
import { checkHints } from '../../src/synthetic/values.js';
import type { CatalogSnapshot } from '../../src/types.js';

const SCHEMA = `
create type order_status as enum ('new', 'paid', 'shipped', 'cancelled');
create table users (
  id bigint generated always as identity primary key,
  email text not null unique,
  name varchar(20),
  active boolean not null default true,
  prefs jsonb,
  tags text[],
  ip inet,
  created_at timestamptz not null default now()
);
create table categories (
  id serial primary key,
  parent_id int references categories(id),
  name text not null check (length(name) > 2)
);
create table products (
  id uuid primary key default gen_random_uuid(),
  category_id int not null references categories(id),
  price numeric(8,2) not null check (price > 0),
  kind text not null check (kind in ('book', 'toy', 'food')),
  stock int check (stock >= 0 and stock <= 500),
  sku varchar(12) unique
);
create table orders (
  id bigserial primary key,
  user_id bigint not null references users(id),
  status order_status not null default 'new',
  placed_on date,
  lo int, hi int, check (lo < hi)
);
create table warehouses (region text, code int, primary key (region, code));
create table stock (
  region text not null, code int not null,
  product_id uuid not null references products(id),
  foreign key (region, code) references warehouses(region, code),
  unique (region, code, product_id)
);
create table user_groups (
  user_id bigint references users(id), category_id int references categories(id),
  primary key (user_id, category_id)
);
create table places (id int primary key, spot pg_lsn not null);
`;

const ROWS = 5000;
let db: PGlite;
let catalog: CatalogSnapshot;
let result: FillResult;

async function scalar(sql: string): Promise<number> {
  const r = await db.query<Record<string, unknown>>(sql);
  return Number(Object.values(r.rows[0] ?? {})[0]);
}

beforeAll(async () => {
  db = await openPglite();
  await db.exec(SCHEMA);
  await db.exec(`insert into users (email) values ('seeded@example.com')`);
  catalog = await readCatalog(db);
  result = await fillSynthetic(db, catalog, (table) => (table === 'public.warehouses' ? 50 : ROWS));
});

afterAll(async () => {
  await db?.close();
});

describe('fillSynthetic', () => {
  it('fills every table it can with the requested rows', async () => {
    expect(await scalar('select count(*) from users')).toBe(ROWS + 1);
    for (const t of ['categories', 'products', 'orders', 'stock', 'user_groups']) {
      expect(await scalar(`select count(*) from ${t}`), t).toBe(ROWS);
    }
    expect(await scalar('select count(*) from warehouses')).toBe(50);
    expect(result.rows['public.orders']).toBe(ROWS);
  });

  it('leaves no orphan rows behind any foreign key, composite ones included', async () => {
    expect(await scalar('select count(*) from orders o left join users u on u.id = o.user_id where u.id is null')).toBe(0);
    expect(await scalar('select count(*) from products p left join categories c on c.id = p.category_id where c.id is null')).toBe(0);
    expect(
      await scalar('select count(*) from stock s left join warehouses w on (w.region, w.code) = (s.region, s.code) where w.code is null'),
    ).toBe(0);
    expect(await scalar('select count(*) from stock s left join products p on p.id = s.product_id where p.id is null')).toBe(0);
    // The self-reference is left NULL rather than pointing nowhere.
    expect(await scalar('select count(*) from categories where parent_id is not null')).toBe(0);
  });

  it('keeps primary keys and unique keys distinct, including keys made only of foreign keys', async () => {
    expect(await scalar('select count(distinct email) from users')).toBe(ROWS + 1);
    expect(await scalar('select count(*) from (select distinct user_id, category_id from user_groups) x')).toBe(ROWS);
    expect(await scalar('select count(*) from (select distinct region, code, product_id from stock) x')).toBe(ROWS);
    expect(await scalar('select count(distinct sku) from products')).toBe(ROWS);
  });

  it('honours CHECK lists and bounds, enums, and types', async () => {
    expect(await scalar(`select count(*) from products where kind not in ('book', 'toy', 'food')`)).toBe(0);
    expect(await scalar('select count(distinct kind) from products')).toBeGreaterThan(1);
    expect(await scalar('select max(stock) from products')).toBeLessThanOrEqual(500);
    expect(await scalar('select count(distinct status) from orders')).toBeGreaterThan(1);
    expect(await scalar(`select count(*) from users where prefs ? 'n' and array_length(tags, 1) = 2 and ip is not null`)).toBe(ROWS);
  });

  it('skews values so that some are rare and an index on them is selective', async () => {
    const top = await scalar('select max(c) from (select count(*) c from orders group by user_id) x');
    const distinct = await scalar('select count(distinct user_id) from orders');
    expect(distinct).toBeGreaterThan(100);
    expect(top).toBeGreaterThan(ROWS / distinct * 5);
  });

  it('recovers from a CHECK it cannot read by leaving the checked columns NULL, and says so', async () => {
    expect(await scalar('select count(*) from orders where lo is not null')).toBe(0);
    expect(result.notes.some((n) => n.startsWith('public.orders: filled with CHECK-constrained columns left NULL'))).toBe(true);
  });

  it('skips a table with a NOT NULL column of an unknown type, with a note', async () => {
    expect(await scalar('select count(*) from places')).toBe(0);
    expect(result.notes).toContain('public.places: not filled, no generator for NOT NULL column spot of type pg_lsn without a default');
  });

  it('asks nothing of the database when no table wants rows', async () => {
    const asked: string[] = [];
    const silent = {
      query: async (sql: string) => (asked.push(sql), { rows: [] }),
      exec: async (sql: string) => (asked.push(sql), []),
    };
    const none = await fillSynthetic(silent, catalog, () => 0);
    expect(asked).toEqual([]);
    expect(none).toMatchObject({ notes: [], rows: {}, syntheticOnly: [] });
    expect(none.facts).toBeUndefined();
  });

  it('runs ANALYZE so that the planner sees the rows', async () => {
    expect(await scalar(`select reltuples::int from pg_class where relname = 'orders'`)).toBe(ROWS);
  });

  it('counts the rows it added, not those a table held, and lists only tables that were empty', () => {
    expect(result.rows['public.users']).toBe(ROWS);
    expect(result.syntheticOnly).toContain('public.orders');
    expect(result.syntheticOnly).not.toContain('public.users');
  });

  it('fills the same on an engine whose exec returns nothing for a multi-statement string', async () => {
    const other = await openPglite();
    try {
      await other.exec(SCHEMA);
      await other.exec(`insert into users (email) values ('seeded@example.com')`);
      const quiet = { query: other.query.bind(other), exec: async (sql: string) => void (await other.exec(sql)) };
      const alone = await fillSynthetic(quiet, await readCatalog(other), (table) => (table === 'public.warehouses' ? 50 : 40));
      expect(alone.rows['public.users']).toBe(40);
      expect(alone.rows['public.orders']).toBe(40);
      expect(alone.syntheticOnly).not.toContain('public.users');
      expect(alone.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^public\.orders: filled with CHECK-constrained columns left NULL/)]));
      expect(Number((await other.query<{ n: number }>('select count(*)::int n from users')).rows[0]?.n)).toBe(41);
    } finally {
      await other.close();
    }
  });

  it('does not leave the session in replica mode', async () => {
    const r = await db.query<{ v: string }>(`select current_setting('session_replication_role') v`);
    expect(r.rows[0]?.v).toBe('origin');
  });

  it('tops up a key made only of foreign keys from where the rows already there left off', async () => {
    // The shop's order_items: seeded with a few rows, its parents then grown, then filled to EXPLAIN's size.
    await db.exec(`create table pa (id int primary key); create table pb (id int primary key);
      create table link (a int not null references pa, b int not null references pb, primary key (a, b));`);
    const linked = await readCatalog(db);
    const only = (sizes: Record<string, number>) => (table: string) => sizes[table] ?? 0;
    await fillSynthetic(db, linked, only({ 'public.pa': 50, 'public.pb': 50, 'public.link': 40 }));
    await fillSynthetic(db, linked, only({ 'public.pa': 150 }));
    const topUp = await fillSynthetic(db, linked, only({ 'public.link': 1000 }));
    expect(topUp.rows).toEqual({ 'public.link': 1000 });
    expect(topUp.notes).toEqual([]);
    expect(await scalar('select count(*) from (select distinct a, b from link) x')).toBe(1040);
  });

  it('leaves out the rows whose unique key is taken when distinct values cannot keep them apart, and says so', async () => {
    await db.exec(`create table solo (id int, note text); create unique index solo_one on solo ((true));`);
    const fill = await fillSynthetic(db, await readCatalog(db), (table) => (table === 'public.solo' ? 10 : 0));
    expect(fill.rows).toEqual({ 'public.solo': 1 });
    expect(await scalar('select count(*) from solo')).toBe(1);
    expect(fill.notes).toEqual([
      expect.stringMatching(/^public\.solo: filled with all values distinct and rows whose unique key was taken left out after: duplicate key value violates unique constraint "solo_one"/),
      'public.solo: 1 of 10 rows (the others would have repeated a unique key)',
    ]);
  });
});

describe('syntheticDataSql', () => {
  it('orders parents before children and ends with ANALYZE', () => {
    const { statements } = syntheticDataSql(catalog, () => 10);
    const position = (table: string) => statements.findIndex((s) => s.startsWith(`INSERT INTO public.${table} `));
    expect(position('users')).toBeLessThan(position('orders'));
    expect(position('categories')).toBeLessThan(position('products'));
    expect(position('warehouses')).toBeLessThan(position('stock'));
    expect(position('products')).toBeLessThan(position('stock'));
    expect(statements.at(-1)).toBe('ANALYZE');
  });

  it('breaks a foreign-key cycle by deferring one edge', () => {
    const table = (name: string, parent: string) => ({
      schema: 'public', name, estimatedRows: 0,
      columns: [{ name: 'id', type: 'integer', notNull: true }, { name: 'other', type: 'integer', notNull: false }],
      indexes: [],
      constraints: [{ name: `${name}_other_fkey`, type: 'f' as const, definition: `FOREIGN KEY (other) REFERENCES ${parent}(id)`, validated: true, columns: ['other'], references: `public.${parent}` }],
    });
    const { order, deferred } = fillOrder([table('a', 'b'), table('b', 'a')]);
    expect(order.map((t) => t.name)).toEqual(['b', 'a']);
    expect([...deferred]).toEqual(['public.b\0b_other_fkey']);
  });
});

describe('checkHints: exact lengths', () => {
  it('reads octet_length, length and char_length equal to a number, as pg_get_constraintdef writes them', () => {
    const hints = checkHints([
      'CHECK ((octet_length(tar_sha256) = 32)) NOT VALID',
      'CHECK ((length((code)::text) = 3))',
      'CHECK ((char_length(iso) = 2))',
      'CHECK ((char_length((num)::text) <= 150)) NOT VALID',
    ]);
    expect(Object.fromEntries(hints)).toEqual({ tar_sha256: { length: 32 }, code: { length: 3 }, iso: { length: 2 } });
  });
});

describe('checkHints', () => {
  it('reads IN lists and numeric bounds as Postgres prints them', () => {
    const hints = checkHints([
      "CHECK ((kind = ANY (ARRAY['book'::text, 'toy'::text])))",
      'CHECK ((price > (0)::numeric))',
      'CHECK (((qty >= 1) AND (qty <= 10)))',
      'CHECK (((a > 1) OR (b > 2)))',
    ]);
    expect(hints.get('kind')?.allowed).toEqual(["'book'", "'toy'"]);
    expect(hints.get('price')).toEqual({ min: 1 });
    expect(hints.get('qty')).toEqual({ min: 1, max: 10 });
    expect(hints.has('a')).toBe(false);
  });
});
