import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyFixes } from '../../src/cli/fix.js';
import { defaultConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';
import { lintMigrations } from '../../src/rules/lib/lint.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { Finding, MigrationFile } from '../../src/types.js';

const file = 'db/migrations/0001_orders.sql';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pgpro-fix-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(sql: string): Promise<void> {
  await mkdir(dirname(join(root, file)), { recursive: true });
  await writeFile(join(root, file), sql);
}

async function lintFile(inTransaction = false, config: Partial<PgproConfig> = {}): Promise<Finding[]> {
  const sql = await readFile(join(root, file), 'utf8');
  const migration: MigrationFile = {
    path: file, convention: 'plain', version: '0001', name: 'orders', kind: 'versioned', sql, lineOffset: 0,
    inTransaction, transactionReason: inTransaction ? 'test: transactional' : 'test: autocommit',
  };
  const parsed = await parseMigrationSql(sql, file);
  expect(parsed.errors).toEqual([]);
  return lintMigrations([{ migration, parsed }], { config: { ...defaultConfig(), ...config } as PgproConfig });
}

const rulesOf = (findings: Finding[]) => findings.map((f) => f.rule).sort();

describe('applyFixes with real rules', () => {
  it('adds CONCURRENTLY and NOT VALID + VALIDATE, and those findings are gone on a re-lint', async () => {
    await write(
      [
        '-- orders housekeeping',
        'CREATE INDEX orders_customer_idx',
        '  ON orders (customer_id);',
        'ALTER TABLE orders ADD CONSTRAINT orders_total_pos CHECK (total > 0);',
        'DROP INDEX orders_legacy_idx;',
        '',
      ].join('\n'),
    );
    const before = await lintFile();
    expect(rulesOf(before)).toEqual(
      expect.arrayContaining(['constraint-missing-not-valid', 'require-concurrent-index-creation', 'require-concurrent-index-deletion', 'require-timeout-settings']),
    );

    const applied = await applyFixes(root, before);
    expect(applied).toEqual([`${file}:2`, `${file}:4`, `${file}:5`]);
    expect(await readFile(join(root, file), 'utf8')).toBe(
      [
        '-- orders housekeeping',
        'CREATE INDEX CONCURRENTLY orders_customer_idx',
        '  ON orders (customer_id);',
        'ALTER TABLE orders ADD CONSTRAINT orders_total_pos CHECK (total > 0) NOT VALID;',
        'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_pos;',
        'DROP INDEX CONCURRENTLY orders_legacy_idx;',
        '',
      ].join('\n'),
    );

    const after = await lintFile();
    for (const rule of ['require-concurrent-index-creation', 'require-concurrent-index-deletion', 'constraint-missing-not-valid']) {
      expect(rulesOf(after)).not.toContain(rule);
    }
  });

  it('writes the lock_timeout preamble when it is the only fix for the statement', async () => {
    await write('ALTER TABLE orders ADD COLUMN note text;\n');
    const before = await lintFile();
    expect(rulesOf(before)).toContain('require-timeout-settings');
    await applyFixes(root, before);
    expect(await readFile(join(root, file), 'utf8')).toBe("SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;\n");
    expect(rulesOf(await lintFile())).not.toContain('require-timeout-settings');
  });

  it('in a transactional file keeps NOT VALID in place and leaves CONCURRENTLY (not a drop-in there) alone', async () => {
    const sql = 'CREATE INDEX i ON orders (a);\nALTER TABLE orders ADD CONSTRAINT pos CHECK (total > 0);\n';
    await write(sql);
    const before = await lintFile(true);
    await applyFixes(root, before);
    const text = await readFile(join(root, file), 'utf8');
    expect(text).toContain('CREATE INDEX i ON orders (a);');
    expect(text).toContain('CHECK (total > 0) NOT VALID;');
    expect(text).not.toContain('VALIDATE CONSTRAINT'); // the VALIDATE belongs in a later migration
    expect(rulesOf(await lintFile(true))).not.toContain('constraint-missing-not-valid');
  });

  it('keeps the indentation of a statement it rewrites and applies nothing when there is no drop-in fix', async () => {
    await write('SELECT 1;\n  REINDEX INDEX orders_code_idx;\nALTER TABLE orders RENAME COLUMN a TO b;\n');
    const findings = (await lintFile()).filter((f) => f.rule !== 'require-timeout-settings');
    expect(await applyFixes(root, findings)).toEqual([`${file}:2`]);
    expect(await readFile(join(root, file), 'utf8')).toBe(
      'SELECT 1;\n  REINDEX INDEX CONCURRENTLY orders_code_idx;\nALTER TABLE orders RENAME COLUMN a TO b;\n',
    );
  });
});
