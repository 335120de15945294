// Small readers over libpg-query's JSON AST. Nodes are loosely typed: the parser's output is the contract.
import { quoteIdent } from '../../sql/quote.js';

/** A name as fix SQL writes it: quoted where Postgres needs it ("Document", "hintText", "order"). */
export const identSql = quoteIdent;

export interface RangeVarLike {
  schemaname?: string;
  relname?: string;
}

/** Qualified key used to compare relations: 'schema.name', unqualified names in 'public'. */
export function relationKey(rv: RangeVarLike | undefined, fallbackName?: string): string {
  const name = rv?.relname ?? fallbackName ?? '';
  return `${rv?.schemaname ?? 'public'}.${name}`.toLowerCase();
}

/** How a relation is named in messages: as written (schema only when given). */
export function relationLabel(rv: RangeVarLike | undefined): string {
  if (!rv?.relname) return '(unknown)';
  return rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname;
}

/** How fix SQL names a relation: as written, each part quoted where Postgres needs it. */
export function relationSql(rv: RangeVarLike | undefined): string {
  if (!rv?.relname) return '<table>';
  return rv.schemaname ? `${quoteIdent(rv.schemaname)}.${quoteIdent(rv.relname)}` : quoteIdent(rv.relname);
}

/** The sval of a `{ String: { sval } }` node. */
export function stringValue(node: any): string | undefined {
  return node?.String?.sval ?? node?.String?.str;
}

/** ['pg_catalog', 'int4'] from a names list. */
export function nameList(list: any[] | undefined): string[] {
  return (list ?? []).map(stringValue).filter((s): s is string => typeof s === 'string');
}

/** The volatility a CREATE FUNCTION declares ('v' when it says none, as PostgreSQL assumes). */
export function declaredVolatility(createFunction: any): 'i' | 's' | 'v' {
  let volatility: 'i' | 's' | 'v' = 'v';
  for (const option of createFunction?.options ?? []) {
    const def = option?.DefElem;
    if (def?.defname !== 'volatility') continue;
    const value = stringValue(def.arg)?.toLowerCase();
    volatility = value === 'immutable' ? 'i' : value === 'stable' ? 's' : 'v';
  }
  return volatility;
}

export interface TypeInfo {
  /** Last name element, lower case: 'int4', 'varchar', 'timestamp', 'serial', 'bpchar'. */
  name: string;
  schema?: string;
  /** Numeric type modifiers, e.g. [20] for varchar(20). */
  mods: number[];
  isArray: boolean;
  location?: number;
}

export function typeInfo(typeName: any): TypeInfo | undefined {
  if (!typeName) return undefined;
  const names = nameList(typeName.names).map((n) => n.toLowerCase());
  if (names.length === 0) return undefined;
  const mods = (typeName.typmods ?? [])
    .map((m: any) => m?.A_Const?.ival?.ival ?? (m?.A_Const?.ival ? 0 : undefined))
    .filter((v: unknown): v is number => typeof v === 'number');
  return {
    name: names[names.length - 1]!,
    schema: names.length > 1 ? names[0] : undefined,
    mods,
    isArray: Array.isArray(typeName.arrayBounds) && typeName.arrayBounds.length > 0,
    location: typeName.location,
  };
}

export const INT32_TYPES = new Set(['int4', 'integer', 'int', 'serial', 'serial4']);
export const INT16_TYPES = new Set(['int2', 'smallint', 'smallserial', 'serial2']);
export const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

/** Constraint nodes attached to a ColumnDef. */
export function columnConstraints(columnDef: any): any[] {
  return (columnDef?.constraints ?? []).map((c: any) => c?.Constraint).filter(Boolean);
}

export function hasConstraint(columnDef: any, contype: string): boolean {
  return columnConstraints(columnDef).some((c) => c.contype === contype);
}

export function defaultExpression(columnDef: any): any | undefined {
  return columnConstraints(columnDef).find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr ?? columnDef?.raw_default;
}

/** The innermost wrapped ancestor of a type, e.g. the AlterTableStmt around an AlterTableCmd. */
export function nearest(ancestors: readonly { type: string; node: any }[], type: string): any | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) if (ancestors[i]!.type === type) return ancestors[i]!.node;
  return undefined;
}

/** Value of a `SET name = value` / `SET name TO value` as text. */
export function setValueText(args: any[] | undefined): string {
  return (args ?? [])
    .map((a: any) => {
      const c = a?.A_Const;
      if (!c) return '';
      if (c.sval) return c.sval.sval ?? '';
      if (c.ival) return String(c.ival.ival ?? 0);
      if (c.fval) return c.fval.fval ?? '';
      return '';
    })
    .join(' ');
}

/** '0', '0s', '0ms' … disable a timeout. */
export function isZeroDuration(text: string): boolean {
  return /^\s*0+(\.0+)?\s*(ms|s|min|h|d|us)?\s*$/i.test(text);
}

/**
 * The value of a boolean option such as `(FULL)`, `(CONCURRENTLY false)` or `(FULL 0)`, read as
 * PostgreSQL reads it: no value, 1, true, on are true; 0, false, off are false; anything else is
 * an error there (undefined here).
 */
export function optionBoolean(defElem: any): boolean | undefined {
  const arg = defElem?.arg;
  if (arg === undefined || arg === null) return true;
  if (arg.Integer) {
    const value = arg.Integer.ival ?? 0;
    return value === 1 ? true : value === 0 ? false : undefined;
  }
  if (arg.Boolean) return arg.Boolean.boolval === true;
  const text = (arg.String?.sval ?? arg.TypeName?.names?.[0]?.String?.sval)?.toLowerCase();
  if (text === 'true' || text === 'on') return true;
  if (text === 'false' || text === 'off') return false;
  return undefined;
}

/** An option of a `(…)` list (VACUUM, REINDEX, CLUSTER) or a keyword form that is set and true. */
export function optionEnabled(options: any[] | undefined, name: string): boolean {
  return (options ?? []).some((o: any) => o?.DefElem?.defname === name && optionBoolean(o.DefElem) === true);
}
