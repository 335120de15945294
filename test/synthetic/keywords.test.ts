import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/sandbox/cluster.js';
import { readCatalog } from '../../src/sandbox/catalog.js';
import { fillSynthetic } from '../../src/synthetic/index.js';

let db: PGlite;
beforeAll(async () => {
  db = await openPglite();
  await db.exec(`CREATE TABLE "user" (id bigint PRIMARY KEY, "order" int NOT NULL, "group" text, name text);`);
});
afterAll(() => db.close());

describe('synthetic data for names that are SQL keywords', () => {
  it('fills a table named user with columns named order and group', async () => {
    const result = await fillSynthetic(db, await readCatalog(db), () => 100);
    expect(result.notes).toEqual([]);
    expect(result.rows).toEqual({ 'public.user': 100 });
    expect((await db.query<{ n: number }>('SELECT count("order")::int AS n FROM "user"')).rows[0]?.n).toBe(100);
  });
});
