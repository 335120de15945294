import { capturePreexisting, captureState, lockStrength, observeStatement, type TracedObservation } from '../../src/sandbox/observe.js';
import type { LockMode, Queryable } from '../../src/types.js';

/** Two pre-existing tables with real rows, so that scans and rewrites are data-dependent. */
export function seedSql(schema: string, rows = 300): string {
  return `
    reset lock_timeout;
    drop schema if exists ${schema} cascade;
    create schema ${schema};
    create table ${schema}.orders (id int primary key, customer_id int, status varchar(10), amount int, note text);
    insert into ${schema}.orders select g, g % 50 + 1, 'new', g, null from generate_series(1, ${rows}) g;
    create table ${schema}.customers (id int primary key, name text);
    insert into ${schema}.customers select g, 'c' || g from generate_series(1, 50) g;
  `;
}

/** Seeds, records the baseline, runs `setup` (part of the baseline), then observes `sql`. */
export async function observeOne(
  db: Queryable,
  schema: string,
  sql: string,
  options: { setup?: string; inTransaction?: boolean; rows?: number } = {},
): Promise<TracedObservation> {
  await db.exec(seedSql(schema, options.rows));
  if (options.setup) await db.exec(options.setup);
  const baseline = await capturePreexisting(db);
  const inTransaction = options.inTransaction ?? true;
  if (inTransaction) await db.exec('begin');
  try {
    const before = await captureState(db, baseline);
    await db.exec(sql);
    return await observeStatement(db, before, inTransaction);
  } finally {
    if (inTransaction) await db.exec('commit');
  }
}

/** The strongest lock the statement took on a relation, if any. */
export function strongestAcquired(observation: TracedObservation, relation: string): LockMode | undefined {
  const modes = observation.acquired.filter((lock) => lock.relation === relation).map((lock) => lock.mode);
  return modes.sort((a, b) => lockStrength(b) - lockStrength(a))[0];
}

export function scanned(observation: TracedObservation, relation: string): boolean {
  return observation.scans.some((scan) => scan.relation === relation && scan.seqScans > 0);
}
