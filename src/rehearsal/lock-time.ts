// Times one statement at two or three synthetic sizes of its table, from the state before it (the state
// before its file, plus the statements before it in the file), and fits how the time grows. Each
// measurement runs in a transaction that is rolled back, so the next size starts from the same table.
// A sample is the statement's wall time, or, in PGlite, the process's CPU time over it when less: PGlite
// runs in memory in this process, so its work is CPU, and CPU time does not count the waits of a machine
// busy with other work. A server sandbox works in its own processes: its samples are wall time.
import { prepareMigration, type Sandbox } from '../sandbox/index.js';
import { SandboxQueryError } from '../sandbox/index.js';
import { quoteTable } from '../synthetic/plan.js';
import { fillSynthetic } from '../synthetic/index.js';
import type { CatalogSnapshot, ParsedStatement } from '../types.js';
import type { Sample } from './fit.js';

export interface MeasureInput {
  path: string;
  inTransaction: boolean;
  statements: readonly ParsedStatement[];
  /** Position of the statement to time. */
  at: number;
  /** The table (schema.name) whose rows are varied. */
  table: string;
  /** The smallest size measured; the others are twice and four times it. */
  sampleRows: number;
  /**
   * The catalog the sandbox's synthetic rows were made from (before the new migrations): added rows
   * leave the columns the file added as the existing rows have them, NULL or their default, so that
   * they meet the statement as the existing rows do.
   */
  catalog: CatalogSnapshot;
  /** A sandbox in the state before the file. The measurement closes it. */
  open(): Promise<Sandbox>;
  signal: AbortSignal;
  /** When to stop adding sizes (the budget's share for this statement), as performance.now(). */
  deadline: number;
}

export interface Measured {
  samples: Sample[];
  /** Why fewer than two sizes were measured, or why none. */
  skipped?: string;
}

const REPETITIONS = 2;
/** Below this, a statement's fixed costs drown how it grows. */
const MIN_ROWS = 1_000;

export async function measureLockTime(input: MeasureInput): Promise<Measured> {
  if (input.signal.aborted) return { samples: [], skipped: 'the rehearsal time budget was reached' };
  const db = await input.open();
  const close = () => void db.close().catch(() => undefined);
  input.signal.addEventListener('abort', close, { once: true });
  const samples: Sample[] = [];
  try {
    if (input.at > 0) {
      const run = await db.apply(prepareMigration(input.path, input.inTransaction, input.statements.slice(0, input.at)), { trace: false });
      if (run.status.status !== 'applied') return { samples, skipped: 'the statements before it did not apply in the rehearsal sandbox' };
    }
    const statement = input.statements[input.at]!;
    let rows = await countRows(db, input.table);
    const grow = async (size: number) => {
      if (rows >= size) return;
      const before = rows;
      await fillSynthetic(db, input.catalog, (t) => (t === input.table ? size - rows : 0));
      rows = await countRows(db, input.table);
      // Keys drawn from parent rows the existing rows already use: make the table afresh at that size.
      if (rows === before) rows = await regenerate(db, input.catalog, input.table, size);
      await settleWal(db);
    };
    const first = Math.max(input.sampleRows, rows);
    await grow(first);
    const enough = () => input.signal.aborted || (samples.length >= 2 && performance.now() > input.deadline);
    // The first run in a fresh sandbox also warms its caches: not a sample.
    await timeRolledBack(db, statement.text, 1);
    samples.push({ rows, ms: await timeRolledBack(db, statement.text) });
    for (const factor of [2, 4]) {
      if (enough()) break;
      const before = rows;
      await grow(first * factor);
      // A table the generator cannot add to (unique keys drawn from small parents): take rows away instead.
      if (rows <= before) break;
      samples.push({ rows, ms: await timeRolledBack(db, statement.text) });
    }
    const largest = rows;
    for (const divisor of [2, 4]) {
      if (samples.length >= 3 || enough() || largest / divisor < MIN_ROWS) break;
      rows = await shrink(db, input.table, Math.floor(largest / divisor));
      await settleWal(db);
      samples.push({ rows, ms: await timeRolledBack(db, statement.text) });
    }
    if (samples.length < 2) return { samples, skipped: input.signal.aborted ? 'the rehearsal time budget was reached' : `${input.table} could not be grown to a second size` };
    return { samples };
  } catch (error) {
    if (input.signal.aborted) return { samples, skipped: 'the rehearsal time budget was reached' };
    const why = error instanceof SandboxQueryError ? `it failed on the synthetic rows: ${error.message}` : `the sandbox failed: ${(error as Error).message}`;
    return { samples, skipped: why };
  } finally {
    input.signal.removeEventListener('abort', close);
    await db.close().catch(() => undefined);
  }
}

/** The fastest of a few runs, each rolled back. */
export async function timeRolledBack(db: Sandbox, sql: string, repetitions = REPETITIONS): Promise<number> {
  const inProcess = db.engine.name === 'pglite';
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repetitions; i++) {
    await db.exec('BEGIN');
    try {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await db.exec(sql);
      const wall = performance.now() - t0;
      const used = process.cpuUsage(cpu);
      best = Math.min(best, wall, inProcess ? (used.user + used.system) / 1000 : wall);
    } finally {
      await db.exec('ROLLBACK').catch(() => undefined);
    }
    await settleWal(db);
  }
  return best;
}

/**
 * PGlite keeps its WAL in memory: a rolled-back rewrite's segments, and those of the rows added to grow a
 * table, stay until a checkpoint lets Postgres recycle them (six runs over a 200k-row table held ~150 MB
 * more). Run between measurements, never inside one.
 */
async function settleWal(db: Sandbox): Promise<void> {
  if (db.engine.name === 'pglite') await db.exec('CHECKPOINT').catch(() => undefined);
}

/**
 * Keeps `rows` rows of the table, then compacts it (a rewrite or scan reads dead rows' pages too).
 * References to the deleted rows are left dangling (foreign-key triggers are off for the delete): the
 * statement timed works on this table, not on those that point at it.
 */
async function shrink(db: Sandbox, table: string, rows: number): Promise<number> {
  const name = quoteTable(table);
  const { rows: role } = await db.query<{ v: string }>(`SELECT current_setting('session_replication_role') AS v`);
  await db.query(`SELECT set_config('session_replication_role', 'replica', false)`);
  try {
    await db.exec(`DELETE FROM ${name} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${name} OFFSET ${Math.max(0, Math.floor(rows))}))`);
  } finally {
    await db.query(`SELECT set_config('session_replication_role', $1, false)`, [role[0]?.v ?? 'origin']);
  }
  await db.exec(`VACUUM FULL ${name}`);
  await db.exec(`ANALYZE ${name}`);
  return countRows(db, table);
}

/** Empties the table (foreign-key triggers off) and fills it with `rows` new synthetic rows. */
async function regenerate(db: Sandbox, catalog: CatalogSnapshot, table: string, rows: number): Promise<number> {
  const name = quoteTable(table);
  const { rows: role } = await db.query<{ v: string }>(`SELECT current_setting('session_replication_role') AS v`);
  await db.query(`SELECT set_config('session_replication_role', 'replica', false)`);
  try {
    await db.exec(`DELETE FROM ${name}`);
  } finally {
    await db.query(`SELECT set_config('session_replication_role', $1, false)`, [role[0]?.v ?? 'origin']);
  }
  await db.exec(`VACUUM FULL ${name}`);
  await fillSynthetic(db, catalog, (t) => (t === table ? rows : 0));
  return countRows(db, table);
}

async function countRows(db: Sandbox, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number | string }>(`SELECT count(*)::int8 AS n FROM ${quoteTable(table)}`);
  return Number(rows[0]?.n ?? 0);
}
