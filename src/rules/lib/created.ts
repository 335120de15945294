import { declaredVolatility, nameList, relationKey } from './ast.js';
import { unwrapNode } from './walk.js';

export interface CreatedConstraint {
  name: string;
  table: string;
  contype: string;
  /** Added with NOT VALID. */
  notValid: boolean;
  /** Validated later in the change (or added valid). */
  validated: boolean;
  /** File that added it. */
  file: string;
  /** The transaction block that added it (`transactionKey`); a VALIDATE in the same block gains nothing. */
  transaction?: string;
  /** For CHECK (col IS NOT NULL): the column. */
  notNullColumn?: string;
}

/**
 * Objects created earlier in the change (all new files in order, statement by statement). An
 * operation on one of them cannot block traffic: nothing uses the object yet.
 *
 * A TEMP table lives only in its file's session (each file runs in a fresh one): it shadows a real
 * table of the same name until the file ends, and is not an object the change created after that.
 * `CREATE TABLE IF NOT EXISTS` of a table that already exists creates nothing.
 */
export class CreatedObjects {
  readonly tables = new Set<string>();
  /** TEMP tables of the file being linted. */
  private readonly sessionTables = new Set<string>();
  readonly indexes = new Set<string>();
  readonly constraints = new Map<string, CreatedConstraint>();
  readonly functions = new Map<string, 'i' | 's' | 'v'>();
  /** Enum types ('schema.name'). */
  readonly enums = new Set<string>();
  /** Columns added to existing tables ('schema.table.column'): NULL in every row that was already there. */
  readonly addedColumns = new Set<string>();

  hasTable(key: string): boolean {
    return this.tables.has(key) || this.sessionTables.has(key);
  }

  /** The file's session ends: its TEMP tables are gone. */
  endFile(): void {
    this.sessionTables.clear();
  }

  hasIndex(key: string): boolean {
    return this.indexes.has(key);
  }

  /**
   * Updates the sets with what one statement creates, renames or validates. `existed` says whether a
   * table (by relationKey) existed before the change.
   */
  record(ast: Record<string, unknown>, file: string, transaction?: string, existed: (key: string) => boolean = () => false): void {
    const wrapped = unwrapNode(ast);
    if (!wrapped) return;
    const node = wrapped.node as any;
    switch (wrapped.type) {
      case 'CreateStmt': {
        const key = relationKey(node.relation);
        if (node.relation?.relpersistence === 't') {
          this.sessionTables.add(key);
          break;
        }
        if (node.if_not_exists && (existed(key) || this.tables.has(key))) break;
        this.tables.add(key);
        this.recordTableConstraints(node);
        break;
      }
      case 'CreateTableAsStmt': {
        const key = relationKey(node.into?.rel);
        if (node.into?.rel?.relpersistence === 't') this.sessionTables.add(key);
        else if (!(node.if_not_exists && existed(key))) this.tables.add(key);
        break;
      }
      case 'IndexStmt':
        if (node.idxname) this.indexes.add(relationKey({ schemaname: node.relation?.schemaname, relname: node.idxname }));
        break;
      case 'RenameStmt':
        if (node.renameType === 'OBJECT_TABLE' && this.tables.has(relationKey(node.relation))) {
          this.tables.add(relationKey({ schemaname: node.relation?.schemaname, relname: node.newname }));
        }
        // An index this change created keeps being its own under a new name (ALTER INDEX … RENAME, or
        // RENAME CONSTRAINT of a unique or primary key constraint, which renames its index).
        if (node.renameType === 'OBJECT_INDEX' && this.indexes.has(relationKey(node.relation))) {
          this.indexes.add(relationKey({ schemaname: node.relation?.schemaname, relname: node.newname }));
        }
        if (node.renameType === 'OBJECT_TABCONSTRAINT' && node.subname) {
          const old = relationKey({ schemaname: node.relation?.schemaname, relname: node.subname });
          if (this.indexes.has(old)) this.indexes.add(relationKey({ schemaname: node.relation?.schemaname, relname: node.newname }));
        }
        break;
      case 'AlterTableStmt':
        this.recordAlterTable(node, file, transaction);
        break;
      case 'CreateFunctionStmt':
        this.recordFunction(node);
        break;
      case 'CreateEnumStmt': {
        const names = nameList(node.typeName);
        this.enums.add(relationKey({ schemaname: names.length > 1 ? names[0] : undefined, relname: names[names.length - 1] }));
        break;
      }
    }
  }

  /** PRIMARY KEY, UNIQUE and EXCLUDE constraints create an index: named as the constraint, or PostgreSQL's default. */
  private recordConstraintIndex(relation: any, c: any, column?: string): void {
    const suffix = { CONSTR_PRIMARY: 'pkey', CONSTR_UNIQUE: 'key', CONSTR_EXCLUSION: 'excl' }[c?.contype as string];
    if (!suffix) return;
    const key = (relname: string) => relationKey({ schemaname: relation?.schemaname, relname: relname.slice(0, 63) });
    if (c.indexname) {
      // ADD CONSTRAINT … USING INDEX renames an existing index: new only when that index is.
      if (c.conname && this.indexes.has(key(c.indexname))) this.indexes.add(key(c.conname));
      return;
    }
    const columns = column ? [column] : nameList(c.keys);
    this.indexes.add(key(c.conname ?? (suffix === 'pkey' ? `${relation?.relname}_pkey` : `${[relation?.relname, ...columns].join('_')}_${suffix}`)));
  }

  private recordTableConstraints(node: any): void {
    for (const element of node.tableElts ?? []) {
      if (element?.Constraint) this.recordConstraintIndex(node.relation, element.Constraint);
      const column = element?.ColumnDef;
      for (const c of column?.constraints ?? []) this.recordConstraintIndex(node.relation, c?.Constraint, column.colname);
    }
  }

  private recordAlterTable(node: any, file: string, transaction: string | undefined): void {
    const table = relationKey(node.relation);
    for (const item of node.cmds ?? []) {
      const cmd = item?.AlterTableCmd;
      if (!cmd) continue;
      if (cmd.subtype === 'AT_AddColumn') {
        const column = cmd.def?.ColumnDef?.colname;
        if (column) this.addedColumns.add(`${table}.${String(column).toLowerCase()}`);
        for (const c of cmd.def?.ColumnDef?.constraints ?? []) this.recordConstraintIndex(node.relation, c?.Constraint, cmd.def.ColumnDef.colname);
      }
      if (cmd.subtype === 'AT_AddConstraint' || cmd.subtype === 'AT_AddIndexConstraint') {
        this.recordConstraintIndex(node.relation, cmd.def?.Constraint);
      }
      if (cmd.subtype === 'AT_AddConstraint') {
        const c = cmd.def?.Constraint;
        if (!c?.conname) continue;
        this.constraints.set(c.conname.toLowerCase(), {
          name: c.conname,
          table,
          contype: c.contype,
          notValid: c.skip_validation === true,
          validated: c.skip_validation !== true,
          file,
          ...(transaction ? { transaction } : {}),
          notNullColumn: c.contype === 'CONSTR_CHECK' ? isNotNullCheck(c.raw_expr) : undefined,
        });
      } else if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
        const existing = this.constraints.get(cmd.name.toLowerCase());
        if (existing) existing.validated = true;
      }
    }
  }

  private recordFunction(node: any): void {
    const names = nameList(node.funcname);
    const name = names[names.length - 1]?.toLowerCase();
    if (!name) return;
    this.functions.set(name, declaredVolatility(node));
  }
}

/** `col IS NOT NULL` → 'col'. */
export function isNotNullCheck(expr: any): string | undefined {
  const test = expr?.NullTest;
  if (!test || test.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = nameList(test.arg?.ColumnRef?.fields);
  return fields.length === 1 ? fields[0]!.toLowerCase() : undefined;
}
