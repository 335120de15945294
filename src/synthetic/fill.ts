import type { CatalogSnapshot, Queryable } from '../types.js';
import { fillOrder, qualifiedName } from './order.js';
import { isBookkeepingTable } from './bookkeeping.js';
import { readTypeFacts } from './types.js';
import { quoteTable, tableFillSql, type ColumnFacts, type FillMode } from './plan.js';

export interface FillResult {
  /** Tables skipped or filled with a fallback, and why. */
  notes: string[];
  /** Rows inserted per table (schema.name). */
  rows: Record<string, number>;
  /** Tables that hold only synthetic rows now (filled, and empty before): what a re-run may remove. */
  syntheticOnly: string[];
  durationMs: number;
  /**
   * The column facts the fill read (or was given): a later fill of the same schema may reuse them.
   * Absent when no table wanted rows and none were given: nothing was read.
   */
  facts?: ColumnFacts;
}

/** Identity and generated columns, and partitions: facts the CatalogSnapshot does not carry. */
export async function readColumnFacts(db: Queryable): Promise<ColumnFacts> {
  const generated = await db.query<{ col: string }>(
    `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS col
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE a.attnum > 0 AND NOT a.attisdropped AND (a.attidentity <> '' OR a.attgenerated <> '')
        AND c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  const partitions = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition`,
  );
  const types = await readTypeFacts(db);
  return { generated: new Set(generated.rows.map((r) => r.col)), partitions: new Set(partitions.rows.map((r) => r.name)), types };
}

const CHECK_VIOLATION = '23514';
const NOT_NULL_VIOLATION = '23502';
const UNIQUE_VIOLATION = '23505';

/** The SQLSTATE: `sqlstate` from a sandbox (a worker's SandboxQueryError), `code` from PGlite or pg directly. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { sqlstate, code } = error as { sqlstate?: unknown; code?: unknown };
  if (typeof sqlstate === 'string') return sqlstate;
  return code === undefined ? undefined : String(code);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Fill every table with synthetic rows, parents first, each table in its own statement so one table
 * that cannot be filled costs a note, not the fill. A CHECK or NOT NULL failure retries the table
 * with checked columns left NULL; a UNIQUE failure retries with every value distinct, then without
 * the rows whose key is taken. Ends with
 * ANALYZE of the filled tables so that plans see the rows.
 */
export async function fillSynthetic(
  db: Queryable,
  catalog: CatalogSnapshot,
  rowsFor: (table: string) => number,
  options: { deadline?: number; facts?: ColumnFacts } = {},
): Promise<FillResult> {
  const started = Date.now();
  const { order, deferred } = fillOrder(catalog.tables);
  // Nothing to add (the fill after the change when it created no table): no catalog read, no setting.
  if (!order.some((table) => !isBookkeepingTable(table.schema, table.name) && Math.floor(rowsFor(qualifiedName(table))) > 0)) {
    return { notes: [], rows: {}, syntheticOnly: [], durationMs: Date.now() - started, ...(options.facts ? { facts: options.facts } : {}) };
  }
  // Facts of the schema, not of its rows: a fill of the same schema just before may hand them on.
  const facts = options.facts ?? (await readColumnFacts(db));
  const notes: string[] = [];
  const rows: Record<string, number> = {};
  const syntheticOnly: string[] = [];
  const salt = Math.random().toString(36).slice(2, 8);
  // The generator draws every foreign key from existing parent rows, so the per-row RI triggers (and
  // user triggers, which should not react to synthetic rows) are skipped: several times faster.
  const replica = await trySet(db, 'session_replication_role', 'replica');
  try {

  for (const table of order) {
    const name = qualifiedName(table);
    if (facts.partitions.has(name) || isBookkeepingTable(table.schema, table.name)) continue;
    const wanted = Math.floor(rowsFor(name));
    if (wanted <= 0) continue;
    if (options.deadline !== undefined && Date.now() > options.deadline) {
      notes.push(`${name} and later tables: not filled, the time budget was reached`);
      break;
    }
    let before = 0;
    const modes: FillMode[] = [{ nullChecked: false, allDistinct: false }];
    let lastError: unknown;
    let skipped = false;
    for (let attempt = 0; attempt < modes.length; attempt++) {
      const mode = modes[attempt] as FillMode;
      const fill = tableFillSql(catalog, table, wanted, { facts, deferred, mode, salt });
      if (!fill.sql) {
        if (fill.note) notes.push(fill.note);
        lastError = undefined;
        break;
      }
      try {
        const counts = await insertCounted(db, name, fill.sql);
        before = counts.before;
        rows[name] = counts.after - counts.before;
        if (attempt > 0) notes.push(`${name}: filled with ${describe(mode)} after: ${errorMessage(lastError)}`);
        skipped = mode.skipConflicts === true;
        lastError = undefined;
        break;
      } catch (error) {
        // A table that cannot even be counted ends the fill, as it always did; its rows are unchanged.
        if (attempt === 0) await countRows(db, name);
        lastError = error;
        const code = errorCode(error);
        const next: FillMode = { ...mode };
        if ((code === CHECK_VIOLATION || code === NOT_NULL_VIOLATION) && !mode.nullChecked) next.nullChecked = true;
        else if (code === UNIQUE_VIOLATION && !mode.allDistinct) next.allDistinct = true;
        // A key distinct values cannot keep apart (an expression, parent combinations the rows already
        // there hold): the rows that fit go in.
        else if (code === UNIQUE_VIOLATION && !mode.skipConflicts) next.skipConflicts = true;
        else continue;
        modes.push(next);
      }
    }
    if (lastError !== undefined) notes.push(`${name}: not filled: ${errorMessage(lastError)}`);
    if (before === 0 && (rows[name] ?? 0) > 0) syntheticOnly.push(name);
    if (rows[name] !== undefined && rows[name] < wanted) {
      const why = skipped ? 'the others would have repeated a unique key' : 'limited by the parent rows available to its unique foreign keys';
      notes.push(`${name}: ${rows[name]} of ${wanted} rows (${why})`);
    }
  }
  } finally {
    if (replica !== undefined) await trySet(db, 'session_replication_role', replica);
  }
  // Only what was filled: a bare ANALYZE also reads every system catalog, which costs more than the
  // fill itself for a small change (a partitioned parent covers its partitions).
  const filled = Object.entries(rows).filter(([, n]) => n > 0).map(([name]) => quoteTable(name));
  if (filled.length > 0) await db.exec(`ANALYZE ${filled.join(', ')}`);
  return { notes, rows, syntheticOnly, durationMs: Date.now() - started, facts };
}

/**
 * The per-table notes of every fill in a review as one line: they are about pgpro's own rows, not the
 * user's migration, and thirty of them would bury what matters.
 */
export function syntheticDataNote(details: readonly string[]): string | undefined {
  const unique = [...new Set(details)];
  if (unique.length === 0) return undefined;
  const shown = unique.slice(0, 3).join('; ');
  const more = unique.length > 3 ? `; and ${unique.length - 3} more` : '';
  return `synthetic data: ${unique.length === 1 ? '1 table' : `${unique.length} tables`} not filled as asked (${shown}${more})`;
}

/** Set a setting if allowed (replica mode needs superuser); returns the previous value, or undefined. */
async function trySet(db: Queryable, name: string, value: string): Promise<string | undefined> {
  try {
    const previous = await db.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name]);
    await db.query(`SELECT set_config($1, $2, false)`, [name, value]);
    return previous.rows[0]?.v;
  } catch {
    return undefined;
  }
}

function describe(mode: FillMode): string {
  const parts = [
    mode.nullChecked ? 'CHECK-constrained columns left NULL/default' : '',
    mode.allDistinct ? 'all values distinct' : '',
    mode.skipConflicts ? 'rows whose unique key was taken left out' : '',
  ];
  return parts.filter(Boolean).join(' and ');
}

/** Whether an engine's exec returns each statement's rows, as an array in order (probed once). */
const execReturnsEach = new WeakMap<Queryable, Promise<boolean>>();

function returnsEach(db: Queryable): Promise<boolean> {
  let known = execReturnsEach.get(db);
  if (!known) {
    known = db.exec('SELECT 1 AS n;\nSELECT 2 AS n').then(
      (results) => countOf(results, 2, 0) === 1 && countOf(results, 2, 1) === 2,
      () => false,
    );
    execReturnsEach.set(db, known);
  }
  return known;
}

/** The first row's `n` of result `index` of an exec that returned `expected` results, else undefined. */
function countOf(results: unknown, expected: number, index: number): number | undefined {
  if (!Array.isArray(results) || results.length !== expected) return undefined;
  const n = (results[index] as { rows?: { n?: unknown }[] } | undefined)?.rows?.[0]?.n;
  return n === undefined || n === null ? undefined : Number(n);
}

/**
 * Runs `insert` between two counts of `table`, in one round trip where the engine returns each
 * statement's rows: a multi-statement string is one implicit transaction, so a failing insert leaves
 * nothing, as alone. Three round trips a table cost more than most seeding inserts themselves.
 */
async function insertCounted(db: Queryable, table: string, insert: string): Promise<{ before: number; after: number }> {
  const count = `SELECT count(*)::int AS n FROM ${quoteTable(table)}`;
  if (!(await returnsEach(db))) {
    const before = await countRows(db, table);
    await db.exec(insert);
    return { before, after: await countRows(db, table) };
  }
  const results = await db.exec(`${count};\n${insert};\n${count}`);
  const before = countOf(results, 3, 0);
  const after = countOf(results, 3, 2);
  if (before === undefined || after === undefined) throw new Error(`the sandbox did not return the row counts of ${table}`);
  return { before, after };
}

async function countRows(db: Queryable, table: string): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteTable(table)}`);
  return r.rows[0]?.n ?? 0;
}
