import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { fixVerifier } from '../../src/stages/verify-fix.js';
import type { CatalogSnapshot, Finding, MigrationFile } from '../../src/types.js';

const options = { statementTimeoutMs: 20_000, memoryMb: 2048 };
let base: Sandbox;
let tarball: Uint8Array;
let catalog: CatalogSnapshot;
let verify: (finding: Finding) => Promise<boolean>;

const migration: MigrationFile = {
  path: 'db/migrations/0002_index.sql',
  convention: 'plain',
  version: '0002',
  name: 'index',
  kind: 'versioned',
  sql: "SET lock_timeout = '5s';\nCREATE INDEX orders_note_idx ON orders (note);\n",
  lineOffset: 0,
  inTransaction: false,
  transactionReason: 'test',
};

function finding(sql: string): Finding {
  return {
    rule: 'agent/indexing',
    severity: 'warning',
    source: 'agent',
    file: migration.path,
    line: 2,
    endLine: 2,
    message: 'Build the index without blocking writes.',
    fix: { title: 'Use CONCURRENTLY', sql },
    fingerprint: 'x',
  };
}

beforeAll(async () => {
  base = await createSandbox(options);
  await base.exec(`SET lock_timeout = '5s';
    CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
    INSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 500) g;`);
  catalog = await base.catalog();
  tarball = await base.snapshot();
  const parsed = await parseMigrationSql(migration.sql, migration.path);
  verify = fixVerifier({
    config: defaultConfig(),
    open: () => createSandbox({ ...options, tarball }),
    fresh: [{ migration, parsed }],
    catalogBefore: catalog,
  });
}, 120_000);
afterAll(() => base.close());

describe('fixVerifier', () => {
  it('verifies a fix that applies and takes no blocking lock', async () => {
    expect(await verify(finding('CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);'))).toBe(true);
  });

  it('rejects a fix that still blocks writes while it builds', async () => {
    expect(await verify(finding('CREATE INDEX orders_note_idx ON orders (note, id);'))).toBe(false);
  });

  it('rejects a fix that does not apply', async () => {
    expect(await verify(finding('CREATE INDEX CONCURRENTLY orders_note_idx ON order_lines (note);'))).toBe(false);
  });

  it('rejects a finding without SQL or on a file outside the change', async () => {
    expect(await verify({ ...finding('SELECT 1'), fix: { title: 'think harder' } })).toBe(false);
    expect(await verify({ ...finding('SELECT 1'), file: 'elsewhere.sql' })).toBe(false);
  });
});
