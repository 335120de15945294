// The schema as the migration files' own DDL describes it, without running anything: the catalog that
// `pgpro lint` gives the catalog rules. It follows what the files say (CREATE/ALTER/DROP/RENAME of
// tables, columns, constraints, indexes, functions, enums, extensions) and nothing else: objects made by
// setup SQL, extensions or dynamic SQL are missing, so it is marked `origin: 'static'` and rules treat a
// miss as "unknown", never as "absent".
import { columnConstraints, declaredVolatility, nameList, relationKey, stringValue, typeInfo } from '../rules/lib/ast.js';
import { unwrapNode } from '../rules/lib/walk.js';
import type { CatalogColumn, CatalogSnapshot, CatalogTable } from '../types.js';

type Constraint = CatalogTable['constraints'][number];
type Index = CatalogTable['indexes'][number];

const CONTYPE: Record<string, Constraint['type']> = {
  CONSTR_PRIMARY: 'p',
  CONSTR_FOREIGN: 'f',
  CONSTR_UNIQUE: 'u',
  CONSTR_CHECK: 'c',
  CONSTR_EXCLUSION: 'x',
};

// format_type() spellings of the types the parser names internally, so that rules comparing a column's
// current type read the same text from this catalog as from a sandbox's.
const TYPE_NAMES: Record<string, string> = {
  int4: 'integer', int: 'integer', integer: 'integer', serial: 'integer', serial4: 'integer',
  int8: 'bigint', bigint: 'bigint', bigserial: 'bigint', serial8: 'bigint',
  int2: 'smallint', smallint: 'smallint', smallserial: 'smallint', serial2: 'smallint',
  bool: 'boolean', boolean: 'boolean', float8: 'double precision', float4: 'real',
  timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone',
  timetz: 'time with time zone', time: 'time without time zone',
};

/** A column type as PostgreSQL's format_type() writes it (the common cases; others as written). */
export function formatType(typeName: any): string {
  const info = typeInfo(typeName);
  if (!info) return 'unknown';
  const mods = info.mods.length > 0 ? `(${info.mods.join(',')})` : '';
  let base: string;
  if (info.name === 'varchar') base = `character varying${mods}`;
  else if (info.name === 'bpchar') base = `character${mods || '(1)'}`;
  else if (info.name === 'numeric') base = `numeric${mods}`;
  else if (TYPE_NAMES[info.name] && (info.schema === undefined || info.schema === 'pg_catalog')) {
    base = TYPE_NAMES[info.name]!;
  } else base = info.schema && info.schema !== 'pg_catalog' ? `${info.schema}.${info.name}${mods}` : `${info.name}${mods}`;
  return info.isArray ? `${base}[]` : base;
}

/** Splits a qualified name list into schema (default public) and name, lower-cased as unquoted identifiers compare. */
function qualified(names: string[]): { schema: string; name: string } {
  const name = names[names.length - 1] ?? '';
  return { schema: names.length > 1 ? names[names.length - 2]! : 'public', name };
}

/** A StaticCatalog as plain data (what the lint cache keeps). */
export interface StaticCatalogData {
  tables: CatalogTable[];
  /** How names find tables: [key, index into tables]. */
  keys: [string, number][];
  functions: CatalogSnapshot['functions'];
  extensions: string[];
  enums: CatalogSnapshot['enums'];
}

export class StaticCatalog implements CatalogSnapshot {
  readonly origin = 'static' as const;
  tables: CatalogTable[] = [];
  functions: CatalogSnapshot['functions'] = [];
  extensions: string[] = [];
  enums: CatalogSnapshot['enums'] = [];
  private readonly byKey = new Map<string, CatalogTable>();

  /** A catalog in the state `data` describes (a copy: applying statements to it leaves `data` as it was). */
  static from(data: StaticCatalogData): StaticCatalog {
    const catalog = new StaticCatalog();
    const copy = structuredClone(data);
    catalog.tables = copy.tables;
    catalog.functions = copy.functions;
    catalog.extensions = copy.extensions;
    catalog.enums = copy.enums;
    for (const [key, index] of copy.keys) catalog.byKey.set(key, catalog.tables[index]!);
    return catalog;
  }

  /** Its state as JSON (a StaticCatalogData), which is how the lint cache keeps it. */
  json(): string {
    return JSON.stringify(this.state());
  }

  private state(): StaticCatalogData {
    const index = new Map(this.tables.map((table, i) => [table, i]));
    const keys = [...this.byKey].flatMap(([key, table]): [string, number][] => (index.has(table) ? [[key, index.get(table)!]] : []));
    return { tables: this.tables, keys, functions: this.functions, extensions: this.extensions, enums: this.enums };
  }

  /** The table named by a RangeVar (or schema + name), if the files created it. */
  table(rv: { schemaname?: string; relname?: string } | undefined): CatalogTable | undefined {
    return rv?.relname ? this.byKey.get(relationKey(rv)) : undefined;
  }

  /** Applies one statement's effect on the schema. Statements it does not model change nothing. */
  apply(ast: Record<string, unknown>): void {
    const wrapped = unwrapNode(ast);
    if (!wrapped) return;
    const node = wrapped.node as any;
    switch (wrapped.type) {
      case 'CreateStmt':
        return this.createTable(node);
      case 'CreateTableAsStmt':
        if (node.objtype === 'OBJECT_TABLE' && node.into?.rel) this.addTable(node.into.rel);
        return;
      case 'AlterTableStmt':
        if (node.objtype === 'OBJECT_TABLE') this.alterTable(node);
        return;
      case 'IndexStmt':
        return this.createIndex(node);
      case 'DropStmt':
        return this.drop(node);
      case 'RenameStmt':
        return this.rename(node);
      case 'AlterObjectSchemaStmt':
        if (node.objectType === 'OBJECT_TABLE' && node.newschema) {
          const table = this.table(node.relation);
          if (table) this.rekey(table, () => (table.schema = node.newschema));
        }
        return;
      case 'CreateFunctionStmt':
        return this.createFunction(node);
      case 'CreateEnumStmt': {
        const { schema, name } = qualified(nameList(node.typeName));
        this.enums = this.enums.filter((e) => !(e.schema === schema && e.name === name));
        this.enums.push({ schema, name, values: nameList(node.vals) });
        return;
      }
      case 'AlterEnumStmt':
        return this.alterEnum(node);
      case 'CreateExtensionStmt':
        if (node.extname && !this.extensions.includes(node.extname)) this.extensions.push(node.extname);
        return;
    }
  }

  private addTable(rv: any): CatalogTable {
    const existing = this.table(rv);
    if (existing) return existing;
    const table: CatalogTable = {
      schema: rv.schemaname ?? 'public',
      name: rv.relname,
      estimatedRows: 0,
      columns: [],
      indexes: [],
      constraints: [],
    };
    this.tables.push(table);
    this.byKey.set(relationKey(rv), table);
    return table;
  }

  private rekey(table: CatalogTable, change: () => void): void {
    this.byKey.delete(`${table.schema}.${table.name}`.toLowerCase());
    change();
    this.byKey.set(`${table.schema}.${table.name}`.toLowerCase(), table);
  }

  private createTable(node: any): void {
    if (!node.relation?.relname) return;
    const table = this.addTable(node.relation);
    for (const element of node.tableElts ?? []) {
      if (element?.ColumnDef) this.addColumn(table, element.ColumnDef);
      else if (element?.Constraint) this.addConstraint(table, element.Constraint);
    }
  }

  private addColumn(table: CatalogTable, def: any): void {
    if (!def.colname) return;
    const constraints = columnConstraints(def);
    const column: CatalogColumn = {
      name: def.colname,
      type: formatType(def.typeName),
      notNull: def.is_not_null === true || constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY'),
    };
    table.columns = table.columns.filter((c) => c.name !== column.name);
    table.columns.push(column);
    for (const c of constraints) {
      if (CONTYPE[c.contype]) this.addConstraint(table, { ...c, keys: c.keys ?? [{ String: { sval: def.colname } }] });
    }
  }

  private addConstraint(table: CatalogTable, c: any): void {
    const type = CONTYPE[c.contype as string];
    if (!type) return;
    const columns = nameList(c.keys ?? c.fk_attrs);
    const suffix = { p: 'pkey', u: 'key', x: 'excl', f: 'fkey', c: 'check' }[type as 'p' | 'u' | 'x' | 'f' | 'c'];
    const name: string = c.conname ?? (type === 'p' ? `${table.name}_pkey` : `${[table.name, ...columns].join('_')}_${suffix}`);
    const constraint: Constraint = {
      name,
      type,
      definition: type === 'c' ? checkDefinition(c) : '',
      validated: c.skip_validation !== true,
      columns,
    };
    if (type === 'f' && c.pktable?.relname) constraint.references = relationKey(c.pktable);
    table.constraints = table.constraints.filter((x) => x.name !== name);
    table.constraints.push(constraint);
    if (type === 'p' || type === 'u' || type === 'x') {
      const index = c.indexname ? table.indexes.find((i) => i.name === c.indexname) : undefined;
      if (index) index.name = name;
      else this.addIndex(table, { name, definition: '', unique: type !== 'x', primary: type === 'p', columns, valid: true });
    }
    if (type === 'p') for (const column of table.columns) if (columns.includes(column.name)) column.notNull = true;
  }

  private addIndex(table: CatalogTable, index: Index): void {
    table.indexes = table.indexes.filter((i) => i.name !== index.name);
    table.indexes.push(index);
  }

  private createIndex(node: any): void {
    const table = this.table(node.relation);
    if (!table) return;
    const columns = (node.indexParams ?? []).map((p: any) => p?.IndexElem?.name).filter((n: unknown): n is string => typeof n === 'string');
    // PostgreSQL's default name: table_columns_idx (or _key for unique), truncated to 63 bytes.
    const name: string = node.idxname ?? `${[table.name, ...columns].join('_')}_${node.unique ? 'key' : 'idx'}`.slice(0, 63);
    this.addIndex(table, { name, definition: '', unique: node.unique === true, primary: node.primary === true, columns, valid: true });
  }

  private alterTable(node: any): void {
    const table = this.table(node.relation);
    if (!table) return;
    for (const item of node.cmds ?? []) {
      const cmd = item?.AlterTableCmd;
      if (!cmd) continue;
      const column = cmd.name ? table.columns.find((c) => c.name === cmd.name) : undefined;
      switch (cmd.subtype) {
        case 'AT_AddColumn':
          if (cmd.def?.ColumnDef && !(cmd.missing_ok && table.columns.some((c) => c.name === cmd.def.ColumnDef.colname))) {
            this.addColumn(table, cmd.def.ColumnDef);
          }
          break;
        case 'AT_DropColumn':
          table.columns = table.columns.filter((c) => c.name !== cmd.name);
          table.indexes = table.indexes.filter((i) => !i.columns.includes(cmd.name));
          table.constraints = table.constraints.filter((c) => !c.columns.includes(cmd.name));
          break;
        case 'AT_AlterColumnType':
          if (column && cmd.def?.ColumnDef?.typeName) column.type = formatType(cmd.def.ColumnDef.typeName);
          break;
        case 'AT_SetNotNull':
          if (column) column.notNull = true;
          break;
        case 'AT_DropNotNull':
          if (column) column.notNull = false;
          break;
        case 'AT_AddConstraint':
          if (cmd.def?.Constraint) this.addConstraint(table, cmd.def.Constraint);
          break;
        case 'AT_DropConstraint':
          table.constraints = table.constraints.filter((c) => c.name !== cmd.name);
          table.indexes = table.indexes.filter((i) => i.name !== cmd.name);
          break;
        case 'AT_ValidateConstraint': {
          const constraint = table.constraints.find((c) => c.name === cmd.name);
          if (constraint) constraint.validated = true;
          break;
        }
      }
    }
  }

  private drop(node: any): void {
    const objects: any[] = node.objects ?? [];
    const names = (o: any): string[] => nameList(o?.List?.items ?? (o?.String ? [o] : []));
    switch (node.removeType) {
      case 'OBJECT_TABLE':
        for (const o of objects) {
          const { schema, name } = qualified(names(o));
          const key = `${schema}.${name}`.toLowerCase();
          const table = this.byKey.get(key);
          if (!table) continue;
          this.byKey.delete(key);
          this.tables = this.tables.filter((t) => t !== table);
        }
        return;
      case 'OBJECT_INDEX':
        for (const o of objects) {
          const { schema, name } = qualified(names(o));
          for (const t of this.tables) if (t.schema === schema) t.indexes = t.indexes.filter((i) => i.name !== name);
        }
        return;
      case 'OBJECT_FUNCTION':
      case 'OBJECT_PROCEDURE':
        for (const o of objects) {
          const { schema, name } = qualified(nameList(o?.ObjectWithArgs?.objname));
          this.functions = this.functions.filter((f) => !(f.schema === schema && f.name === name));
        }
        return;
      case 'OBJECT_TYPE':
        for (const o of objects) {
          const { schema, name } = qualified(nameList(o?.TypeName?.names));
          this.enums = this.enums.filter((e) => !(e.schema === schema && e.name === name));
        }
        return;
      case 'OBJECT_EXTENSION':
        for (const o of objects) this.extensions = this.extensions.filter((e) => e !== stringValue(o));
        return;
    }
  }

  private rename(node: any): void {
    const table = this.table(node.relation);
    switch (node.renameType) {
      case 'OBJECT_TABLE':
        if (table && node.newname) this.rekey(table, () => (table.name = node.newname));
        return;
      case 'OBJECT_COLUMN': {
        const column = table?.columns.find((c) => c.name === node.subname);
        if (!column || !node.newname) return;
        for (const list of [...table!.indexes, ...table!.constraints]) {
          list.columns = list.columns.map((c) => (c === node.subname ? node.newname : c));
        }
        column.name = node.newname;
        return;
      }
      case 'OBJECT_INDEX': {
        const { relname, schemaname = 'public' } = node.relation ?? {};
        for (const t of this.tables) {
          const index = t.schema === schemaname ? t.indexes.find((i) => i.name === relname) : undefined;
          if (index) index.name = node.newname;
          const constraint = index ? t.constraints.find((c) => c.name === relname) : undefined;
          if (constraint) constraint.name = node.newname;
        }
        return;
      }
      case 'OBJECT_TABCONSTRAINT': {
        const constraint = table?.constraints.find((c) => c.name === node.subname);
        if (constraint) constraint.name = node.newname;
        const index = table?.indexes.find((i) => i.name === node.subname);
        if (index) index.name = node.newname;
        return;
      }
    }
  }

  private createFunction(node: any): void {
    const { schema, name } = qualified(nameList(node.funcname));
    if (!name) return;
    const volatility = declaredVolatility(node);
    this.functions = this.functions.filter((f) => !(f.schema === schema && f.name === name));
    this.functions.push({ schema, name, volatility });
  }

  private alterEnum(node: any): void {
    const { schema, name } = qualified(nameList(node.typeName));
    const known = this.enums.find((e) => e.schema === schema && e.name === name);
    if (!known) return;
    if (node.oldVal && node.newVal) {
      known.values = known.values.map((v) => (v === node.oldVal ? node.newVal : v));
      return;
    }
    if (!node.newVal || known.values.includes(node.newVal)) return;
    const at = node.newValNeighbor ? known.values.indexOf(node.newValNeighbor) : -1;
    if (at === -1) known.values.push(node.newVal);
    else known.values.splice(node.newValIsAfter ? at + 1 : at, 0, node.newVal);
  }
}

/**
 * A CHECK constraint as pg_get_constraintdef writes it for the one shape rules compare (`col IS NOT
 * NULL`); other checks are left unspelled, which no rule matches against.
 */
function checkDefinition(c: any): string {
  const test = c.raw_expr?.NullTest;
  const fields = nameList(test?.arg?.ColumnRef?.fields);
  if (test?.nulltesttype === 'IS_NOT_NULL' && fields.length === 1) return `CHECK ((${fields[0]} IS NOT NULL))`;
  return 'CHECK (…)';
}
