import { columnConstraints, identSql, nameList, relationSql } from './lib/ast.js';
import { columnTypeSql, ownMigrationStep, runsInTransaction, statementFix } from './lib/common.js';
import { meta, onExistingTableCommands, sizeEvidence } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'disallowed-unique-constraint',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'ADD CONSTRAINT … UNIQUE on an existing table builds its index under an ACCESS EXCLUSIVE lock.',
  }),
  create(ctx) {
    return onExistingTableCommands(ctx, (cmd, stmt, table) => {
      const message = (what: string) =>
        `${what} on ${table} builds a unique index while holding an ACCESS EXCLUSIVE lock: all reads and writes of ` +
        `${table} wait until the index is built.`;
      if (cmd.subtype === 'AT_AddConstraint') {
        const c = cmd.def?.Constraint;
        if (c?.contype !== 'CONSTR_UNIQUE' || c.indexname) return;
        const columns = nameList(c.keys);
        const name: string = c.conname ?? `${stmt.relation.relname}_${columns.join('_')}_key`;
        const index = identSql(`${name}_idx`.slice(0, 63));
        const tableSql = relationSql(stmt.relation);
        const sql =
          `CREATE UNIQUE INDEX CONCURRENTLY ${index} ON ${tableSql} (${columns.map(identSql).join(', ')})` +
          `;\nALTER TABLE ${tableSql} ADD CONSTRAINT ${identSql(name)} UNIQUE USING INDEX ${index}`;
        const single = (stmt.cmds ?? []).length === 1 && columns.length > 0 && !c.including && !c.nulls_not_distinct;
        ctx.report({
          message: message(`Adding UNIQUE constraint ${name}`),
          line: ctx.lineOf(c),
          fix: single
            ? statementFix(
                ctx,
                'Build the unique index CONCURRENTLY, then attach it as the constraint',
                sql,
                runsInTransaction(ctx) ? [ownMigrationStep(ctx, 'CREATE UNIQUE INDEX CONCURRENTLY')] : undefined,
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
            steps: addColumnThenUnique(ctx, stmt.relation, col),
          },
        });
      }
    });
  },
};


/** The column added plain, then a unique index built CONCURRENTLY and attached: in the source's quoting and types. */
function addColumnThenUnique(ctx: RuleContext, rv: any, col: any): string[] {
  const table = relationSql(rv);
  const column = identSql(col.colname);
  const key = identSql(`${rv.relname}_${col.colname}_key`.slice(0, 63));
  return [
    `ALTER TABLE ${table} ADD COLUMN ${column} ${columnTypeSql(ctx, col)};`,
    `CREATE UNIQUE INDEX CONCURRENTLY ${key} ON ${table} (${column});`,
    `ALTER TABLE ${table} ADD CONSTRAINT ${key} UNIQUE USING INDEX ${key};`,
  ];
}

export default rule;
