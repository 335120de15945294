// The retry rehearsal on real PGlite sandboxes started from one snapshot: each hazard a retry after a
// failure halfway can hit, and migrations that are safe to run again.
import { beforeAll, describe, expect, it } from 'vitest';
import { rehearseRetry, type RetryFile, type RetryRehearsal } from '../../src/rehearsal/retry.js';
import { retryFindings, retryNotes } from '../../src/rehearsal/retry-findings.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { HazardFinding } from '../../src/hazards/types.js';

// Generous: a statement on a machine busy with other work must not look like a runaway one.
const options = { statementTimeoutMs: 120_000, memoryMb: 2048 };

const FILES = {
  guardless: ['ALTER TABLE orders ADD COLUMN tracking text;', 'ALTER TABLE orders RENAME COLUMN note TO remark;', 'SELECT 1;'],
  keptInvalid: ['CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx ON orders (total);'],
  invalidExists: ['CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);', 'ANALYZE orders;'],
  unnamedBuild: ['CREATE INDEX CONCURRENTLY ON orders (customer_id);'],
  doubleBackfill: ['UPDATE orders SET total = total * 100;', 'ALTER TABLE orders ADD COLUMN IF NOT EXISTS cents boolean;'],
  duplicateRows: ["INSERT INTO audit_log (message) SELECT 'moved ' || id FROM orders WHERE id <= 10;", 'ALTER TABLE orders ADD COLUMN IF NOT EXISTS moved boolean;'],
  duplicateKey: ["INSERT INTO customers (id, email) VALUES (1001, 'new@example.com');", 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS tier text;'],
  ownCommits: ['BEGIN;', 'ALTER TABLE customers ADD COLUMN tier text;', 'COMMIT;', 'BEGIN;', "UPDATE customers SET tier = 'gold';", 'COMMIT;'],
  idempotent: [
    'ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipped_at timestamptz;',
    'CREATE INDEX IF NOT EXISTS orders_shipped_idx ON orders (shipped_at);',
    "UPDATE orders SET note = 'none' WHERE note IS NULL;",
    "INSERT INTO customers (id, email) VALUES (2001, 'x@example.com') ON CONFLICT (id) DO NOTHING;",
  ],
  oneTransaction: ['ALTER TABLE orders ADD COLUMN channel text;', 'UPDATE orders SET total = total * 100;'],
} as const;

type Name = keyof typeof FILES;
const IN_TRANSACTION = new Set<Name>(['oneTransaction']);
const files = new Map<Name, RetryFile>();
const rehearsals = new Map<Name, RetryRehearsal>();
const findings = (name: Name): HazardFinding[] => retryFindings(files.get(name)!, rehearsals.get(name)!);

beforeAll(async () => {
  const base = await createSandbox(options);
  let start: Uint8Array;
  try {
    await base.exec(`
      CREATE TABLE customers (id bigint PRIMARY KEY, email text);
      CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint, note text, total int);
      CREATE TABLE audit_log (id serial, message text, at timestamptz DEFAULT now());
      INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 300) g;
      INSERT INTO orders (customer_id, note, total) SELECT 1 + g % 300, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END, g FROM generate_series(1, 500) g;`);
    start = await base.snapshot();
  } finally {
    await base.close();
  }
  for (const name of Object.keys(FILES) as Name[]) {
    const sql = FILES[name].join('\n') + '\n';
    const parsed = await parseMigrationSql(sql, `db/${name}.sql`);
    const file = { path: `db/${name}.sql`, inTransaction: IN_TRANSACTION.has(name), statements: parsed.statements };
    files.set(name, file);
    rehearsals.set(name, await rehearseRetry(file, { open: () => createSandbox({ ...options, tarball: start }), signal: new AbortController().signal }));
  }
}, 600_000);

describe('a retry after a failure halfway', () => {
  it('fails on each statement that already ran: "already exists", "does not exist"', () => {
    const found = findings('guardless');
    expect(found.map((f) => [f.rule, f.line])).toEqual([
      ['retry-fails', 1],
      ['retry-fails', 2],
    ]);
    expect(found[0]!.message).toBe(
      'A retry fails here with column "tracking" of relation "orders" already exists (SQLSTATE 42701). That is what running the migration again meets ' +
        'if this migration stops after this statement or any later one (each statement commits on its own); what ran before the stop stays applied, so the database is left half migrated until someone repairs it by hand.',
    );
    expect(found[0]!.fix?.steps?.[0]).toMatch(/^Guard it with IF NOT EXISTS/);
    expect(found[0]!.fix?.steps?.[1]).toMatch(/one transaction/);
    expect(found[1]!.message).toContain('column "note" does not exist (SQLSTATE 42703)');
    expect(found[1]!.fix?.steps?.[0]).toMatch(/^Guard it with IF EXISTS/);
    expect(found[1]!.evidence).toBe(
      'rehearsed in the sandbox: if this migration stops after line 2 (each statement commits on its own), then the whole file ran again: ' +
        'line 1 failed: column "tracking" of relation "orders" already exists (SQLSTATE 42701); line 2 failed: column "note" does not exist (SQLSTATE 42703)',
    );
  });

  it('keeps an INVALID index left by a failed concurrent build when the CREATE says IF NOT EXISTS', () => {
    const [finding, ...rest] = findings('keptInvalid');
    expect(rest).toEqual([]);
    expect(finding!.rule).toBe('retry-invalid-index');
    expect(finding!.severity).toBe('warning');
    expect(finding!.message).toContain('it leaves the index orders_total_idx behind, INVALID; running the migration again skips it (IF NOT EXISTS) and reports success');
    expect(finding!.evidence).toContain('INVALID afterwards: public.orders_total_idx');
    expect(finding!.fix?.sql).toBe(
      'DROP INDEX CONCURRENTLY IF EXISTS orders_total_idx;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx ON orders (total);',
    );
  });

  it('stops on the leftover INVALID index without IF NOT EXISTS', () => {
    const found = findings('invalidExists');
    const invalid = found.find((f) => f.rule === 'retry-invalid-index')!;
    expect(invalid.line).toBe(1);
    expect(invalid.message).toContain('running the migration again stops here: relation "orders_note_idx" already exists (SQLSTATE 42P07)');
    // The stop after the (finished) build: the retry trips on the same statement.
    expect(found.filter((f) => f.rule === 'retry-fails').map((f) => f.line)).toEqual([1]);
  });

  it('builds a second index beside an unnamed INVALID one', () => {
    const [finding] = findings('unnamedBuild');
    expect(finding!.rule).toBe('retry-invalid-index');
    expect(finding!.message).toContain('leaves its index behind, INVALID; running the migration again builds a second index beside it');
    expect(finding!.fix?.sql).toBeUndefined();
    expect(finding!.fix?.steps?.[0]).toMatch(/^Name the index/);
  });

  it('runs a backfill a second time: the rows differ from one run', () => {
    const [finding, ...rest] = findings('doubleBackfill');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'retry-not-idempotent', severity: 'warning', line: 1 });
    expect(finding!.message).toBe(
      'If this migration stops after this statement or any later one (each statement commits on its own), running the migration again runs this statement a second time and reports success: the rows of public.orders differ from what a single run leaves.',
    );
  });

  it('inserts half-applied rows twice', () => {
    const [finding] = findings('duplicateRows');
    expect(finding).toMatchObject({ rule: 'retry-not-idempotent', line: 1 });
    expect(finding!.message).toContain('public.audit_log holds 20 rows after the retry where a single run leaves 10');
  });

  it('fails on a key the first run inserted', () => {
    const [finding] = findings('duplicateKey');
    expect(finding).toMatchObject({ rule: 'retry-fails', line: 1 });
    expect(finding!.message).toContain('(SQLSTATE 23505)');
    expect(finding!.fix?.steps?.[0]).toBe('Make the INSERT safe to repeat: INSERT … ON CONFLICT DO NOTHING.');
  });

  it("stops after the file's own COMMIT, in fresh sandboxes", () => {
    const [finding, ...rest] = findings('ownCommits');
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ rule: 'retry-fails', line: 2 });
    expect(finding!.message).toMatch(/^A retry fails here with column "tier" of relation "customers" already exists \(SQLSTATE 42701\)\. That is what running the migration again meets if this migration stops after line 3 \(its COMMIT made what ran before permanent\);/);
  });
});

describe('a migration safe to retry', () => {
  it('applies again after every stop, leaving the schema and rows of one run, and says so in one line', () => {
    expect(rehearsals.get('idempotent')!.outcomes).toHaveLength(3);
    expect(findings('idempotent')).toEqual([]);
    expect(retryNotes(files.get('idempotent')!, rehearsals.get('idempotent')!, 0)).toEqual([
      'Retry rehearsal: db/idempotent.sql was stopped after each of its 3 statements that commit on their own and run again: every retry applied and left the schema and rows of a single run.',
    ]);
  });

  it('in one transaction needs no rehearsal: a failure rolls it all back', () => {
    expect(rehearsals.get('oneTransaction')).toEqual({ file: 'db/oneTransaction.sql', mode: 'one-transaction', outcomes: [] });
    expect(findings('oneTransaction')).toEqual([]);
  });
});

describe('the budget', () => {
  it('stops a rehearsal whose signal has ended and says how far it got', async () => {
    const controller = new AbortController();
    controller.abort();
    const file = files.get('guardless')!;
    const rehearsal = await rehearseRetry(file, { open: () => Promise.reject(new Error('not opened')), signal: controller.signal });
    expect(rehearsal.incomplete).toBe('the rehearsal ran out of time');
    expect(retryNotes(file, rehearsal, 0)).toEqual(['Retry rehearsal of db/guardless.sql did not finish (the rehearsal ran out of time): 0 stops rehearsed.']);
  });
});
