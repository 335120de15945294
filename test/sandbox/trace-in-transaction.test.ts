import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox, type PreparedMigration } from '../../src/sandbox/index.js';
import type { StatementObservation } from '../../src/types.js';

let sandbox: Sandbox;
let observations: (StatementObservation & { acquired?: StatementObservation['locks'] })[];

const statements = [
  'ALTER TABLE accounts ADD COLUMN note text',
  'CREATE INDEX orders_total_idx ON orders (total)',
  'ALTER TABLE accounts ADD CONSTRAINT accounts_id_positive CHECK (id > 0)',
  'ALTER TABLE orders ALTER COLUMN total TYPE bigint',
];

beforeAll(async () => {
  sandbox = await createSandbox({ statementTimeoutMs: 20_000, memoryMb: 2048 });
  await sandbox.exec(`
    CREATE TABLE accounts (id bigint PRIMARY KEY);
    CREATE TABLE orders (id bigint PRIMARY KEY, total int);
    INSERT INTO accounts SELECT g FROM generate_series(1, 300) g;
    INSERT INTO orders SELECT g, g FROM generate_series(1, 300) g;`);
  const file: PreparedMigration = {
    file: 'db/0002.sql',
    inTransaction: true,
    statements: statements.map((text, index) => ({ index, text, line: index + 1, endLine: index + 1 })),
  };
  const run = await sandbox.apply(file, { trace: true });
  expect(run.status.status).toBe('applied');
  observations = run.outcomes.map((o) => o.observation!);
}, 120_000);
afterAll(() => sandbox.close());

const modes = (locks: StatementObservation['locks'] | undefined, relation: string) =>
  (locks ?? []).filter((l) => l.relation === relation).map((l) => l.mode);

describe('tracing statement after statement in one transaction', () => {
  it('sees locks accumulate: each statement holds what earlier ones took, and adds its own', () => {
    expect(modes(observations[0]!.locks, 'public.accounts')).toContain('AccessExclusiveLock');
    expect(modes(observations[1]!.locks, 'public.accounts')).toContain('AccessExclusiveLock');
    expect(modes(observations[1]!.locks, 'public.orders')).toContain('ShareLock');
  });

  it('credits a lock to the statement that took it, not to later ones', () => {
    expect(modes(observations[1]!.acquired, 'public.accounts')).toEqual([]);
    expect(modes(observations[1]!.acquired, 'public.orders')).toEqual(['ShareLock']);
    expect(modes(observations[3]!.acquired, 'public.orders')).toEqual(['AccessExclusiveLock']);
  });

  it('counts each statement\'s own scans and rewrites', () => {
    expect(observations[0]!.scans).toEqual([]);
    expect(observations[1]!.scans.map((s) => s.relation)).toEqual(['public.orders']);
    expect(observations[2]!.scans).toEqual([{ relation: 'public.accounts', seqScans: 1, rowsRead: 300 }]);
    expect(observations[2]!.rewrites).toEqual([]);
    expect(observations[3]!.rewrites).toContain('public.orders');
  });
});
