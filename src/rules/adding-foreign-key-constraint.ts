import type { Fix } from '../types.js';
import { columnConstraints, identSql, nameList, relationLabel, relationSql } from './lib/ast.js';
import { columnTypeSql } from './lib/common.js';
import { notValidFix } from './lib/constraint-fix.js';
import { meta, onExistingTableCommands, sizeEvidence } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'adding-foreign-key-constraint',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'A foreign key added to an existing table without NOT VALID blocks writes on both tables while it validates.',
  }),
  create(ctx) {
    return onExistingTableCommands(ctx, (cmd, stmt, table) => {
      if (cmd.subtype === 'AT_AddConstraint') {
        const c = cmd.def?.Constraint;
        if (c?.contype !== 'CONSTR_FOREIGN' || c.skip_validation) return;
        const target = relationLabel(c.pktable);
        ctx.report({
          message:
            `Adding foreign key ${c.conname ?? ''}${c.conname ? ' ' : ''}on ${table} checks every row while holding SHARE ROW ` +
            `EXCLUSIVE locks on ${table} and ${target}: INSERT, UPDATE and DELETE on both wait until the scan ends.`,
          line: ctx.lineOf(c),
          fix: notValidFix(ctx, stmt, c),
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      } else if (cmd.subtype === 'AT_AddColumn') {
        const col = cmd.def?.ColumnDef;
        const fk = columnConstraints(col).find((c) => c.contype === 'CONSTR_FOREIGN');
        if (!fk) return;
        const target = relationLabel(fk.pktable);
        // ADD COLUMN itself takes ACCESS EXCLUSIVE on the table; the foreign key adds SHARE ROW EXCLUSIVE on its target.
        const locks = target === table
          ? `an ACCESS EXCLUSIVE lock on ${table}: every query on ${table} waits`
          : `an ACCESS EXCLUSIVE lock on ${table} and a SHARE ROW EXCLUSIVE lock on ${target}: every query on ${table}, and ` +
            `INSERT, UPDATE and DELETE on ${target}, wait`;
        ctx.report({
          message:
            `Adding ${table}.${col.colname} with REFERENCES ${target} takes ${locks} for the statement, which itself queues ` +
            'behind running queries.',
          line: ctx.lineOf(col),
          fix: addColumnThenForeignKey(ctx, stmt, col, fk),
        });
      }
    });
  },
};


/** The column added plain, then its foreign key NOT VALID, then validated: SQL in the source's quoting and types. */
function addColumnThenForeignKey(ctx: RuleContext, stmt: any, col: any, fk: any): Fix {
  const table = relationSql(stmt.relation);
  const column = identSql(col.colname);
  const name = identSql(fk.conname ?? `${stmt.relation.relname}_${col.colname}_fkey`.slice(0, 63));
  const refColumns = nameList(fk.pk_attrs);
  const target = `${relationSql(fk.pktable)}${refColumns.length ? ` (${refColumns.map(identSql).join(', ')})` : ''}`;
  return {
    title: 'Add the column first, then the foreign key NOT VALID, then VALIDATE it',
    sql:
      `ALTER TABLE ${table} ADD COLUMN ${column} ${columnTypeSql(ctx, col)};\n` +
      `ALTER TABLE ${table} ADD CONSTRAINT ${name} FOREIGN KEY (${column}) REFERENCES ${target} NOT VALID;\n` +
      `-- in a separate transaction:\nALTER TABLE ${table} VALIDATE CONSTRAINT ${name};`,
  };
}

export default rule;
