import { nearest, relationLabel } from './lib/ast.js';
import { runsInTransaction, statementFix } from './lib/common.js';
import { fileStatements } from './lib/file-scan.js';
import { insertAfterTokens } from './lib/fix.js';
import { meta } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-robust-stmts',
    category: 'transaction',
    defaultSeverity: 'info',
    requires: 'ast',
    description:
      'In a file that runs outside a transaction, statements that fail when re-run (no IF [NOT] EXISTS) block a retry after a partial failure.',
  }),
  create(ctx) {
    // Inside a transaction a failure rolls everything back, and a one-statement file fails whole:
    // only a multi-statement file in autocommit can be left half applied.
    const applies = (): boolean => !runsInTransaction(ctx) && (fileStatements(ctx.file)?.length ?? 2) > 1;
    const report = (what: string, newText: string | undefined) =>
      ctx.report({
        message:
          `${what} fails if it runs again. This file runs outside a transaction (${ctx.file.transactionReason || 'autocommit'}), ` +
          'so when a later statement fails, the retry stops here with "already exists" / "does not exist".',
        // Not a drop-in: --fix keeps to the lock fixes that share these lines (CONCURRENTLY, lock_timeout).
        fix: statementFix(ctx, 'Make the statement safe to re-run', newText, undefined, false),
      });
    return {
      CreateStmt(node) {
        if (applies() && !node.if_not_exists) {
          report(`CREATE TABLE ${relationLabel(node.relation)}`, insertAfterTokens(ctx.statement.text, ['CREATE', '?UNLOGGED', 'TABLE'], ' IF NOT EXISTS'));
        }
      },
      IndexStmt(node) {
        if (applies() && !node.if_not_exists && node.idxname) {
          report(
            `CREATE INDEX ${node.idxname}`,
            insertAfterTokens(ctx.statement.text, ['CREATE', '?UNIQUE', 'INDEX', '?CONCURRENTLY'], ' IF NOT EXISTS'),
          );
        }
      },
      DropStmt(node) {
        if (!applies() || node.missing_ok) return;
        if (!['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_TYPE'].includes(node.removeType)) return;
        report('DROP', insertDropIfExists(ctx));
      },
      AlterTableCmd(cmd, ancestors) {
        if (!applies() || !nearest(ancestors, 'AlterTableStmt')) return;
        if (cmd.subtype === 'AT_AddColumn' && !cmd.missing_ok) report(`ADD COLUMN ${cmd.def?.ColumnDef?.colname}`, undefined);
        if (cmd.subtype === 'AT_DropColumn' && !cmd.missing_ok) report(`DROP COLUMN ${cmd.name}`, undefined);
      },
    };
  },
};

function insertDropIfExists(ctx: RuleContext): string | undefined {
  for (const kind of [['TABLE'], ['INDEX', '?CONCURRENTLY'], ['VIEW'], ['MATERIALIZED', 'VIEW'], ['SEQUENCE'], ['TYPE']]) {
    const text = insertAfterTokens(ctx.statement.text, ['DROP', ...kind], ' IF EXISTS');
    if (text) return text;
  }
  return undefined;
}

export default rule;
