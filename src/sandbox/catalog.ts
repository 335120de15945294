import { quoteIdentifier as quoteIdent } from '../sql/quote.js';
// The schema as the sandbox holds it, in user schemas only: what catalog rules and the agent see as
// "before". A few catalog queries assembled here; all of them also run on PostgreSQL 15.
import type { CatalogSnapshot, CatalogTable, Queryable } from '../types.js';

const USER_NAMESPACE = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

/** Tables below this size get an exact count when never analysed (reltuples = -1). */
const COUNT_BELOW_BYTES = 8 * 1024 * 1024;

interface TableRow {
  oid: number;
  relkind: string;
  schema: string;
  name: string;
  reltuples: number;
  bytes: number;
}

export async function readCatalog(db: Queryable): Promise<CatalogSnapshot> {
  const tables = await db.query<TableRow>(`
    SELECT c.oid::int8 AS oid, c.relkind::text AS relkind, n.nspname AS schema, c.relname AS name, c.reltuples::float8 AS reltuples,
           pg_relation_size(c.oid)::int8 AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND ${USER_NAMESPACE}
    ORDER BY n.nspname, c.relname`);
  const byOid = new Map<number, CatalogTable>();
  const result: CatalogTable[] = [];
  const counted = await exactCounts(db, tables.rows.filter(needsCount));
  for (const row of tables.rows) {
    const table: CatalogTable = {
      schema: row.schema,
      name: row.name,
      ...(row.relkind === 'p' ? { partitioned: true } : {}),
      estimatedRows: counted.get(row) ?? estimatedRows(row),
      columns: [],
      indexes: [],
      constraints: [],
    };
    byOid.set(Number(row.oid), table);
    result.push(table);
  }

  const columns = await db.query<{ rel: number; num: number; name: string; type: string; notnull: boolean; def: string | null }>(`
    SELECT a.attrelid::int8 AS rel, a.attnum AS num, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
           a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_NAMESPACE}
    ORDER BY a.attrelid, a.attnum`);
  const columnNames = new Map<number, Map<number, string>>();
  for (const c of columns.rows) {
    byOid.get(Number(c.rel))?.columns.push({ name: c.name, type: c.type, notNull: c.notnull, ...(c.def !== null ? { default: c.def } : {}) });
    let names = columnNames.get(Number(c.rel));
    if (!names) columnNames.set(Number(c.rel), (names = new Map()));
    names.set(Number(c.num), c.name);
  }
  const named = (rel: number, keys: readonly number[] | null) => keyColumnNames(columnNames.get(Number(rel)), keys);

  const indexes = await db.query<{
    rel: number; name: string; definition: string; unique: boolean; primary: boolean; valid: boolean; keys: number[];
  }>(`
    SELECT i.indrelid::int8 AS rel, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
           i.indisunique AS unique, i.indisprimary AS primary, i.indisvalid AS valid, i.indkey::int2[] AS keys
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE ${USER_NAMESPACE}
    ORDER BY ic.relname`);
  for (const i of indexes.rows) {
    byOid.get(Number(i.rel))?.indexes.push({
      name: i.name,
      definition: i.definition,
      unique: i.unique,
      primary: i.primary,
      valid: i.valid,
      columns: named(i.rel, i.keys),
    });
  }

  const constraints = await db.query<{
    rel: number; name: string; type: CatalogTable['constraints'][number]['type']; definition: string; validated: boolean;
    keys: number[] | null; references: string | null;
  }>(`
    SELECT co.conrelid::int8 AS rel, co.conname AS name, co.contype::text AS type,
           pg_get_constraintdef(co.oid) AS definition, co.convalidated AS validated, co.conkey AS keys,
           CASE WHEN co.confrelid <> 0 THEN (SELECT fn.nspname || '.' || fc.relname FROM pg_class fc
                JOIN pg_namespace fn ON fn.oid = fc.relnamespace WHERE fc.oid = co.confrelid) END AS references
    FROM pg_constraint co
    JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE co.contype IN ('p', 'f', 'u', 'c', 'x', 'n') AND ${USER_NAMESPACE}
    ORDER BY co.conname`);
  for (const co of constraints.rows) {
    byOid.get(Number(co.rel))?.constraints.push({
      name: co.name,
      type: co.type,
      definition: co.definition,
      validated: co.validated,
      columns: named(co.rel, co.keys),
      ...(co.references ? { references: co.references } : {}),
    });
  }

  const functions = await db.query<{ schema: string; name: string; volatility: 'i' | 's' | 'v' }>(`
    SELECT n.nspname AS schema, p.proname AS name, p.provolatile::text AS volatility
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE ${USER_NAMESPACE}
    ORDER BY n.nspname, p.proname`);

  const extensions = await db.query<{ name: string }>(`SELECT extname AS name FROM pg_extension ORDER BY extname`);

  const enums = await db.query<{ schema: string; name: string; values: string[] }>(`
    SELECT n.nspname AS schema, t.typname AS name,
           ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype = 'e' AND ${USER_NAMESPACE}
    ORDER BY n.nspname, t.typname`);

  return {
    tables: result,
    functions: functions.rows,
    extensions: extensions.rows.map((e) => e.name),
    enums: enums.rows,
  };
}

/**
 * System columns by attnum (PostgreSQL 12 and later): a CHECK constraint may name tableoid, and its
 * conkey then holds -6.
 */
const SYSTEM_COLUMNS = new Map([[-1, 'ctid'], [-2, 'xmin'], [-3, 'cmin'], [-4, 'xmax'], [-5, 'cmax'], [-6, 'tableoid']]);

/**
 * The names of an index's or constraint's key columns, in key order, from the table's columns read
 * above: one lookup each, where a subquery per index or constraint cost ~0.1 ms apiece in the sandbox
 * (~60 ms of a catalog read on a 300-index history). Expression keys (attnum 0) have no name.
 */
function keyColumnNames(names: ReadonlyMap<number, string> | undefined, keys: readonly number[] | null): string[] {
  const out: string[] = [];
  for (const key of keys ?? []) {
    const name = names?.get(Number(key)) ?? SYSTEM_COLUMNS.get(Number(key));
    if (name !== undefined) out.push(name);
  }
  return out;
}

/** A table never analysed (reltuples = -1, or 0 with pages) and small enough to count exactly. */
function needsCount(table: TableRow): boolean {
  const reltuples = Number(table.reltuples);
  if (reltuples >= 0 && !(reltuples === 0 && Number(table.bytes) > 0)) return false;
  return Number(table.bytes) <= COUNT_BELOW_BYTES;
}

/** The planner's estimate; for a large table never analysed, its size over ~100 bytes a row. */
function estimatedRows(table: TableRow): number {
  const reltuples = Number(table.reltuples);
  if (reltuples >= 0 && !(reltuples === 0 && Number(table.bytes) > 0)) return Math.round(reltuples);
  return Math.round(Number(table.bytes) / 100);
}

/**
 * Tables counted per query: one round trip for many small counts (a history of hundreds of tables
 * paid one each), in UNION ALL chains short enough for the parser's and planner's recursion.
 */
const COUNTS_PER_QUERY = 100;

/** Exact row counts of `tables`, a few queries for all of them. */
async function exactCounts(db: Queryable, tables: readonly TableRow[]): Promise<Map<TableRow, number>> {
  const counts = new Map<TableRow, number>();
  for (let from = 0; from < tables.length; from += COUNTS_PER_QUERY) {
    const chunk = tables.slice(from, from + COUNTS_PER_QUERY);
    const sql = chunk
      .map((table, i) => `SELECT ${i}::int4 AS i, count(*)::int8 AS n FROM ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`)
      .join('\nUNION ALL\n');
    const result = await db.query<{ i: number; n: number | string }>(sql);
    for (const row of result.rows) counts.set(chunk[Number(row.i)]!, Number(row.n ?? 0));
  }
  return counts;
}
