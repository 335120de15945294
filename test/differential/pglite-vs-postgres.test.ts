import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type MigrationRun, type Sandbox } from '../../src/sandbox/index.js';
import { createPostgresSandbox, type PostgresSandbox } from '../../src/sandbox/postgres/index.js';
import type { LockMode } from '../../src/types.js';
import { CASES, behaviour, caseMigration, historyMigration, type Behaviour, type DdlCase } from './cases.js';
import { SERVER_URL } from '../helpers/postgres-server.js';

// The same DDL statements traced by the PGlite sandbox (PostgreSQL 18) and by the postgres sandbox on a
// real server (PostgreSQL 15 locally): lock modes, rewrites and scans must agree, except where the
// versions differ. Those differences are data below, each with its reason, and are asserted too.
const url = SERVER_URL;

/** What PostgreSQL does, on both engines: the strongest lock on the case's table, a rewrite, a full scan. */
const EXPECTED: Record<string, { lock: LockMode | 'none'; rewrite: boolean; scan: boolean }> = {
  add_column: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  add_column_constant_default: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  add_column_volatile_default: { lock: 'AccessExclusiveLock', rewrite: true, scan: true },
  alter_type_coercible: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  alter_type_rewrite: { lock: 'AccessExclusiveLock', rewrite: true, scan: true },
  set_not_null: { lock: 'AccessExclusiveLock', rewrite: false, scan: true },
  set_not_null_after_check: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  create_index: { lock: 'ShareLock', rewrite: false, scan: true },
  // Runs outside a transaction block: its locks are gone when it returns, its scan is counted.
  create_index_concurrently: { lock: 'none', rewrite: false, scan: true },
  add_check: { lock: 'AccessExclusiveLock', rewrite: false, scan: true },
  add_check_not_valid: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  validate_check: { lock: 'ShareUpdateExclusiveLock', rewrite: false, scan: true },
  add_foreign_key: { lock: 'ShareRowExclusiveLock', rewrite: false, scan: true },
  add_foreign_key_not_valid: { lock: 'ShareRowExclusiveLock', rewrite: false, scan: false },
  drop_column: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  rename_column: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  rename_table: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  add_stored_generated_column: { lock: 'AccessExclusiveLock', rewrite: true, scan: true },
  add_virtual_generated_column: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  add_not_null_not_valid: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  add_check_not_enforced: { lock: 'AccessExclusiveLock', rewrite: false, scan: false },
  set_generation_expression: { lock: 'AccessExclusiveLock', rewrite: true, scan: true },
};

/** Where a server older than `since` behaves differently from PGlite's PostgreSQL 18. */
const VERSION_DIFFERENCES: { id: string; since: number; older: { sqlstate: string }; why: string }[] = [
  { id: 'add_virtual_generated_column', since: 18, older: { sqlstate: '42601' }, why: 'VIRTUAL generated columns (computed on read, no rewrite) arrived in PostgreSQL 18' },
  { id: 'add_not_null_not_valid', since: 18, older: { sqlstate: '42601' }, why: 'NOT NULL as a named constraint that can be NOT VALID arrived in PostgreSQL 18' },
  { id: 'add_check_not_enforced', since: 18, older: { sqlstate: '42601' }, why: 'NOT ENFORCED CHECK and foreign key constraints arrived in PostgreSQL 18' },
  { id: 'set_generation_expression', since: 17, older: { sqlstate: '42601' }, why: 'ALTER COLUMN … SET EXPRESSION arrived in PostgreSQL 17 (before: drop and re-add the column)' },
];

let lite: Sandbox;
let server: PostgresSandbox;
let serverMajor: number;
const results = new Map<string, { lite: MigrationRun; server: MigrationRun }>();

beforeAll(async () => {
  const options = { statementTimeoutMs: 20_000, memoryMb: 2048 };
  [lite, server] = await Promise.all([createSandbox(options), createPostgresSandbox({ ...options, url })]);
  serverMajor = Number(/^(\d+)/.exec(server.engine.version)![1]);
  await Promise.all(
    [lite, server].map(async (sandbox) => {
      const [history] = await sandbox.replay([historyMigration()]);
      if (history!.status.status !== 'applied') throw new Error(`${sandbox.engine.name}: history failed: ${JSON.stringify(history!.status.error)}`);
    }),
  );
  // Each engine applies the cases in order (the baseline is taken at the first traced apply).
  const [liteRuns, serverRuns] = await Promise.all(
    [lite, server].map(async (sandbox) => {
      const runs: MigrationRun[] = [];
      for (const c of CASES) runs.push(await sandbox.apply(caseMigration(c), { trace: true }));
      return runs;
    }),
  );
  CASES.forEach((c, i) => results.set(c.id, { lite: liteRuns![i]!, server: serverRuns![i]! }));
});

afterAll(async () => {
  await Promise.all([lite?.close(), server?.close()]);
});

function observed(run: MigrationRun, c: DdlCase): Behaviour {
  const outcome = run.outcomes[0]!;
  expect(outcome.status, `${c.id}: ${outcome.error?.message ?? ''}`).toBe('ok');
  expect(outcome.observation, `${c.id} was not observed`).toBeDefined();
  return behaviour(c, outcome.observation!);
}

function matchesExpected(c: DdlCase, b: Behaviour): void {
  const expected = EXPECTED[c.id]!;
  const table = c.id === 'rename_table' ? 'T_renamed' : 'T'; // names as behaviour() shortens them
  const strongest = ['AccessExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock', 'ShareUpdateExclusiveLock']
    .find((mode) => b.locks.includes(`${table}:${mode}`)) ?? 'none';
  expect({ lock: strongest, rewrite: b.rewrites.includes(table), scan: b.scans.includes(table) }).toEqual(expected);
}

describe('PGlite and a real PostgreSQL server observe the same DDL behaviour', () => {
  it('every case has an expectation, every difference a case', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(CASES.map((c) => c.id).sort());
    for (const d of VERSION_DIFFERENCES) expect(CASES.map((c) => c.id)).toContain(d.id);
    expect(lite.engine.name).toBe('pglite');
    expect(server.engine.name).toBe('postgres');
  });

  it.each(CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const { lite: liteRun, server: serverRun } = results.get(c.id)!;
    const liteBehaviour = observed(liteRun, c);
    matchesExpected(c, liteBehaviour);

    const difference = VERSION_DIFFERENCES.find((d) => d.id === c.id && serverMajor < d.since);
    if (difference) {
      expect(serverRun.outcomes[0], difference.why).toMatchObject({ status: 'error', error: { sqlstate: difference.older.sqlstate } });
      return;
    }
    // Same lock modes on every relation (indexes and referenced tables too), same rewrites, same scans.
    expect(observed(serverRun, c)).toEqual(liteBehaviour);
  });
});
