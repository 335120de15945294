import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainQuery } from '../../src/explain/plan.js';
import { openPglite } from '../../src/sandbox/cluster.js';

let db: PGlite;

beforeAll(async () => {
  db = await openPglite();
  // A skewed column: value 0 is 79% of the rows, most values are rare.
  await db.exec(`
    create table events (id serial primary key, kind int not null, body text);
    insert into events (kind, body) select floor(100 * power(g / 12000.0, 20)), 'e' || g from generate_series(1, 12000) g;
    create index events_kind_idx on events (kind);
    analyze events;`);
});

afterAll(async () => {
  await db?.close();
});

describe('explainQuery', () => {
  it('explains a parameterized query with its generic plan: the index, whatever the value', async () => {
    const plan = await explainQuery(db, 'SELECT * FROM events WHERE kind = $1 AND body LIKE $2');
    expect(plan.indexes.map((i) => [i.index, i.relation])).toEqual([['public.events_kind_idx', 'public.events']]);
    expect(plan.seqScans).toEqual([]);
    expect(plan.totalCost).toBeGreaterThan(0);
    // The prepared statement and the setting are cleaned up.
    const left = await db.query<{ n: number }>(`select count(*)::int n from pg_prepared_statements`);
    expect(left.rows[0]?.n).toBe(0);
    const mode = await db.query<{ v: string }>(`select current_setting('plan_cache_mode') v`);
    expect(mode.rows[0]?.v).toBe('auto');
  });

  it('explains a literal query with the value it names (a common value scans)', async () => {
    const common = await explainQuery(db, 'SELECT * FROM events WHERE kind = 0;');
    expect(common.seqScans).toEqual(['public.events']);
    expect(common.estimatedRows).toBeGreaterThan(8000);
  });

  it('reports DML estimates from the rows fed to the modification, without running it', async () => {
    const plan = await explainQuery(db, 'DELETE FROM events WHERE body IS NOT NULL');
    expect(plan.topNode).toBe('Delete on public.events');
    expect(plan.estimatedRows).toBe(12000);
    expect(plan.text).toContain('->  Seq Scan on public.events');
    const count = await db.query<{ n: number }>('select count(*)::int n from events');
    expect(count.rows[0]?.n).toBe(12000);
  });

  it('deallocates the statement even when EXPLAIN fails', async () => {
    await expect(explainQuery(db, 'SELECT * FROM events WHERE nope = $1')).rejects.toThrow(/nope/);
    const left = await db.query<{ n: number }>(`select count(*)::int n from pg_prepared_statements`);
    expect(left.rows[0]?.n).toBe(0);
  });
});
