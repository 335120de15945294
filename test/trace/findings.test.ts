import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/sandbox/cluster.js';
import { fingerprint } from '../../src/finding.js';
import { traceFindings } from '../../src/trace/index.js';
import type { CatalogSnapshot, Finding } from '../../src/types.js';
import { seedSql } from './observe-helpers.js';
import { runTraced } from './run-helpers.js';

const S = 'obs';
const FILE = 'db/migrations/0002_change.sql';
const EMPTY: CatalogSnapshot = { tables: [], functions: [], extensions: [], enums: [] };

let db: PGlite;
beforeAll(async () => {
  db = await openPglite();
});
afterAll(async () => {
  await db.close();
});

async function trace(sql: string, inTransaction = true, catalogBefore = EMPTY): Promise<Finding[]> {
  await db.exec(seedSql(S));
  const { statements, outcomes } = await runTraced(db, FILE, sql, inTransaction);
  return traceFindings({ file: FILE, statements, outcomes, inTransaction, catalogBefore });
}

const byRule = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);

describe('traceFindings on observed statements', () => {
  it('a transaction that takes ACCESS EXCLUSIVE, keeps working under it, then rewrites', async () => {
    const sql = [
      `ALTER TABLE ${S}.orders ADD COLUMN priority int DEFAULT 0;`,
      `UPDATE ${S}.orders SET priority = 1;`,
      `CREATE INDEX orders_amount_idx ON ${S}.orders (amount);`,
      `ALTER TABLE ${S}.orders ALTER COLUMN amount TYPE bigint;`,
    ].join('\n');
    const findings = await trace(sql);

    const [lock] = byRule(findings, 'lock-access-exclusive');
    expect(lock).toMatchObject({ severity: 'info', source: 'trace', line: 1, endLine: 1 });
    expect(lock!.message).toContain('ACCESS EXCLUSIVE lock on obs.orders');
    expect(lock!.message).toContain('blocks every query on the table, reads included');
    expect(lock!.fingerprint).toBe(fingerprint('lock-access-exclusive', FILE, `ALTER TABLE ${S}.orders ADD COLUMN priority int DEFAULT 0`));

    const [held] = byRule(findings, 'lock-held-across-statements');
    expect(held).toMatchObject({ severity: 'warning', line: 1 });
    expect(held!.message).toContain('3 more statements run while it is held (lines 2, 3 and 4); 3 of them rewrite or scan a table');
    const timeline = held!.evidence!.split('\n');
    expect(timeline[0]).toBe('lock timeline for obs.orders:');
    expect(timeline[1]).toMatch(/^ {2}line 1 {2}AccessExclusiveLock taken {2}ALTER TABLE obs\.orders ADD COLUMN priority int DEFAULT 0$/);
    expect(timeline[2]).toMatch(/^ {2}line 2 {2}AccessExclusiveLock held {3}UPDATE obs\.orders SET priority = 1 {2}\[seq scan obs\.orders \(300 rows\)\]$/);
    expect(timeline[4]).toMatch(/line 4 .*held .*\[rewrites obs\.orders, obs\.orders_pkey; seq scan obs\.orders \(\d+ rows\)\]$/);
    expect(timeline.at(-1)).toBe('  released at COMMIT');

    // Held locks are not taken again: the index build and the rewrite do not repeat the lock finding.
    expect(byRule(findings, 'full-table-scan')).toEqual([]);
    const [rewrite] = byRule(findings, 'table-rewrite');
    expect(rewrite).toMatchObject({ severity: 'error', line: 4 });
    expect(rewrite!.evidence).toMatch(/rewrite: obs\.orders relfilenode \d+ → \d+/);
    expect(rewrite!.evidence).toMatch(/seq scans on obs\.orders: \d+ \(\d+ rows read\)/);
    expect(rewrite!.evidence).not.toContain('orders_amount_idx created'); // rebuilt by the type change, not new
    expect(rewrite!.evidence).toContain('column obs.orders.amount type integer → bigint');
    expect(rewrite!.fix?.title).toMatch(/type/);

    const [timeout] = byRule(findings, 'missing-lock-timeout');
    expect(timeout).toMatchObject({ severity: 'warning', line: 1 });
    expect(timeout!.fix?.sql).toBe(`SET lock_timeout = '5s';\nALTER TABLE ${S}.orders ADD COLUMN priority int DEFAULT 0;`);
  });

  it('CREATE INDEX in autocommit: a full scan under SHARE, with the CONCURRENTLY replacement', async () => {
    const findings = await trace(`SET lock_timeout = '3s';\nCREATE INDEX orders_amount_idx\n  ON ${S}.orders (amount);`, false);
    const [scan] = byRule(findings, 'full-table-scan');
    expect(scan).toMatchObject({ severity: 'warning', line: 2, endLine: 3 });
    expect(scan!.message).toContain('Reads all of obs.orders (300 rows of obs.orders read in the sandbox) while holding a SHARE lock');
    expect(scan!.message).toContain('plain SELECT still runs');
    expect(scan!.evidence).toContain('pg_locks: ShareLock on obs.orders');
    expect(scan!.fix).toMatchObject({ sql: `CREATE INDEX CONCURRENTLY orders_amount_idx\n  ON ${S}.orders (amount);`, replacesStatement: true });
    expect(byRule(findings, 'missing-lock-timeout')).toEqual([]);
    expect(byRule(findings, 'lock-held-across-statements')).toEqual([]);
  });

  it('SET NOT NULL after a validated CHECK: only a brief lock, no scan finding', async () => {
    await db.exec(seedSql(S));
    const findings = await trace(
      `ALTER TABLE ${S}.orders ADD CONSTRAINT amount_nn CHECK (amount IS NOT NULL) NOT VALID;`,
      false,
    );
    expect(byRule(findings, 'full-table-scan')).toEqual([]);
    const [scan] = byRule(await trace(`ALTER TABLE ${S}.orders ALTER COLUMN amount SET NOT NULL;`, false), 'full-table-scan');
    expect(scan!.fix?.steps?.[0]).toBe('ALTER TABLE obs.orders ADD CONSTRAINT amount_not_null CHECK (amount IS NOT NULL) NOT VALID;');
  });

  it('a new foreign key without an index on its columns, and the index that fixes it', async () => {
    const sql = `SET lock_timeout = '1s';\nALTER TABLE ${S}.orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES ${S}.customers (id);`;
    const findings = await trace(sql);
    const [fk] = byRule(findings, 'foreign-key-without-index');
    expect(fk).toMatchObject({ severity: 'warning', line: 2 });
    expect(fk!.message).toContain('orders_customer_fk obs.orders (customer_id) → obs.customers');
    expect(fk!.fix?.sql).toBe('CREATE INDEX CONCURRENTLY orders_customer_id_idx ON obs.orders (customer_id);');
    expect(fk!.evidence).toContain('no index on obs.orders starts with (customer_id)');
    expect(fk!.evidence).toContain('pg_locks: ShareRowExclusiveLock on obs.customers, obs.orders;');
    // Validation read both tables under SHARE ROW EXCLUSIVE: one finding names both.
    const [scan] = byRule(findings, 'full-table-scan');
    expect(scan!.message).toMatch(/Reads all of obs\.(orders and obs\.customers|customers and obs\.orders)/);
  });

  it('no foreign-key finding when an index covers the columns, from the catalog or later in the file', async () => {
    const catalog: CatalogSnapshot = {
      ...EMPTY,
      tables: [{
        schema: S, name: 'orders', estimatedRows: 300, columns: [], constraints: [],
        indexes: [{ name: 'orders_customer_idx', definition: 'CREATE INDEX …', unique: false, primary: false, columns: ['customer_id', 'id'], valid: true }],
      }],
    };
    const fk = `ALTER TABLE ${S}.orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES ${S}.customers (id);`;
    expect(byRule(await trace(fk, true, catalog), 'foreign-key-without-index')).toEqual([]);
    const later = `${fk}\nCREATE INDEX orders_cust ON ${S}.orders (customer_id);`;
    expect(byRule(await trace(later), 'foreign-key-without-index')).toEqual([]);
    const newTable = `CREATE TABLE ${S}.items (id int primary key, order_id int references ${S}.orders (id));`;
    const [onNew] = byRule(await trace(newTable), 'foreign-key-without-index');
    expect(onNew!.fix?.sql).toBe('CREATE INDEX items_order_id_idx ON obs.items (order_id);');
  });

  it('statements that failed or did not run give no trace findings', async () => {
    await db.exec(seedSql(S));
    const { statements, outcomes } = await runTraced(db, FILE, `ALTER TABLE ${S}.orders ADD COLUMN x float8 DEFAULT random();`, true);
    const failed = outcomes.map((o) => ({ ...o, status: 'error' as const }));
    expect(traceFindings({ file: FILE, statements, outcomes: failed, inTransaction: true, catalogBefore: EMPTY })).toEqual([]);
    const ok = traceFindings({ file: FILE, statements, outcomes, inTransaction: true, catalogBefore: EMPTY });
    expect(ok.map((f) => f.rule).sort()).toEqual(['missing-lock-timeout', 'table-rewrite']);
  });
});
