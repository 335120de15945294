import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/sandbox/cluster.js';
import { capturePreexisting, captureState, observeStatement, observeWithState, relationOids } from '../../src/sandbox/observe.js';
import type { LockMode } from '../../src/types.js';
import { observeOne, scanned, strongestAcquired } from './observe-helpers.js';

const S = 'obs';
const ORDERS = `${S}.orders`;

let db: PGlite;
beforeAll(async () => {
  db = await openPglite();
});
afterAll(async () => {
  await db.close();
});

interface Case {
  name: string;
  sql: string;
  setup?: string;
  autocommit?: boolean;
  lock: LockMode | undefined;
  rewrite: boolean;
  scan: boolean;
  change?: RegExp;
}

const cases: Case[] = [
  { name: 'ADD COLUMN without default', sql: `alter table ${ORDERS} add column a int`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /column obs\.orders\.a added \(integer\)/ },
  { name: 'ADD COLUMN constant default', sql: `alter table ${ORDERS} add column a int default 5`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /with default/ },
  { name: 'ADD COLUMN stable default now()', sql: `alter table ${ORDERS} add column a timestamptz default now()`, lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  { name: 'ADD COLUMN volatile default random()', sql: `alter table ${ORDERS} add column a float8 default random()`, lock: 'AccessExclusiveLock', rewrite: true, scan: true },
  { name: 'ADD COLUMN volatile default gen_random_uuid()', sql: `alter table ${ORDERS} add column a uuid default gen_random_uuid()`, lock: 'AccessExclusiveLock', rewrite: true, scan: true },
  { name: 'ADD COLUMN volatile default clock_timestamp()', sql: `alter table ${ORDERS} add column a timestamptz default clock_timestamp()`, lock: 'AccessExclusiveLock', rewrite: true, scan: true },
  { name: 'ALTER TYPE varchar(10) → varchar(20) (coercible)', sql: `alter table ${ORDERS} alter column status type varchar(20)`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /character varying\(10\) → character varying\(20\)/ },
  { name: 'ALTER TYPE varchar → text (coercible)', sql: `alter table ${ORDERS} alter column status type text`, lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  { name: 'ALTER TYPE int → bigint (rewrite)', sql: `alter table ${ORDERS} alter column amount type bigint`, lock: 'AccessExclusiveLock', rewrite: true, scan: true, change: /integer → bigint/ },
  { name: 'SET NOT NULL without a CHECK', sql: `alter table ${ORDERS} alter column amount set not null`, lock: 'AccessExclusiveLock', rewrite: false, scan: true, change: /amount set not null/ },
  {
    name: 'SET NOT NULL with a validated CHECK (amount IS NOT NULL)',
    setup: `alter table ${ORDERS} add constraint amount_nn check (amount is not null)`,
    sql: `alter table ${ORDERS} alter column amount set not null`,
    lock: 'AccessExclusiveLock', rewrite: false, scan: false,
  },
  { name: 'CREATE INDEX', sql: `create index orders_customer_idx on ${ORDERS} (customer_id)`, lock: 'ShareLock', rewrite: false, scan: true, change: /index obs\.orders_customer_idx created on obs\.orders/ },
  // In autocommit the lock (ShareUpdateExclusiveLock) is released before anyone can look: none is seen.
  { name: 'CREATE INDEX CONCURRENTLY (autocommit)', sql: `create index concurrently orders_customer_idx on ${ORDERS} (customer_id)`, autocommit: true, lock: undefined, rewrite: false, scan: true },
  { name: 'ADD CONSTRAINT CHECK (validated)', sql: `alter table ${ORDERS} add constraint amount_pos check (amount > 0)`, lock: 'AccessExclusiveLock', rewrite: false, scan: true, change: /check constraint amount_pos on obs\.orders added$/ },
  { name: 'ADD CONSTRAINT CHECK NOT VALID', sql: `alter table ${ORDERS} add constraint amount_pos check (amount > 0) not valid`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /added \(not validated\)/ },
  {
    name: 'VALIDATE CONSTRAINT',
    setup: `alter table ${ORDERS} add constraint amount_pos check (amount > 0) not valid`,
    sql: `alter table ${ORDERS} validate constraint amount_pos`,
    lock: 'ShareUpdateExclusiveLock', rewrite: false, scan: true, change: /amount_pos on obs\.orders validated/,
  },
  { name: 'DROP COLUMN', sql: `alter table ${ORDERS} drop column note`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /column obs\.orders\.note dropped/ },
  { name: 'DROP TABLE', sql: `drop table ${ORDERS}`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /table obs\.orders dropped/ },
  { name: 'RENAME COLUMN', sql: `alter table ${ORDERS} rename column note to remark`, lock: 'AccessExclusiveLock', rewrite: false, scan: false, change: /column obs\.orders\.note renamed to remark/ },
];

describe('observeStatement on PGlite: lock, rewrite, scan per DDL statement', () => {
  it.each(cases)('$name', async (c) => {
    const observation = await observeOne(db, S, c.sql, { setup: c.setup, inTransaction: !c.autocommit });
    expect(strongestAcquired(observation, ORDERS)).toBe(c.lock);
    expect(observation.rewrites.includes(ORDERS)).toBe(c.rewrite);
    expect(scanned(observation, ORDERS)).toBe(c.scan);
    if (c.change) expect(observation.changes.join('\n')).toMatch(c.change);
    expect(observation.inTransaction).toBe(!c.autocommit);
  });

  it('RENAME TABLE: the lock is reported under the new name, and the rename is a change', async () => {
    const observation = await observeOne(db, S, `alter table ${ORDERS} rename to purchases`);
    expect(strongestAcquired(observation, `${S}.purchases`)).toBe('AccessExclusiveLock');
    expect(observation.changes).toContain('table obs.orders renamed to obs.purchases');
    expect(observation.rewrites).toEqual([]);
  });

  it('ADD FOREIGN KEY: ShareRowExclusiveLock on both tables, both scanned to validate', async () => {
    const observation = await observeOne(
      db, S, `alter table ${ORDERS} add constraint orders_customer_fk foreign key (customer_id) references ${S}.customers (id)`,
    );
    expect(strongestAcquired(observation, ORDERS)).toBe('ShareRowExclusiveLock');
    expect(strongestAcquired(observation, `${S}.customers`)).toBe('ShareRowExclusiveLock');
    expect(scanned(observation, ORDERS)).toBe(true);
    expect(scanned(observation, `${S}.customers`)).toBe(true);
    expect(observation.changes).toContain('foreign key constraint orders_customer_fk on obs.orders added');
  });

  it('a rewrite also rewrites the indexes, and the scan counts the rows read', async () => {
    const observation = await observeOne(db, S, `alter table ${ORDERS} alter column amount type bigint`, {
      rows: 400,
      setup: `create index orders_amount_idx on ${ORDERS} (amount)`,
    });
    // The index on the retyped column is rebuilt under a new oid: still a rewrite, not a drop and a create.
    expect(observation.rewrites).toEqual(expect.arrayContaining([ORDERS, `${S}.orders_pkey`, `${S}.orders_amount_idx`]));
    expect(observation.changes.filter((c) => c.includes('orders_amount_idx'))).toEqual([]);
    const scan = observation.scans.find((s) => s.relation === ORDERS)!;
    expect(scan.rowsRead).toBeGreaterThanOrEqual(400);
  });

  it('lists rewrites, scans and drops by relation name, not in the order pg_class keeps its rows', async () => {
    // seedSql creates orders before customers: pg_class holds them in that order.
    const truncated = await observeOne(db, S, `truncate ${ORDERS}, ${S}.customers`);
    expect(truncated.rewrites).toEqual([`${S}.customers`, `${S}.customers_pkey`, ORDERS, `${S}.orders_pkey`]);
    const scannedBoth = await observeOne(db, S, `select count(*) from ${ORDERS}; select count(*) from ${S}.customers`);
    expect(scannedBoth.scans.map((s) => s.relation)).toEqual([`${S}.customers`, ORDERS]);
    const dropped = await observeOne(db, S, `drop table ${ORDERS}, ${S}.customers`);
    expect(dropped.dropped).toEqual([`${S}.customers`, `${S}.customers_pkey`, ORDERS, `${S}.orders_pkey`]);
  });

  it('reports rows written by a backfill, and the timeouts in effect', async () => {
    const observation = await observeOne(db, S, `set lock_timeout = '2s'; update ${ORDERS} set note = 'x'`);
    expect(observation.changes).toContain('300 rows written in obs.orders');
    expect(strongestAcquired(observation, ORDERS)).toBe('RowExclusiveLock');
    expect(observation.lockTimeout).toBe('2s');
    expect(observation.statementTimeout).toBe('0');
  });

  it('in a transaction locks accumulate: `locks` is the full set, `acquired` only what the statement added', async () => {
    await db.exec(`drop schema if exists ${S} cascade; create schema ${S}; create table ${ORDERS} (id int, amount int); create table ${S}.other (id int)`);
    const baseline = await capturePreexisting(db);
    await db.exec('begin');
    try {
      let before = await captureState(db, baseline);
      await db.exec(`alter table ${ORDERS} add column x int`);
      const first = await observeWithState(db, before, true);
      before = first.after;
      await db.exec(`insert into ${S}.other values (1)`);
      const second = await observeStatement(db, before, true);
      expect(second.locks).toEqual(expect.arrayContaining([
        { relation: ORDERS, kind: 'table', mode: 'AccessExclusiveLock' },
        { relation: `${S}.other`, kind: 'table', mode: 'RowExclusiveLock' },
      ]));
      expect(second.acquired).toEqual([{ relation: `${S}.other`, kind: 'table', mode: 'RowExclusiveLock' }]);
    } finally {
      await db.exec('commit');
    }
  });

  it('ignores relations created by the migration itself (only pre-existing ones are observed)', async () => {
    await db.exec(`drop schema if exists ${S} cascade; create schema ${S}; create table ${ORDERS} (id int)`);
    const baseline = await capturePreexisting(db);
    await db.exec('begin');
    try {
      await db.exec(`create table ${S}.fresh (id int)`);
      const before = await captureState(db, baseline);
      await db.exec(`alter table ${S}.fresh add column y int default random()`);
      const observation = await observeStatement(db, before, true);
      expect(observation.locks).toEqual([]);
      expect(observation.rewrites).toEqual([]);
      expect(observation.changes).toEqual([]);
    } finally {
      await db.exec('commit');
    }
  });

  it('captureState without a baseline reuses the last capturePreexisting on the same connection', async () => {
    await db.exec(`drop schema if exists ${S} cascade; create schema ${S}; create table ${ORDERS} (id int)`);
    const baseline = await capturePreexisting(db);
    await db.exec(`create table ${S}.fresh (id int)`);
    const state = await captureState(db);
    expect(state.preexisting).toBe(baseline.preexisting);
    expect([...state.relations.values()].some((r) => r.name === `${S}.fresh`)).toBe(true);
  });

  it('relationOids names the same relations a state does, of every kind, and no temporary or catalog one', async () => {
    await db.exec(`
      drop schema if exists ${S} cascade; create schema ${S};
      create table ${ORDERS} (id serial primary key, note text, amount int);
      create index orders_amount_idx on ${ORDERS} (amount);
      create view ${S}.v as select id from ${ORDERS};
      create materialized view ${S}.mv as select id from ${ORDERS};
      create sequence ${S}.seq;
      create table ${S}.parted (id int, at date) partition by range (at);
      create table ${S}.parted_2026 partition of ${S}.parted for values from ('2026-01-01') to ('2027-01-01');
      create index parted_at_idx on ${S}.parted (at);
      create temporary table scratch (id int);
    `);
    const oids = await relationOids(db);
    const state = await capturePreexisting(db);
    expect([...oids].sort()).toEqual([...state.preexisting].sort());
    const names = new Set([...state.relations.values()].filter((r) => oids.has(r.oid)).map((r) => r.name));
    for (const name of [ORDERS, `${S}.orders_pkey`, `${S}.orders_amount_idx`, `${S}.orders_id_seq`, `${S}.v`, `${S}.mv`, `${S}.seq`, `${S}.parted`, `${S}.parted_2026`, `${S}.parted_at_idx`]) {
      expect(names).toContain(name);
    }
    expect([...names].some((name) => name.endsWith('.scratch') || name.startsWith('pg_'))).toBe(false);
    await db.exec('drop table scratch');
  });
});
