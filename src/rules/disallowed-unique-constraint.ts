import { columnConstraints, nameList, nearest, relationLabel } from './lib/ast.js';
import { runsInTransaction, statementFix } from './lib/common.js';
import { isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'disallowed-unique-constraint',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'ADD CONSTRAINT … UNIQUE on an existing table builds its index under an ACCESS EXCLUSIVE lock.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        const table = relationLabel(stmt.relation);
        const message = (what: string) =>
          `${what} on ${table} builds a unique index while holding an ACCESS EXCLUSIVE lock: all reads and writes of ` +
          `${table} wait until the index is built.`;
        if (cmd.subtype === 'AT_AddConstraint') {
          const c = cmd.def?.Constraint;
          if (c?.contype !== 'CONSTR_UNIQUE' || c.indexname) return;
          const columns = nameList(c.keys);
          const name: string = c.conname ?? `${stmt.relation.relname}_${columns.join('_')}_key`;
          const index = `${name}_idx`;
          const sql =
            `CREATE UNIQUE INDEX CONCURRENTLY ${index} ON ${table} (${columns.join(', ')})` +
            `;\nALTER TABLE ${table} ADD CONSTRAINT ${name} UNIQUE USING INDEX ${index}`;
          const single = (stmt.cmds ?? []).length === 1 && columns.length > 0 && !c.including && !c.nulls_not_distinct;
          ctx.report({
            message: message(`Adding UNIQUE constraint ${name}`),
            line: ctx.lineOf(c),
            fix: single
              ? statementFix(
                  ctx,
                  'Build the unique index CONCURRENTLY, then attach it as the constraint',
                  sql,
                  runsInTransaction(ctx) ? ['Run the CREATE INDEX CONCURRENTLY outside a transaction (its own migration).'] : undefined,
                  !runsInTransaction(ctx),
                )
              : {
                  title: 'Build the unique index CONCURRENTLY, then attach it as the constraint',
                  sql: `${sql};`,
                },
            evidence: sizeEvidence(ctx, stmt.relation),
          });
        } else if (cmd.subtype === 'AT_AddColumn') {
          const col = cmd.def?.ColumnDef;
          if (!columnConstraints(col).some((c) => c.contype === 'CONSTR_UNIQUE')) return;
          ctx.report({
            message: message(`Adding ${table}.${col.colname} as UNIQUE`),
            line: ctx.lineOf(col),
            fix: {
              title: 'Add the column, build the unique index CONCURRENTLY, then attach it',
              steps: [
                `ALTER TABLE ${table} ADD COLUMN ${col.colname} <type>;`,
                `CREATE UNIQUE INDEX CONCURRENTLY ${stmt.relation.relname}_${col.colname}_key ON ${table} (${col.colname});`,
                `ALTER TABLE ${table} ADD CONSTRAINT ${stmt.relation.relname}_${col.colname}_key UNIQUE USING INDEX ${stmt.relation.relname}_${col.colname}_key;`,
              ],
            },
          });
        }
      },
    };
  },
};

export default rule;
