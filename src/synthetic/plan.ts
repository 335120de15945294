import { quoteIdent } from '../sql/quote.js';
import type { CatalogSnapshot, CatalogTable } from '../types.js';
import { fillOrder, foreignKeys, qualifiedName, type ForeignKey } from './order.js';
import type { TypeMap } from './types.js';
import { canBeDistinct, checkHints, normalizeTypeName, valueExpression, type ColumnHints } from './values.js';

/** Columns Postgres fills itself; read from the live catalog (CatalogSnapshot does not carry them). */
export interface ColumnFacts {
  /** `schema.table.column` of identity and generated columns. */
  generated: ReadonlySet<string>;
  /** `schema.table` of partitions: rows go in through the partitioned parent. */
  partitions: ReadonlySet<string>;
  /** Domains, arrays, ranges, enums and composite types the columns use. */
  types?: TypeMap;
}

export interface FillMode {
  /** Nullable columns that a CHECK mentions become NULL (a CHECK passes on NULL). */
  nullChecked: boolean;
  /** Every generated value is distinct, for UNIQUE indexes the catalog does not show plainly. */
  allDistinct: boolean;
  /** Rows whose key is taken are left out (ON CONFLICT DO NOTHING): the table gets fewer, not none. */
  skipConflicts?: boolean;
}

export interface TableFill {
  table: string;
  /** The INSERT for this mode, or undefined when the table cannot be filled (see note). */
  sql?: string;
  note?: string;
}

export { quoteIdent };

export function quoteTable(qualified: string): string {
  const dot = qualified.indexOf('.');
  return dot < 0 ? quoteIdent(qualified) : `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}

const G = 's.g';

/**
 * Names what the generator makes for a given schema. Seeded and filled states are cached under it
 * (stages/seeded.ts): a change to the rows made (or to which tables can be filled) bumps it, so that no
 * review restores rows an older generator made.
 */
export const GENERATOR_VERSION = 2;

function uniqueKeys(table: CatalogTable): string[][] {
  const keys = table.constraints.filter((c) => c.type === 'p' || c.type === 'u').map((c) => c.columns);
  for (const index of table.indexes) if (index.unique && index.columns.length > 0) keys.push(index.columns);
  return keys;
}

function enumNames(catalog: CatalogSnapshot): Set<string> {
  const names = new Set<string>();
  for (const e of catalog.enums) {
    names.add(normalizeTypeName(e.name));
    names.add(normalizeTypeName(`${e.schema}.${e.name}`));
  }
  return names;
}

/**
 * The INSERT … SELECT … FROM generate_series that fills one table with `rows` rows. Foreign keys are
 * drawn from the parent's existing rows through a join on row_number, so a child never points at a
 * missing parent; keys whose columns form a UNIQUE key are enumerated (mixed radix) instead.
 */
export function tableFillSql(
  catalog: CatalogSnapshot,
  table: CatalogTable,
  rows: number,
  options: { facts?: ColumnFacts; deferred?: ReadonlySet<string>; mode?: FillMode; salt?: string } = {},
): TableFill {
  const name = qualifiedName(table);
  const mode = options.mode ?? { nullChecked: false, allDistinct: false };
  const facts = options.facts;
  const salt = options.salt ?? Math.random().toString(36).slice(2, 8);
  const enums = enumNames(catalog);
  const hints = checkHints(table.constraints.filter((c) => c.type === 'c').map((c) => c.definition));
  const checked = new Set<string>();
  for (const c of table.constraints) if (c.type === 'c') for (const col of c.columns) checked.add(col);
  if (mode.nullChecked) for (const col of hints.keys()) checked.add(col);

  const keys = uniqueKeys(table);
  const uniqueCols = new Set(keys.filter((k) => k.length === 1).flat());
  const fks = foreignKeys(table);
  const fkByColumn = new Map<string, ForeignKey>();
  for (const fk of fks) for (const col of fk.columns) fkByColumn.set(col, fk);
  // A UNIQUE key made only of FK columns needs distinct parent combinations.
  const enumerated = new Set<ForeignKey>();
  for (const key of keys) {
    const owners = key.map((col) => fkByColumn.get(col));
    if (owners.every((o) => o !== undefined)) for (const o of owners) enumerated.add(o as ForeignKey);
  }
  // Other columns of a multi-column UNIQUE key are made distinct, which makes the whole key distinct.
  for (const key of keys) {
    if (key.length > 1 && !key.every((col) => fkByColumn.has(col))) {
      for (const col of key) if (!fkByColumn.has(col)) uniqueCols.add(col);
    }
  }

  const targets: string[] = [];
  const values: string[] = [];
  const joins: string[] = [];
  let rowLimit = `${Math.max(0, Math.floor(rows))}`;
  const radix: string[] = [];
  // Parent combinations go on from where the rows already there (an earlier fill's) left off, rather
  // than start again at the first, which those rows hold.
  const existing = `(SELECT count(*) FROM ${quoteTable(name)})`;

  for (const [i, fk] of fks.entries()) {
    const self = fk.parent === name;
    const deferred = options.deferred?.has(`${name}\0${fk.name}`) ?? false;
    const nullable = fk.columns.every((col) => !table.columns.find((c) => c.name === col)?.notNull);
    const parentKnown = catalog.tables.some((t) => qualifiedName(t) === fk.parent);
    if (self || deferred || !parentKnown) {
      if (!nullable) return { table: name, note: `${name}: not filled, NOT NULL foreign key ${fk.name} points at ${self ? 'the table itself' : deferred ? 'a table in a foreign-key cycle' : `${fk.parent}, which is not in the catalog`}` };
      continue; // left NULL
    }
    const parent = quoteTable(fk.parent);
    const notNullFilter = fk.parentColumns.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(' AND ');
    const count = `(SELECT count(*) FROM ${parent} WHERE ${notNullFilter})`;
    let index: string;
    if (enumerated.has(fk)) {
      const divisor = radix.length > 0 ? ` / (${radix.join(' * ')})` : '';
      index = `((${G} - 1 + ${existing})${divisor}) % NULLIF(${count}, 0)`;
      radix.push(count);
    } else {
      const h = `((${G}::bigint * ${2_654_435_761 + i * 97} + ${i * 31}) % 1000003)`;
      index = `floor(${count} * power(${h}::float8 / 1000003, 2))::bigint % NULLIF(${count}, 0)`;
    }
    const alias = `p${i}`;
    const cols = fk.parentColumns.map((c) => quoteIdent(c)).join(', ');
    joins.push(
      `${nullable ? 'LEFT JOIN' : 'JOIN'} (SELECT ${cols}, row_number() OVER () AS rn FROM ${parent} WHERE ${notNullFilter}) AS ${alias} ON ${alias}.rn = 1 + ${index}`,
    );
    for (const [k, col] of fk.columns.entries()) {
      targets.push(quoteIdent(col));
      values.push(`${alias}.${quoteIdent(fk.parentColumns[k] as string)}`);
    }
  }
  if (radix.length > 0) rowLimit = `LEAST(${rowLimit}, GREATEST(0, ${radix.join(' * ')} - ${existing}))`;

  for (const [seed, column] of table.columns.entries()) {
    if (fkByColumn.has(column.name)) continue;
    if (facts?.generated.has(`${name}.${column.name}`)) continue;
    if (column.default && /^nextval\(/i.test(column.default)) continue;
    if (mode.nullChecked && checked.has(column.name) && (!column.notNull || column.default !== undefined)) continue;
    const required = uniqueCols.has(column.name) || mode.allDistinct;
    const hint: ColumnHints | undefined = hints.get(column.name);
    // Distinct by default: a value repeated only because pgpro made it up would fail a new UNIQUE.
    const unique = required || canBeDistinct(column.type, facts?.types);
    let expr = valueExpression(column, { g: G, seed: seed + 1, unique, required, salt, enums, hints: hint, types: facts?.types });
    if (expr === undefined) {
      if (!column.notNull || column.default !== undefined) continue; // NULL or the default
      return { table: name, note: `${name}: not filled, no generator for NOT NULL column ${column.name} of type ${column.type} without a default` };
    }
    if (unique && !hint && /^(integer|bigint|smallint)$/.test(normalizeTypeName(column.type))) {
      // Existing rows (seeded by earlier migrations) already hold the low values.
      expr = `(${expr} + (SELECT coalesce(max(${quoteIdent(column.name)}), 0) FROM ${quoteTable(name)}))`;
    }
    targets.push(quoteIdent(column.name));
    values.push(expr);
  }

  const onConflict = mode.skipConflicts ? '\nON CONFLICT DO NOTHING' : '';
  if (targets.length === 0) {
    // Every column defaults: a zero-column SELECT lets each row take its defaults.
    return { table: name, sql: `INSERT INTO ${quoteTable(name)} SELECT FROM generate_series(1, ${rowLimit}) AS s(g)${onConflict}` };
  }
  const sql =
    `INSERT INTO ${quoteTable(name)} (${targets.join(', ')})\n` +
    `SELECT ${values.join(',\n       ')}\n` +
    `FROM generate_series(1, ${rowLimit}) AS s(g)` +
    (joins.length > 0 ? `\n${joins.join('\n')}` : '') +
    onConflict;
  return { table: name, sql };
}

/**
 * Statements that fill every table of the catalog, parents before children, then ANALYZE. Pure: for
 * recovery per table (CHECK or UNIQUE surprises) use fillSynthetic, which runs them.
 */
export function syntheticDataSql(
  catalog: CatalogSnapshot,
  rowsFor: (table: string) => number,
  facts?: ColumnFacts,
): { statements: string[]; notes: string[] } {
  const { order, deferred } = fillOrder(catalog.tables);
  const statements: string[] = [];
  const notes: string[] = [];
  for (const table of order) {
    const name = qualifiedName(table);
    if (facts?.partitions.has(name)) continue;
    const rows = rowsFor(name);
    if (rows <= 0) continue;
    const fill = tableFillSql(catalog, table, rows, { facts, deferred });
    if (fill.sql) statements.push(fill.sql);
    if (fill.note) notes.push(fill.note);
  }
  statements.push('ANALYZE');
  return { statements, notes };
}
