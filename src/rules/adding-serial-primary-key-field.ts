import { columnConstraints, nameList, nearest, relationLabel } from './lib/ast.js';
import { runsInTransaction } from './lib/common.js';
import { isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

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
          if (constraint.indexname) return; // USING INDEX: the index was built beforehand
          columns = nameList(constraint.keys);
        } else if (cmd.subtype === 'AT_AddColumn') {
          constraint = columnConstraints(cmd.def?.ColumnDef).find((c) => c.contype === 'CONSTR_PRIMARY');
          columns = [cmd.def?.ColumnDef?.colname];
        }
        if (!constraint) return;
        const table = relationLabel(stmt.relation);
        const name: string = constraint.conname ?? `${stmt.relation.relname}_pkey`;
        const cols = columns.join(', ') || '<columns>';
        ctx.report({
          message:
            `Adding primary key ${name} to ${table} builds its unique index (and checks the columns for NULLs) while ` +
            `holding an ACCESS EXCLUSIVE lock: all reads and writes of ${table} wait until it ends.`,
          line: ctx.lineOf(constraint),
          fix: {
            title: 'Build the unique index CONCURRENTLY, then attach it as the primary key',
            sql:
              `CREATE UNIQUE INDEX CONCURRENTLY ${name}_idx ON ${table} (${cols});\n` +
              `ALTER TABLE ${table} ADD CONSTRAINT ${name} PRIMARY KEY USING INDEX ${name}_idx;`,
            steps: [
              'Make the key columns NOT NULL first without a long lock (see adding-not-nullable-field), or the ADD scans for NULLs.',
              ...(runsInTransaction(ctx) ? ['Run the CREATE INDEX CONCURRENTLY in its own migration, outside a transaction.'] : []),
            ],
          },
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      },
    };
  },
};

export default rule;
