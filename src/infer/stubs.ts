// What to create so that a statement referring to an object neither the history nor the setup made can
// run: a stub of that object, inferred from the error PostgreSQL gives and from how the statement uses
// the object. Pure but for the catalog look-ups it is handed.
import { quoteIdent } from '../sql/quote.js';
import type { ParsedStatement } from '../types.js';

/** SQLSTATEs of a missing object. */
export const UNDEFINED_OBJECT = {
  table: '42P01',
  column: '42703',
  object: '42704',
  function: '42883',
  schema: '3F000',
} as const;

const INFERABLE = new Set<string>([...Object.values(UNDEFINED_OBJECT), '42804', '42830', '22023']);

export function isInferable(sqlstate: string | undefined): boolean {
  return sqlstate !== undefined && INFERABLE.has(sqlstate);
}

export interface InferredObject {
  kind: 'table' | 'column' | 'type' | 'function' | 'schema' | 'key';
  /** `schema.name`, `schema.table.column`, or a function's signature. */
  name: string;
}

export interface StubPlan {
  sql: string[];
  objects: InferredObject[];
}

export interface StubContext {
  /** The type of an existing column, as format_type prints it, or undefined. */
  columnType(table: string, column: string): Promise<string | undefined>;
  /** schema.name of an existing relation an unqualified or qualified name resolves to. */
  resolveTable(name: { schema?: string; name: string }): Promise<string | undefined>;
  /** Tables pgpro stubbed so far (schema.name), which it may change further. */
  stubs: ReadonlySet<string>;
  /** Objects the change creates itself (lower-case names, unqualified and qualified): never stubbed. */
  createdByChange: ReadonlySet<string>;
}

interface RangeVar {
  schemaname?: string;
  relname: string;
}

type Node = Record<string, unknown>;

function walk(node: unknown, visit: (record: Node, key?: string) => void, key?: string): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit, key);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Node;
  visit(record, key);
  for (const [k, value] of Object.entries(record)) walk(value, visit, k);
}

function rangeVars(ast: unknown): RangeVar[] {
  const out: RangeVar[] = [];
  walk(ast, (r) => {
    if (typeof r.relname === 'string') out.push({ relname: r.relname, ...(typeof r.schemaname === 'string' ? { schemaname: r.schemaname } : {}) });
  });
  return out;
}

function stringValue(node: unknown): string | undefined {
  const s = (node as { String?: { sval?: string } } | undefined)?.String?.sval;
  return typeof s === 'string' ? s : undefined;
}

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map(stringValue).filter((s): s is string => s !== undefined) : [];
}

export function qualify(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

function splitQualified(qualified: string): { schema: string; name: string } {
  const dot = qualified.indexOf('.');
  return { schema: qualified.slice(0, dot), name: qualified.slice(dot + 1) };
}

function quoteQualified(qualified: string): string {
  const { schema, name } = splitQualified(qualified);
  return qualify(schema, name);
}

/** The RangeVar of the statement a message's relation name stands for (`a.b` or `b`). */
function rangeVarNamed(ast: unknown, written: string): RangeVar | undefined {
  const all = rangeVars(ast);
  // Postgres names the relation as written, or (column errors) without its schema.
  return all.find((rv) => (rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname) === written) ?? all.find((rv) => rv.relname === written);
}

/** The foreign keys a statement declares: local columns, referenced table and columns. */
interface ForeignKeyUse {
  local: string[];
  /** The local column's declared type, for a column constraint (`col bigint REFERENCES t`). */
  localType?: string;
  table: RangeVar;
  columns: string[];
}

function typeNameSql(typeName: unknown): string | undefined {
  const parts = names((typeName as { names?: unknown } | undefined)?.names);
  return parts.length > 0 ? parts.map(quoteIdent).join('.') : undefined;
}

function foreignKeys(ast: unknown): ForeignKeyUse[] {
  const out: ForeignKeyUse[] = [];
  walk(ast, (r, key) => {
    if (key !== 'Constraint' || r.contype !== 'CONSTR_FOREIGN') return;
    const pk = r.pktable as RangeVar | undefined;
    if (pk?.relname) out.push({ local: names(r.fk_attrs), table: pk, columns: names(r.pk_attrs) });
  });
  // A column constraint (`col int REFERENCES t`): the column is the ColumnDef's.
  walk(ast, (r, key) => {
    if (key !== 'ColumnDef' || typeof r.colname !== 'string') return;
    for (const c of (r.constraints as unknown[] | undefined) ?? []) {
      const con = (c as { Constraint?: Node }).Constraint;
      const pk = con?.pktable as RangeVar | undefined;
      if (con?.contype === 'CONSTR_FOREIGN' && pk?.relname) {
        const existing = out.find((fk) => fk.table === pk);
        if (existing && existing.local.length === 0) {
          existing.local = [r.colname];
          const type = typeNameSql(r.typeName);
          if (type) existing.localType = type;
        }
      }
    }
  });
  return out;
}

/** The relations a statement changes or reads, those it names as its target first. */
function statementTargets(statement: ParsedStatement): RangeVar[] {
  const body = statement.ast[statement.kind] as { relation?: RangeVar } | undefined;
  const all = rangeVars(statement.ast);
  return body?.relation?.relname ? [body.relation, ...all.filter((r) => r !== body.relation)] : all;
}

const CONSTANT_TYPES: Record<string, string> = { ival: 'bigint', fval: 'numeric', boolval: 'boolean', sval: 'text' };

function constantType(node: unknown): string | undefined {
  const constant = (node as { A_Const?: Node } | undefined)?.A_Const;
  if (!constant) return undefined;
  for (const [key, type] of Object.entries(CONSTANT_TYPES)) if (key in constant) return type;
  return undefined;
}

function columnRefName(node: unknown): string | undefined {
  const fields = (node as { ColumnRef?: { fields?: unknown[] } } | undefined)?.ColumnRef?.fields;
  return fields ? names(fields).at(-1) : undefined;
}

/** The type a column is given by the statement: compared with a constant (`attempt >= 5`) or set to one. */
export function columnTypeFromUse(ast: unknown, column: string): string | undefined {
  let found: string | undefined;
  walk(ast, (r, key) => {
    if (found) return;
    if (key === 'A_Expr') {
      if (columnRefName(r.lexpr) === column) found = constantType(r.rexpr);
      else if (columnRefName(r.rexpr) === column) found = constantType(r.lexpr);
    }
    if (key === 'ResTarget' && r.name === column) found = constantType(r.val);
  });
  return found;
}

/** Columns of `table` the statement uses plainly (index columns, ALTER COLUMN targets, INSERT lists). */
function columnsUsed(statement: ParsedStatement, table: RangeVar): string[] {
  const out = new Set<string>();
  const body = statement.ast[statement.kind] as Node | undefined;
  const target = body?.relation as RangeVar | undefined;
  if (!target || target.relname !== table.relname || target.schemaname !== table.schemaname) return [];
  if (statement.kind === 'IndexStmt') {
    for (const p of (body?.indexParams as unknown[] | undefined) ?? []) {
      const name = (p as { IndexElem?: { name?: string } }).IndexElem?.name;
      if (name) out.add(name);
    }
  }
  if (statement.kind === 'AlterTableStmt') {
    for (const c of (body?.cmds as unknown[] | undefined) ?? []) {
      const cmd = (c as { AlterTableCmd?: Node }).AlterTableCmd;
      if (cmd && typeof cmd.name === 'string' && cmd.subtype !== 'AT_AddColumn' && cmd.subtype !== 'AT_DropConstraint') out.add(cmd.name);
    }
  }
  if (statement.kind === 'InsertStmt') {
    for (const c of (body?.cols as unknown[] | undefined) ?? []) {
      const name = (c as { ResTarget?: { name?: string } }).ResTarget?.name;
      if (name) out.add(name);
    }
  }
  for (const fk of foreignKeys(statement.ast)) for (const col of fk.local) out.add(col);
  return [...out];
}

function isCreated(ctx: StubContext, schema: string | undefined, name: string): boolean {
  const lower = name.toLowerCase();
  return ctx.createdByChange.has(lower) || (schema !== undefined && ctx.createdByChange.has(`${schema.toLowerCase()}.${lower}`));
}

/** A table that does not exist: its schema, its columns as the statement uses them, and a key for foreign keys pointing at it. */
async function tableStub(statement: ParsedStatement, rv: RangeVar, ctx: StubContext): Promise<StubPlan | undefined> {
  if (isCreated(ctx, rv.schemaname, rv.relname)) return undefined;
  const schema = rv.schemaname ?? 'public';
  const sql: string[] = [];
  const objects: InferredObject[] = [];
  if (rv.schemaname && schema !== 'public') sql.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  const columns = new Map<string, string>();
  for (const column of columnsUsed(statement, rv)) columns.set(column, columnTypeFromUse(statement.ast, column) ?? 'text');
  let key: string[] = [];
  for (const fk of foreignKeys(statement.ast)) {
    if (fk.table.relname !== rv.relname || (fk.table.schemaname ?? 'public') !== schema) continue;
    // Referenced: its key columns, typed like the referencing ones, are its primary key.
    const child = statementTargets(statement)[0];
    const childTable = child ? await ctx.resolveTable({ name: child.relname, ...(child.schemaname ? { schema: child.schemaname } : {}) }) : undefined;
    key = fk.columns.length > 0 ? fk.columns : ['id'];
    for (const [i, column] of key.entries()) {
      const local = fk.local[i];
      const type = fk.localType ?? (childTable && local ? await ctx.columnType(childTable, local) : undefined);
      columns.set(column, type ?? 'text');
    }
  }
  const defs = [...columns].map(([name, type]) => `${quoteIdent(name)} ${type}`);
  if (key.length > 0) defs.push(`PRIMARY KEY (${key.map(quoteIdent).join(', ')})`);
  sql.push(`CREATE TABLE IF NOT EXISTS ${qualify(schema, rv.relname)} (${defs.join(', ')})`);
  objects.push({ kind: 'table', name: `${schema}.${rv.relname}` });
  return { sql, objects };
}

/** The table a missing column most likely belongs to: named by the message, else the statement's only (or only stubbed) relation. */
async function tableOfColumn(statement: ParsedStatement, message: string, ctx: StubContext): Promise<string | undefined> {
  const named = /^column "[^"]+" of relation "([^"]+)" does not exist/.exec(message)?.[1];
  if (named) {
    const rv = rangeVarNamed(statement.ast, named) ?? { relname: named };
    return ctx.resolveTable({ name: rv.relname, ...(rv.schemaname ? { schema: rv.schemaname } : {}) });
  }
  const qualifier = /^column ([^\s".]+)\.[^\s]+ does not exist/.exec(message)?.[1];
  const candidates = statementTargets(statement).filter((rv) => qualifier === undefined || rv.relname === qualifier);
  const resolved = [...new Set((await Promise.all(candidates.map((rv) => ctx.resolveTable({ name: rv.relname, ...(rv.schemaname ? { schema: rv.schemaname } : {}) })))).filter((t): t is string => t !== undefined))];
  if (statement.kind === 'AlterTableStmt' || statement.kind === 'IndexStmt') return resolved[0];
  if (resolved.length === 1) return resolved[0];
  const stubbed = resolved.filter((t) => ctx.stubs.has(t));
  return stubbed.length === 1 ? stubbed[0] : undefined;
}

function missingColumnName(message: string): string | undefined {
  return (
    /^column "([^"]+)"/.exec(message)?.[1] ??
    /^column [^\s".]+\.([^\s"]+) does not exist/.exec(message)?.[1] ??
    /^column ([^\s"]+) does not exist/.exec(message)?.[1]
  );
}

/** A function the statement calls: `function f(integer, text) does not exist`. */
function functionStub(statement: ParsedStatement, message: string, ctx: StubContext): StubPlan | undefined {
  const match = /^function (.+)\((.*)\) does not exist$/.exec(message);
  if (!match) return undefined;
  const [, qualified, args] = match as unknown as [string, string, string];
  const dot = qualified.lastIndexOf('.');
  const schema = dot > 0 ? qualified.slice(0, dot) : undefined;
  const name = dot > 0 ? qualified.slice(dot + 1) : qualified;
  if (isCreated(ctx, schema, name) || !/^[\w$]+$/.test(name) || (schema !== undefined && !/^[\w$]+$/.test(schema))) return undefined;
  // Argument types as Postgres printed them; "unknown" (an untyped literal) is taken as text.
  const argTypes = args.trim() === '' ? [] : args.split(',').map((a) => (a.trim() === 'unknown' ? 'text' : a.trim()));
  if (argTypes.some((t) => !/^[\w .\[\]()"]+$/.test(t))) return undefined;
  const trigger = statement.kind === 'CreateTrigStmt';
  const returns = trigger ? 'trigger' : 'text';
  const body = trigger ? `BEGIN RETURN NEW; END` : `BEGIN RETURN NULL; END`;
  const sql: string[] = [];
  if (schema && schema !== 'public') sql.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  sql.push(`CREATE FUNCTION ${qualify(schema, name)}(${argTypes.join(', ')}) RETURNS ${returns} LANGUAGE plpgsql AS $pgpro_stub$ ${body} $pgpro_stub$`);
  return { sql, objects: [{ kind: 'function', name: `${schema ?? 'public'}.${name}(${argTypes.join(', ')})` }] };
}

/** A type the statement uses: an enum for ALTER TYPE … ADD VALUE, otherwise a domain over text. */
function typeStub(statement: ParsedStatement, message: string, ctx: StubContext): StubPlan | undefined {
  const qualified = /^type "([^"]+)" does not exist$/.exec(message)?.[1];
  if (!qualified) return undefined;
  const dot = qualified.lastIndexOf('.');
  const schema = dot > 0 ? qualified.slice(0, dot) : undefined;
  const name = dot > 0 ? qualified.slice(dot + 1) : qualified;
  if (isCreated(ctx, schema, name)) return undefined;
  const sql: string[] = [];
  if (schema && schema !== 'public') sql.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  sql.push(statement.kind === 'AlterEnumStmt' ? `CREATE TYPE ${qualify(schema, name)} AS ENUM ()` : `CREATE DOMAIN ${qualify(schema, name)} AS text`);
  return { sql, objects: [{ kind: 'type', name: `${schema ?? 'public'}.${name}` }] };
}

/**
 * What to create before running the statement again, for an error of a missing object, or undefined
 * when pgpro cannot tell (the statement then fails as it would have).
 */
export async function planStub(
  statement: ParsedStatement,
  error: { message: string; sqlstate?: string },
  ctx: StubContext,
): Promise<StubPlan | undefined> {
  const { message } = error;
  switch (error.sqlstate) {
    case UNDEFINED_OBJECT.table: {
      const written = /^relation "([^"]+)" does not exist$/.exec(message)?.[1];
      const rv = written ? rangeVarNamed(statement.ast, written) ?? splitWritten(written) : undefined;
      return rv ? tableStub(statement, rv, ctx) : undefined;
    }
    case UNDEFINED_OBJECT.schema: {
      const schema = /^schema "([^"]+)" does not exist$/.exec(message)?.[1];
      if (!schema || isCreated(ctx, undefined, schema)) return undefined;
      return { sql: [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`], objects: [{ kind: 'schema', name: schema }] };
    }
    case UNDEFINED_OBJECT.column: {
      const column = missingColumnName(message);
      const table = column ? await tableOfColumn(statement, message, ctx) : undefined;
      if (!column || !table) return undefined;
      const type = columnTypeFromUse(statement.ast, column) ?? 'text';
      return { sql: [`ALTER TABLE ${quoteQualified(table)} ADD COLUMN IF NOT EXISTS ${quoteIdent(column)} ${type}`], objects: [{ kind: 'column', name: `${table}.${column}` }] };
    }
    case UNDEFINED_OBJECT.function:
      return functionStub(statement, message, ctx);
    case UNDEFINED_OBJECT.object:
      return typeStub(statement, message, ctx);
    case '42804': {
      // A stubbed column guessed as text where the statement needs another type: retype it.
      const m = /^column "([^"]+)" is of type (?:text|character varying) but expression is of type (.+)$/.exec(message);
      if (!m) return undefined;
      const [, column, type] = m as unknown as [string, string, string];
      const table = await tableOfColumn(statement, `column "${column}" does not exist`, ctx);
      if (!table || !ctx.stubs.has(table) || !/^[\w .\[\]()]+$/.test(type)) return undefined;
      return { sql: [`ALTER TABLE ${quoteQualified(table)} ALTER COLUMN ${quoteIdent(column)} TYPE ${type} USING NULL`], objects: [] };
    }
    case '22023': {
      // ALTER TYPE … ADD VALUE … AFTER 'x' on a stubbed enum that lacks 'x': add 'x' first.
      const label = /^"(.*)" is not an existing enum label$/.exec(message)?.[1];
      if (label === undefined || statement.kind !== 'AlterEnumStmt') return undefined;
      const typeName = names((statement.ast.AlterEnumStmt as Node | undefined)?.typeName);
      const name = typeName.at(-1);
      const schema = typeName.length > 1 ? typeName[0] : undefined;
      if (!name || !ctx.stubs.has(`${schema ?? 'public'}.${name}`)) return undefined;
      return {
        sql: [`ALTER TYPE ${qualify(schema, name)} ADD VALUE IF NOT EXISTS '${label.replace(/'/g, "''")}'`],
        objects: [{ kind: 'type', name: `${schema ?? 'public'}.${name} value '${label}'` }],
      };
    }
    case '42830': {
      // A foreign key to a stubbed table needs a key there.
      const m = /^there is no unique constraint matching given keys for referenced table "([^"]+)"$/.exec(message);
      const fk = m ? foreignKeys(statement.ast).find((k) => k.table.relname === m[1]) : undefined;
      const table = fk ? await ctx.resolveTable({ name: fk.table.relname, ...(fk.table.schemaname ? { schema: fk.table.schemaname } : {}) }) : undefined;
      if (!fk || !table || !ctx.stubs.has(table) || fk.columns.length === 0) return undefined;
      return { sql: [`ALTER TABLE ${quoteQualified(table)} ADD UNIQUE (${fk.columns.map(quoteIdent).join(', ')})`], objects: [{ kind: 'key', name: `${table}(${fk.columns.join(', ')})` }] };
    }
    default:
      return undefined;
  }
}

function splitWritten(written: string): RangeVar {
  const dot = written.indexOf('.');
  return dot > 0 ? { schemaname: written.slice(0, dot), relname: written.slice(dot + 1) } : { relname: written };
}

/** Names the change creates (tables, views, types, functions, schemas, indexes), lower-case, plain and qualified. */
export function namesCreatedBy(statements: readonly ParsedStatement[]): Set<string> {
  const out = new Set<string>();
  const add = (schema: string | undefined, name: string | undefined) => {
    if (!name) return;
    out.add(name.toLowerCase());
    if (schema) out.add(`${schema.toLowerCase()}.${name.toLowerCase()}`);
  };
  for (const s of statements) {
    const body = s.ast[s.kind] as Node | undefined;
    if (!body) continue;
    switch (s.kind) {
      case 'CreateStmt':
      case 'CreateTableAsStmt':
      case 'ViewStmt': {
        const rv = (body.relation ?? (body.into as Node | undefined)?.rel ?? body.view) as RangeVar | undefined;
        add(rv?.schemaname, rv?.relname);
        break;
      }
      case 'CreateSeqStmt':
        add((body.sequence as RangeVar | undefined)?.schemaname, (body.sequence as RangeVar | undefined)?.relname);
        break;
      case 'IndexStmt':
        add((body.relation as RangeVar | undefined)?.schemaname, body.idxname as string | undefined);
        break;
      case 'CreateEnumStmt':
      case 'CompositeTypeStmt':
      case 'CreateDomainStmt':
      case 'CreateFunctionStmt':
      case 'DefineStmt': {
        const list = names(body.domainname ?? body.funcname ?? body.defnames ?? body.typeName);
        const typevar = body.typevar as RangeVar | undefined;
        if (typevar) add(typevar.schemaname, typevar.relname);
        if (list.length > 0) add(list.length > 1 ? list[0] : undefined, list[list.length - 1]);
        break;
      }
      case 'CreateSchemaStmt':
        add(undefined, body.schemaname as string | undefined);
        break;
      case 'RenameStmt':
        add(undefined, body.newname as string | undefined);
        break;
    }
  }
  return out;
}
