// Timing a statement at growing sizes on real PGlite: which sizes are measured, that each run is rolled
// back, the fallback to fewer rows for a table the generator cannot grow, and the reasons a statement is
// not timed. No assertion on the times themselves (machines are shared): the bench checks those.
import { beforeAll, describe, expect, it } from 'vitest';
import { measureLockTime, type MeasureInput } from '../../src/rehearsal/lock-time.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { CatalogSnapshot } from '../../src/types.js';

const options = { statementTimeoutMs: 60_000, memoryMb: 2048 };
let start: Uint8Array;
let catalog: CatalogSnapshot;

beforeAll(async () => {
  const base = await createSandbox(options);
  try {
    await base.exec(`
      CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text, total int);
      CREATE TABLE products (id bigint PRIMARY KEY, name text);
      CREATE TABLE items (order_id bigint REFERENCES orders (id), product_id bigint REFERENCES products (id), quantity int, PRIMARY KEY (order_id, product_id));
      INSERT INTO orders (note, total) SELECT 'n' || g, g FROM generate_series(1, 1500) g;
      INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 4) g;
      INSERT INTO items SELECT o, p, 1 FROM generate_series(1, 1500) o, generate_series(1, 4) p;
      ANALYZE;`);
    catalog = await base.catalog();
    start = await base.snapshot();
  } finally {
    await base.close();
  }
}, 300_000);

async function measure(sql: string, at: number, table: string, extra: Partial<MeasureInput> = {}) {
  const parsed = await parseMigrationSql(sql, 'db/x.sql');
  return measureLockTime({
    path: 'db/x.sql',
    inTransaction: false,
    statements: parsed.statements,
    at,
    table,
    sampleRows: 2000,
    catalog,
    open: () => createSandbox({ ...options, tarball: start }),
    signal: new AbortController().signal,
    deadline: performance.now() + 600_000,
    ...extra,
  });
}

describe('measureLockTime', () => {
  it('times an index build at the sample size, twice and four times it, each run rolled back', async () => {
    const measured = await measure('CREATE INDEX orders_note_idx ON orders (note);', 0, 'public.orders');
    expect(measured.skipped).toBeUndefined();
    expect(measured.samples.map((s) => s.rows)).toEqual([2000, 4000, 8000]);
    for (const sample of measured.samples) expect(sample.ms).toBeGreaterThan(0);
  }, 300_000);

  it('times a table rewrite from the state before it: the statements before it in the file applied', async () => {
    const measured = await measure(
      'ALTER TABLE orders ADD COLUMN shipped boolean;\nALTER TABLE orders ALTER COLUMN total TYPE bigint;',
      1,
      'public.orders',
    );
    expect(measured.skipped).toBeUndefined();
    expect(measured.samples.map((s) => s.rows)).toEqual([2000, 4000, 8000]);
  }, 300_000);

  it('takes rows away from a table the generator cannot add to (unique keys drawn from small parents)', async () => {
    const measured = await measure('ALTER TABLE items ALTER COLUMN quantity TYPE bigint;', 0, 'public.items', { sampleRows: 100 });
    expect(measured.skipped).toBeUndefined();
    expect(measured.samples.map((s) => s.rows)).toEqual([6000, 3000, 1500]);
  }, 300_000);

  it('says why a statement was not timed: it fails on the synthetic rows, or the budget has ended', async () => {
    const failing = await measure('ALTER TABLE orders ADD CONSTRAINT orders_total_neg CHECK (total < 0);', 0, 'public.orders');
    expect(failing).toEqual({ samples: [], skipped: 'it failed on the synthetic rows: check constraint "orders_total_neg" of relation "orders" is violated by some row' });
    const controller = new AbortController();
    controller.abort();
    const late = await measure('CREATE INDEX orders_note_idx ON orders (note);', 0, 'public.orders', { signal: controller.signal });
    expect(late).toEqual({ samples: [], skipped: 'the rehearsal time budget was reached' });
  }, 300_000);
});
