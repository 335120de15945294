import type { CatalogSnapshot, CatalogTable, Queryable } from '../types.js';

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'`;

const TABLES_SQL = `
SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::float8 AS rows,
  (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
      'notNull', a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum), '[]')
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT coalesce(json_agg(json_build_object('name', ic.relname, 'definition', pg_get_indexdef(i.indexrelid),
      'unique', i.indisunique, 'primary', i.indisprimary, 'valid', i.indisvalid,
      'columns', (SELECT coalesce(json_agg(a.attname ORDER BY k.ord), '[]') FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum)) ORDER BY ic.relname), '[]')
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid) AS indexes,
  (SELECT coalesce(json_agg(json_build_object('name', co.conname, 'type', co.contype, 'definition', pg_get_constraintdef(co.oid),
      'validated', co.convalidated,
      'columns', (SELECT coalesce(json_agg(a.attname ORDER BY k.ord), '[]') FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum),
      'references', CASE WHEN co.confrelid <> 0 THEN (SELECT rn.nspname || '.' || r.relname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace WHERE r.oid = co.confrelid) END
      ) ORDER BY co.conname), '[]')
     FROM pg_constraint co WHERE co.conrelid = c.oid) AS constraints
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
ORDER BY n.nspname, c.relname`;

interface TableRow {
  schema: string;
  name: string;
  rows: number;
  columns: { name: string; type: string; notNull: boolean; default: string | null }[];
  indexes: CatalogTable['indexes'];
  constraints: (Omit<CatalogTable['constraints'][number], 'references'> & { references: string | null })[];
}

/**
 * The user schema of a live database as a CatalogSnapshot. A small local reader for the EXPLAIN
 * stage and its tests; the sandbox has its own, and the two may be unified.
 */
export async function readCatalog(db: Queryable): Promise<CatalogSnapshot> {
  const tables = await db.query<TableRow>(TABLES_SQL);
  const enums = await db.query<{ schema: string; name: string; values: string[] }>(
    `SELECT n.nspname AS schema, t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      GROUP BY n.nspname, t.typname ORDER BY 1, 2`,
  );
  const functions = await db.query<{ schema: string; name: string; volatility: 'i' | 's' | 'v' }>(
    `SELECT n.nspname AS schema, p.proname AS name, p.provolatile AS volatility
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMAS} ORDER BY 1, 2`,
  );
  const extensions = await db.query<{ extname: string }>(`SELECT extname FROM pg_extension ORDER BY 1`);
  return {
    tables: tables.rows.map((t) => ({
      schema: t.schema,
      name: t.name,
      estimatedRows: Number(t.rows),
      columns: t.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull, ...(c.default !== null ? { default: c.default } : {}) })),
      indexes: t.indexes,
      constraints: t.constraints.map((c) => {
        const { references, ...rest } = c;
        return references ? { ...rest, references } : rest;
      }),
    })),
    functions: functions.rows,
    extensions: extensions.rows.map((e) => e.extname),
    enums: enums.rows,
  };
}
