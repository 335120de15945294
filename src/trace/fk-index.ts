// Foreign keys whose referencing columns no index covers: every DELETE or key UPDATE on the referenced
// table then scans the referencing table (under its lock), and joins on the key cannot use an index.
// Read from the statements' ASTs plus the catalog before the change, so that an index created later in
// the same file counts.
import type { CatalogSnapshot, ParsedStatement } from '../types.js';

export interface ForeignKeyDef {
  statement: ParsedStatement;
  /** schema.name of the referencing table. */
  table: string;
  columns: string[];
  references: string;
  name?: string;
  /** The referencing table is created in this file (so it is empty and a plain CREATE INDEX is fine). */
  newTable: boolean;
}

export interface IndexedColumns {
  table: string;
  /** Leading plain columns of an index, in order; an expression ends the list. */
  columns: string[];
  name?: string;
}

interface RangeVar {
  schemaname?: string;
  relname?: string;
}

export function qualify(rv: RangeVar | undefined): string {
  return `${rv?.schemaname ?? 'public'}.${rv?.relname ?? ''}`;
}

function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.map((item) => (item as { String?: { sval?: string } })?.String?.sval ?? '') : [];
}

type AnyNode = Record<string, any>;

function constraintsOfCreate(stmt: AnyNode): { constraint: AnyNode; column?: string }[] {
  const out: { constraint: AnyNode; column?: string }[] = [];
  for (const element of stmt.tableElts ?? []) {
    if (element.Constraint) out.push({ constraint: element.Constraint });
    const column = element.ColumnDef;
    if (column) for (const c of column.constraints ?? []) if (c.Constraint) out.push({ constraint: c.Constraint, column: column.colname });
  }
  return out;
}

/** Foreign keys and the indexes (including PRIMARY KEY / UNIQUE) that the statements create. */
export function collectFromStatements(statements: ParsedStatement[]): { foreignKeys: ForeignKeyDef[]; indexes: IndexedColumns[] } {
  const foreignKeys: ForeignKeyDef[] = [];
  const indexes: IndexedColumns[] = [];
  const created = new Set<string>();
  for (const statement of statements) {
    const ast = statement.ast as AnyNode;
    const addConstraint = (table: string, constraint: AnyNode, column?: string) => {
      const keys = column ? [column] : strings(constraint.keys);
      if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE') {
        if (keys.length) indexes.push({ table, columns: keys, name: constraint.conname });
      } else if (constraint.contype === 'CONSTR_FOREIGN') {
        const columns = column ? [column] : strings(constraint.fk_attrs);
        foreignKeys.push({
          statement, table, columns, references: qualify(constraint.pktable), name: constraint.conname, newTable: created.has(table),
        });
      }
    };
    if (ast.CreateStmt) {
      const table = qualify(ast.CreateStmt.relation);
      created.add(table);
      for (const { constraint, column } of constraintsOfCreate(ast.CreateStmt)) addConstraint(table, constraint, column);
    } else if (ast.AlterTableStmt) {
      const table = qualify(ast.AlterTableStmt.relation);
      for (const cmd of ast.AlterTableStmt.cmds ?? []) {
        const c = cmd.AlterTableCmd;
        if (c?.subtype === 'AT_AddConstraint' && c.def?.Constraint) addConstraint(table, c.def.Constraint);
        if (c?.subtype === 'AT_AddColumn' && c.def?.ColumnDef) {
          for (const cc of c.def.ColumnDef.constraints ?? []) if (cc.Constraint) addConstraint(table, cc.Constraint, c.def.ColumnDef.colname);
        }
      }
    } else if (ast.IndexStmt) {
      const columns: string[] = [];
      for (const param of ast.IndexStmt.indexParams ?? []) {
        const name = param.IndexElem?.name;
        if (!name) break;
        columns.push(name);
      }
      // A partial index only covers some rows: it does not serve the foreign key's lookups.
      if (columns.length && !ast.IndexStmt.whereClause) indexes.push({ table: qualify(ast.IndexStmt.relation), columns, name: ast.IndexStmt.idxname });
    }
  }
  return { foreignKeys, indexes };
}

export function catalogIndexes(catalog: CatalogSnapshot): IndexedColumns[] {
  const out: IndexedColumns[] = [];
  for (const table of catalog.tables) {
    const name = `${table.schema}.${table.name}`;
    for (const index of table.indexes) if (index.valid && !/\bWHERE\b/i.test(index.definition)) out.push({ table: name, columns: index.columns, name: index.name });
  }
  return out;
}

/** An index serves the foreign key when the key's columns are its leading columns, in any order. */
export function covers(index: IndexedColumns, fk: ForeignKeyDef): boolean {
  if (index.table !== fk.table || index.columns.length < fk.columns.length) return false;
  const leading = new Set(index.columns.slice(0, fk.columns.length));
  return fk.columns.every((column) => leading.has(column));
}

export function unindexedForeignKeys(statements: ParsedStatement[], catalogBefore: CatalogSnapshot): { fk: ForeignKeyDef; indexes: IndexedColumns[] }[] {
  const { foreignKeys, indexes } = collectFromStatements(statements);
  const all = [...catalogIndexes(catalogBefore), ...indexes];
  return foreignKeys
    .filter((fk) => fk.columns.length > 0 && !all.some((index) => covers(index, fk)))
    .map((fk) => ({ fk, indexes: all.filter((index) => index.table === fk.table) }));
}

export function indexName(fk: ForeignKeyDef): string {
  const table = fk.table.split('.').pop() ?? fk.table;
  return `${table}_${fk.columns.join('_')}_idx`.slice(0, 63);
}
