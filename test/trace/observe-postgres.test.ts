import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/types.js';
import { observeOne, scanned, strongestAcquired } from './observe-helpers.js';
import { SERVER_URL } from '../helpers/postgres-server.js';

// The same observation queries against a real PostgreSQL 15 server: proves they are portable.
const url = SERVER_URL;
const S = `pgpro_trace_test_${randomBytes(4).toString('hex')}`;
const ORDERS = `${S}.orders`;

let client: pg.Client;
let db: Queryable;
beforeAll(async () => {
  client = new pg.Client({ connectionString: url });
  await client.connect();
  db = {
    query: async <T,>(sql: string, params?: unknown[]) => ({ rows: (await client.query(sql, params)).rows as T[] }),
    exec: (sql: string) => client.query(sql),
  };
});
afterAll(async () => {
  await client.query(`drop schema if exists ${S} cascade`);
  await client.end();
});

describe('observeStatement on a real PostgreSQL server', () => {
  it('ADD COLUMN with a volatile default: AccessExclusiveLock, rewrite, scan', async () => {
    const observation = await observeOne(db, S, `alter table ${ORDERS} add column a float8 default random()`);
    expect(strongestAcquired(observation, ORDERS)).toBe('AccessExclusiveLock');
    expect(observation.rewrites).toContain(ORDERS);
    expect(scanned(observation, ORDERS)).toBe(true);
    expect(observation.changes.join('\n')).toMatch(/column .*\.orders\.a added \(double precision, with default\)/);
  });

  it('ALTER TYPE varchar(10) → varchar(20): no rewrite', async () => {
    const observation = await observeOne(db, S, `alter table ${ORDERS} alter column status type varchar(20)`);
    expect(strongestAcquired(observation, ORDERS)).toBe('AccessExclusiveLock');
    expect(observation.rewrites).toEqual([]);
  });

  it('CREATE INDEX: ShareLock and a scan of every row', async () => {
    const observation = await observeOne(db, S, `create index on ${ORDERS} (customer_id)`);
    expect(strongestAcquired(observation, ORDERS)).toBe('ShareLock');
    expect(observation.scans.find((s) => s.relation === ORDERS)?.rowsRead).toBeGreaterThanOrEqual(300);
  });

  it('SET NOT NULL after a validated CHECK: no scan; VALIDATE: ShareUpdateExclusiveLock and a scan', async () => {
    const setNotNull = await observeOne(db, S, `alter table ${ORDERS} alter column amount set not null`, {
      setup: `alter table ${ORDERS} add constraint amount_nn check (amount is not null)`,
    });
    expect(scanned(setNotNull, ORDERS)).toBe(false);
    const validate = await observeOne(db, S, `alter table ${ORDERS} validate constraint amount_pos`, {
      setup: `alter table ${ORDERS} add constraint amount_pos check (amount > 0) not valid`,
    });
    expect(strongestAcquired(validate, ORDERS)).toBe('ShareUpdateExclusiveLock');
    expect(scanned(validate, ORDERS)).toBe(true);
  });

  it('scans are counted in autocommit too (flushed plus pending statistics)', async () => {
    const observation = await observeOne(db, S, `create index concurrently on ${ORDERS} (amount)`, { inTransaction: false });
    expect(scanned(observation, ORDERS)).toBe(true);
  });
});
