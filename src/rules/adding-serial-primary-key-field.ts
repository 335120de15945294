import { columnConstraints, identSql, nameList, nearest, relationKey, relationLabel, relationSql } from './lib/ast.js';
import { ownMigrationStep, runsInTransaction } from './lib/common.js';
import { fileStatements } from './lib/file-scan.js';
import { catalogTable, isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'adding-serial-primary-key-field',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'Adding a PRIMARY KEY to an existing table builds its index under an ACCESS EXCLUSIVE lock.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        let constraint: any;
        let columns: string[] = [];
        if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === 'CONSTR_PRIMARY') {
          constraint = cmd.def.Constraint;
          if (constraint.indexname) {
            // USING INDEX: the index was built beforehand, but nullable key columns are made NOT NULL by a scan.
            reportNullableKey(ctx, stmt, constraint);
            return;
          }
          columns = nameList(constraint.keys);
        } else if (cmd.subtype === 'AT_AddColumn') {
          constraint = columnConstraints(cmd.def?.ColumnDef).find((c) => c.contype === 'CONSTR_PRIMARY');
          columns = [cmd.def?.ColumnDef?.colname];
        }
        if (!constraint) return;
        const table = relationLabel(stmt.relation);
        const name: string = constraint.conname ?? `${stmt.relation.relname}_pkey`;
        const cols = columns.map(identSql).join(', ') || '<columns>';
        const tableSql = relationSql(stmt.relation);
        const index = identSql(`${name}_idx`.slice(0, 63));
        ctx.report({
          message:
            `Adding primary key ${name} to ${table} builds its unique index (and checks the columns for NULLs) while ` +
            `holding an ACCESS EXCLUSIVE lock: all reads and writes of ${table} wait until it ends.`,
          line: ctx.lineOf(constraint),
          fix: {
            title: 'Build the unique index CONCURRENTLY, then attach it as the primary key',
            sql:
              `CREATE UNIQUE INDEX CONCURRENTLY ${index} ON ${tableSql} (${cols});\n` +
              `ALTER TABLE ${tableSql} ADD CONSTRAINT ${identSql(name)} PRIMARY KEY USING INDEX ${index};`,
            steps: [
              'Make the key columns NOT NULL first without a long lock (see adding-not-nullable-field), or the ADD scans for NULLs.',
              ...(runsInTransaction(ctx) ? [ownMigrationStep(ctx, 'CREATE UNIQUE INDEX CONCURRENTLY')] : []),
            ],
          },
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      },
    };
  },
};

/** ADD PRIMARY KEY USING INDEX on columns the catalog shows nullable (and the file did not make NOT NULL before). */
function reportNullableKey(ctx: RuleContext, stmt: any, constraint: any): void {
  const table = catalogTable(ctx, stmt.relation);
  const index = table?.indexes.find((i) => i.name === constraint.indexname);
  if (!table || !index) return;
  const madeNotNull = new Set(
    (fileStatements(ctx.file) ?? [])
      .slice(0, ctx.statement.index)
      .filter((s) => s.type === 'AlterTableStmt' && relationKey(s.node.relation) === relationKey(stmt.relation))
      .flatMap((s) => (s.node.cmds ?? []).map((c: any) => c?.AlterTableCmd))
      .filter((c: any) => c?.subtype === 'AT_SetNotNull')
      .map((c: any) => c.name),
  );
  const nullable = index.columns.filter((c) => table.columns.find((col) => col.name === c)?.notNull === false && !madeNotNull.has(c));
  if (nullable.length === 0) return;
  const label = relationLabel(stmt.relation);
  ctx.report({
    message:
      `PRIMARY KEY USING INDEX ${constraint.indexname} makes ${nullable.join(', ')} NOT NULL, which scans every row of ${label} ` +
      `for NULLs while holding an ACCESS EXCLUSIVE lock: all reads and writes of ${label} wait until the scan ends.`,
    line: ctx.lineOf(constraint),
    fix: {
      title: 'Prove the columns NOT NULL with a validated CHECK first',
      steps: [
        ...nullable.map((c) => `ALTER TABLE ${label} ADD CONSTRAINT ${c}_not_null CHECK (${c} IS NOT NULL) NOT VALID;`),
        ...nullable.map((c) => `ALTER TABLE ${label} VALIDATE CONSTRAINT ${c}_not_null; -- in a later transaction: scans without blocking writes`),
        ...(ctx.settings.postgresVersion >= 12
          ? [`ALTER TABLE ${label} ALTER COLUMN … SET NOT NULL; -- PostgreSQL 12+ uses the validated CHECK and skips the scan`]
          : []),
        'Then add the primary key USING INDEX.',
      ],
    },
    evidence: `${nullable.join(', ')} ${nullable.length > 1 ? 'are' : 'is'} nullable in the schema before this change`,
  });
}

export default rule;
