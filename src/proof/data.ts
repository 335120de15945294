// A backfill's intent is its data, not its schema: `SELECT 1` in place of an UPDATE leaves the schema
// as it was. For the tables the original file or a fix writes, the rows after the original and after
// the fix must be the same. Both runs start from the same snapshot, so the synthetic rows are equal;
// values a run cannot reproduce (now(), random(), a fresh uuid) are compared by nullness only.
import { quoteIdentifier } from '../sql/quote.js';
import { walk } from '../rules/lib/walk.js';
import type { ParsedStatement, Queryable } from '../types.js';

/** Every user table: an opaque statement (DO, CALL) may write any of them. */
export const ALL_TABLES = '*';

const VOLATILE = /\b(now|clock_timestamp|statement_timestamp|transaction_timestamp|timeofday|random|gen_random_uuid|uuid_generate_v[14]|uuidv[47]|txid_current|pg_current_xact_id|current_timestamp|localtimestamp|current_time|localtime|current_date)\b/i;

/** SQLValueFunction ops of CURRENT_TIMESTAMP and friends (they are not FuncCalls in the tree). */
const TIME_VALUE_FUNCTION = /SVFOP_CURRENT_|SVFOP_LOCAL/;

function relationName(relation: { schemaname?: string; relname?: string } | undefined): string | undefined {
  if (!relation?.relname) return undefined;
  return `${relation.schemaname ?? 'public'}.${relation.relname}`;
}

function isVolatile(expression: unknown): boolean {
  let found = false;
  walk(expression, (type, node) => {
    if (type === 'FuncCall') {
      const name = (node.funcname as { String?: { sval?: string } }[] | undefined)?.at(-1)?.String?.sval ?? '';
      if (VOLATILE.test(name)) found = true;
    }
    if (type === 'SQLValueFunction' && TIME_VALUE_FUNCTION.test(String(node.op ?? ''))) found = true;
  });
  return found;
}

export interface WrittenData {
  /** `schema.table`, or ALL_TABLES. */
  tables: Set<string>;
  /** `schema.table.column` set from a volatile expression: compared by nullness. */
  volatileColumns: Set<string>;
}

/** The tables DML statements write, and the columns they set to values a second run cannot repeat. */
export function writtenData(statements: readonly ParsedStatement[], into: WrittenData = { tables: new Set(), volatileColumns: new Set() }): WrittenData {
  for (const statement of statements) {
    const [kind, node] = Object.entries(statement.ast)[0] ?? [];
    const stmt = node as Record<string, any> | undefined;
    if (!kind || !stmt) continue;
    if (kind === 'DoStmt' || kind === 'CallStmt') {
      into.tables.add(ALL_TABLES);
      continue;
    }
    const target =
      kind === 'UpdateStmt' || kind === 'DeleteStmt' || kind === 'InsertStmt' || kind === 'MergeStmt'
        ? relationName(stmt.relation)
        : kind === 'CopyStmt' && stmt.is_from
          ? relationName(stmt.relation)
          : undefined;
    if (!target) continue;
    into.tables.add(target);
    if (kind === 'UpdateStmt') {
      for (const item of (stmt.targetList ?? []) as { ResTarget?: { name?: string; val?: unknown } }[]) {
        if (item.ResTarget?.name && isVolatile(item.ResTarget.val)) into.volatileColumns.add(`${target}.${item.ResTarget.name}`);
      }
    }
    // An INSERT of volatile values: only the row count and nullness can match.
    if (kind === 'InsertStmt' && isVolatile(stmt.selectStmt)) into.volatileColumns.add(`${target}.*`);
  }
  return into;
}

export interface TableChecksum {
  rows: number;
  hash: string;
}

interface ColumnRow {
  schema: string;
  table: string;
  column: string;
  default_expr: string | null;
}

const COLUMNS_SQL = `
select n.nspname as schema, c.relname as "table", a.attname as "column", pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expr
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
left join pg_catalog.pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
order by 1, 2, 3`;

/**
 * Row count and a hash of the rows of each table in `wanted` that exists (by `schema.table`; ALL_TABLES
 * for every user table). Columns are taken in name order, so two runs that add columns in another
 * order still compare; volatile columns and columns with a volatile default contribute their nullness.
 */
export async function tableChecksums(db: Queryable, wanted: WrittenData): Promise<Map<string, TableChecksum>> {
  const { rows } = await db.query<ColumnRow>(COLUMNS_SQL);
  const tables = new Map<string, ColumnRow[]>();
  for (const row of rows) {
    const key = `${row.schema}.${row.table}`;
    if (!wanted.tables.has(ALL_TABLES) && !wanted.tables.has(key)) continue;
    tables.set(key, [...(tables.get(key) ?? []), row]);
  }
  const out = new Map<string, TableChecksum>();
  for (const [key, columns] of tables) {
    const { schema, table } = columns[0]!;
    const allVolatile = wanted.volatileColumns.has(`${key}.*`);
    const expressions = columns.map((c) => {
      const name = quoteIdentifier(c.column);
      const volatile = allVolatile || wanted.volatileColumns.has(`${key}.${c.column}`) || (c.default_expr !== null && VOLATILE.test(c.default_expr));
      return volatile ? `(${name} is null)` : name;
    });
    const sql =
      `select count(*)::int8 as n, md5(coalesce(string_agg(r, E'\\n' order by r), '')) as h ` +
      `from (select row(${expressions.join(', ')})::text as r from ${quoteIdentifier(schema)}.${quoteIdentifier(table)}) s`;
    const result = await db.query<{ n: number | string | bigint; h: string }>(sql);
    out.set(key, { rows: Number(result.rows[0]?.n ?? 0), hash: result.rows[0]?.h ?? '' });
  }
  return out;
}

/** Tables whose rows differ between the run of the original and of the fix, as short lines. */
export function dataDifferences(original: Map<string, TableChecksum>, fixed: Map<string, TableChecksum>): string[] {
  const out: string[] = [];
  for (const [table, a] of original) {
    const b = fixed.get(table);
    if (!b) continue; // a missing table is a schema difference, reported there
    if (a.rows !== b.rows) out.push(`${table}: ${a.rows} rows after the original, ${b.rows} after the fix`);
    else if (a.hash !== b.hash) out.push(`${table}: the rows' values differ from what the original leaves`);
  }
  return out;
}
