import { nearest, relationLabel } from './lib/ast.js';
import { runsInTransaction, statementFix } from './lib/common.js';
import { fileStatements } from './lib/file-scan.js';
import { insertAfterTokens, tokens } from './lib/fix.js';
import { createdIndexKey, droppedIndexKeys } from './lib/index-names.js';
import { meta } from './lib/helpers.js';
import { quoteIdent } from '../sql/quote.js';
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
        // Dropped at the end of its own statement's transaction: a retry never finds it.
        if (node.relation?.relpersistence === 't' && node.oncommit === 'ONCOMMIT_DROP') return;
        if (applies() && !node.if_not_exists) {
          report(`CREATE TABLE ${relationLabel(node.relation)}`, insertAfterTokens(ctx.statement.text, ['CREATE', '?UNLOGGED', 'TABLE'], ' IF NOT EXISTS'));
        }
      },
      IndexStmt(node) {
        if (!applies() || node.if_not_exists || !node.idxname) return;
        if (node.concurrent) {
          // A failed concurrent build leaves an INVALID index: dropping it first is what makes the retry work
          // (IF NOT EXISTS would keep the invalid one; concurrent-index-if-not-exists).
          if (ctx.fileMemo.has(createdIndexKey(node))) return;
          const schema: string | undefined = node.relation?.schemaname;
          const name = tokens(ctx.statement.text).find((t) => t.text.replace(/^"|"$/g, '').replace(/""/g, '"') === node.idxname)?.text ?? quoteIdent(node.idxname);
          report(`CREATE INDEX CONCURRENTLY ${node.idxname}`, `DROP INDEX CONCURRENTLY IF EXISTS ${schema ? `${quoteIdent(schema)}.` : ''}${name};\n${ctx.statement.text}`);
          return;
        }
        report(`CREATE INDEX ${node.idxname}`, insertAfterTokens(ctx.statement.text, ['CREATE', '?UNIQUE', 'INDEX'], ' IF NOT EXISTS'));
      },
      DropStmt(node) {
        for (const key of droppedIndexKeys(node)) ctx.fileMemo.set(key, true);
        if (!applies() || node.missing_ok) return;
        if (!['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_TYPE'].includes(node.removeType)) return;
        report('DROP', insertDropIfExists(ctx));
      },
      AlterTableCmd(cmd, ancestors) {
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt) return;
        const table = relationLabel(stmt.relation);
        if (cmd.subtype === 'AT_DropConstraint' && cmd.name) ctx.fileMemo.set(`dropped:${table}.${cmd.name}`, true);
        if (!applies()) return;
        const single = (stmt.cmds ?? []).length === 1;
        if (cmd.subtype === 'AT_AddColumn' && !cmd.missing_ok) {
          report(`ADD COLUMN ${cmd.def?.ColumnDef?.colname}`, single ? insertAfterTokens(ctx.statement.text, ['ADD', '?COLUMN'], ' IF NOT EXISTS') : undefined);
        }
        if (cmd.subtype === 'AT_DropColumn' && !cmd.missing_ok) {
          report(`DROP COLUMN ${cmd.name}`, single ? insertAfterTokens(ctx.statement.text, ['DROP', '?COLUMN'], ' IF EXISTS') : undefined);
        }
        if (cmd.subtype === 'AT_DropConstraint' && !cmd.missing_ok) {
          report(`DROP CONSTRAINT ${cmd.name}`, single ? insertAfterTokens(ctx.statement.text, ['DROP', 'CONSTRAINT'], ' IF EXISTS') : undefined);
        }
        // ADD CONSTRAINT has no IF NOT EXISTS: a DROP CONSTRAINT IF EXISTS of the same name earlier in the file makes it re-runnable.
        const added = cmd.def?.Constraint;
        if ((cmd.subtype === 'AT_AddConstraint' || cmd.subtype === 'AT_AddIndexConstraint') && added?.conname) {
          // One DROP … IF EXISTS makes one ADD re-runnable; a second ADD of the name fails again.
          if (ctx.fileMemo.delete(`dropped:${table}.${added.conname}`)) return;
          ctx.report({
            message:
              `ADD CONSTRAINT ${added.conname} fails if it runs again ("already exists"). This file runs outside a transaction ` +
              `(${ctx.file.transactionReason || 'autocommit'}), so when a later statement fails, the retry stops here.`,
            fix: {
              title: 'Drop the constraint if it exists first',
              steps: [`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${quoteIdent(added.conname)}; -- before the ADD, in this file`],
            },
          });
        }
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
