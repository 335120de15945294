import type { Queryable } from '../types.js';

/**
 * What the generator needs to know of a type beyond its printed name: the catalog prints a domain,
 * an enum, a range or a composite type only by name. Keyed by `format_type()` text, as columns carry it.
 */
export type TypeFacts =
  | { kind: 'domain'; base: string; checks: string[] }
  | { kind: 'enum' }
  | { kind: 'array'; element: string }
  | { kind: 'range'; subtype: string }
  | { kind: 'multirange'; range: string }
  | { kind: 'composite'; attributes: { name: string; type: string }[] }
  | { kind: 'base' };

export type TypeMap = ReadonlyMap<string, TypeFacts>;

interface TypeRow {
  type: string;
  typtype: string;
  array_element: string | null;
  domain_base: string | null;
  domain_checks: string[] | null;
  range_subtype: string | null;
  multirange_range: string | null;
  attributes: { name: string; type: string }[] | null;
}

/**
 * Every type the user tables' columns use, followed through domains, arrays, ranges, multiranges and
 * composite types to the types they are made of.
 */
export async function readTypeFacts(db: Queryable): Promise<TypeMap> {
  const result = await db.query<TypeRow>(`
    WITH RECURSIVE used(oid, typmod) AS (
      SELECT a.atttypid, a.atttypmod
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      UNION
      SELECT next.oid, next.typmod
        FROM used u JOIN pg_type t ON t.oid = u.oid
        CROSS JOIN LATERAL (
          SELECT t.typbasetype, t.typtypmod WHERE t.typtype = 'd'
          UNION ALL SELECT t.typelem, u.typmod WHERE t.typtype = 'b' AND t.typcategory = 'A' AND t.typelem <> 0
          UNION ALL SELECT r.rngsubtype, -1 FROM pg_range r WHERE r.rngtypid = t.oid
          UNION ALL SELECT r.rngtypid, -1 FROM pg_range r WHERE r.rngmultitypid = t.oid
          UNION ALL SELECT a.atttypid, a.atttypmod FROM pg_attribute a
                     WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
        ) AS next(oid, typmod)
    )
    SELECT DISTINCT ON (format_type(u.oid, u.typmod))
           format_type(u.oid, u.typmod) AS type, t.typtype::text AS typtype,
           CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN format_type(t.typelem, u.typmod) END AS array_element,
           CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS domain_base,
           CASE WHEN t.typtype = 'd' THEN ARRAY(SELECT pg_get_constraintdef(co.oid) FROM pg_constraint co
                                                 WHERE co.contypid = t.oid AND co.contype = 'c') END AS domain_checks,
           (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) AS range_subtype,
           (SELECT format_type(r.rngtypid, NULL) FROM pg_range r WHERE r.rngmultitypid = t.oid) AS multirange_range,
           CASE WHEN t.typtype = 'c' THEN (
             SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END AS attributes
      FROM used u JOIN pg_type t ON t.oid = u.oid
     WHERE u.oid <> 0`);
  const map = new Map<string, TypeFacts>();
  for (const row of result.rows) map.set(row.type, factsOf(row));
  return map;
}

function factsOf(row: TypeRow): TypeFacts {
  if (row.domain_base) return { kind: 'domain', base: row.domain_base, checks: row.domain_checks ?? [] };
  if (row.typtype === 'e') return { kind: 'enum' };
  if (row.array_element) return { kind: 'array', element: row.array_element };
  if (row.range_subtype) return { kind: 'range', subtype: row.range_subtype };
  if (row.multirange_range) return { kind: 'multirange', range: row.multirange_range };
  if (row.typtype === 'c') return { kind: 'composite', attributes: row.attributes ?? [] };
  return { kind: 'base' };
}

/** `timestamp(3) with time zone` → { base: 'timestamp with time zone', typmod: [3] }; `numeric(8,2)` → [8, 2]. */
export function splitTypmod(type: string): { base: string; typmod?: number[] } {
  const open = type.indexOf('(');
  const close = open < 0 ? -1 : type.indexOf(')', open);
  if (open < 0 || close < 0) return { base: type.trim() };
  const typmod = type
    .slice(open + 1, close)
    .split(',')
    .map((s) => Number(s.trim()));
  const base = `${type.slice(0, open)} ${type.slice(close + 1)}`.replace(/\s+/g, ' ').trim();
  return typmod.every((n) => Number.isFinite(n)) ? { base, typmod } : { base };
}
