// The catalog's row estimate of a small table never analysed is an exact count. Those counts are read in
// a few queries for all tables (UNION ALL chains of a bounded length), not one query per table.
import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/sandbox/catalog.js';
import { openPglite } from '../../src/sandbox/cluster.js';

const TABLES = 230;
let db: PGlite;

beforeAll(async () => {
  db = await openPglite();
  const statements: string[] = [];
  for (let i = 0; i < TABLES; i++) {
    const name = `"T ${String(i).padStart(3, '0')}"`;
    statements.push(`CREATE TABLE ${name} (id int)`, `INSERT INTO ${name} SELECT generate_series(1, ${i % 7})`);
  }
  // Analysed: its estimate is the planner's, not a count.
  statements.push('CREATE TABLE analysed (id int)', 'INSERT INTO analysed SELECT generate_series(1, 12)', 'ANALYZE analysed');
  await db.exec(statements.join(';\n'));
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe('readCatalog row estimates', () => {
  it('counts every small table never analysed exactly, across several count queries', async () => {
    const queries: string[] = [];
    const counting = { query: (sql: string, params?: unknown[]) => (queries.push(sql), db.query(sql, params)), exec: db.exec.bind(db) };
    const catalog = await readCatalog(counting as unknown as PGlite);
    const estimates = new Map(catalog.tables.map((t) => [t.name, t.estimatedRows]));
    for (let i = 0; i < TABLES; i++) expect(estimates.get(`T ${String(i).padStart(3, '0')}`)).toBe(i % 7);
    expect(estimates.get('analysed')).toBe(12);
    const counts = queries.filter((sql) => /count\(\*\)/.test(sql));
    expect(counts).toHaveLength(Math.ceil(TABLES / 100));
  });
});
