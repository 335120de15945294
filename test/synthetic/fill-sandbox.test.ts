// The fill as reviews run it: through a sandbox's worker, whose errors carry the SQLSTATE as `sqlstate`
// (PGlite's own errors, which test/synthetic/fill.test.ts meets, carry it as `code`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/sandbox/catalog.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { fillSynthetic } from '../../src/synthetic/fill.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048 });
  // crates.io's versions: a CHECK on the length of a digest; and a pattern no generated value matches.
  await sandbox.runSetup(
    'schema',
    `CREATE TABLE versions (id serial PRIMARY KEY, num varchar NOT NULL, tar_sha256 bytea, tag text CHECK (tag ~ '^v[0-9]+$'));
     ALTER TABLE versions ADD CONSTRAINT versions_tar_sha256_len CHECK (octet_length(tar_sha256) = 32) NOT VALID;`,
  );
}, 600_000);
afterAll(async () => {
  await sandbox?.close();
});

describe('synthetic fill in a sandbox', () => {
  it('retries a table whose CHECK the first rows break, with its checked columns left NULL', async () => {
    const fill = await fillSynthetic(sandbox, await readCatalog(sandbox), () => 50);
    expect(fill.rows).toEqual({ 'public.versions': 50 });
    expect(fill.notes).toEqual([
      'public.versions: filled with CHECK-constrained columns left NULL/default after: new row for relation "versions" violates check constraint "versions_tag_check"',
    ]);
    const { rows } = await sandbox.query<{ n: string }>('SELECT count(*) AS n FROM versions WHERE tag IS NULL');
    expect(Number(rows[0]!.n)).toBe(50);
  });

  it('gives a column whose CHECK asks an exact length values of that length', async () => {
    await sandbox.exec('ALTER TABLE versions DROP COLUMN tag; TRUNCATE versions');
    const fill = await fillSynthetic(sandbox, await readCatalog(sandbox), () => 50);
    expect(fill).toMatchObject({ rows: { 'public.versions': 50 }, notes: [] });
    const { rows } = await sandbox.query<{ lengths: number[]; distinct: string }>(
      'SELECT array_agg(DISTINCT octet_length(tar_sha256)) AS lengths, count(DISTINCT tar_sha256) AS distinct FROM versions',
    );
    expect({ ...rows[0], distinct: Number(rows[0]!.distinct) }).toEqual({ lengths: [32], distinct: 50 });
  });
});
