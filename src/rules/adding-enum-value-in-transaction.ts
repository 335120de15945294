import { ownMigrationAdvice } from '../migrations/transaction.js';
import { nameList } from './lib/ast.js';
import { runsInTransaction, transactionWhy } from './lib/common.js';
import { isCommit, laterStatements } from './lib/file-scan.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';
import { walk } from './lib/walk.js';

const rule: Rule = {
  meta: meta({
    id: 'adding-enum-value-in-transaction',
    category: 'transaction',
    defaultSeverity: 'error',
    requires: 'ast',
    description:
      'ALTER TYPE … ADD VALUE inside a transaction: fails before PostgreSQL 12; from 12 the value cannot be used until the transaction commits.',
  }),
  create(ctx) {
    return {
      AlterEnumStmt(node) {
        if (!node.newVal || !runsInTransaction(ctx)) return;
        const type = nameList(node.typeName).join('.');
        const why = transactionWhy(ctx);
        if (ctx.settings.postgresVersion < 12) {
          ctx.report({
            message:
              `ALTER TYPE ${type} ADD VALUE cannot run inside a transaction block before PostgreSQL 12 (the target is ` +
              `${ctx.settings.postgresVersion}), and this statement runs in one (${why}): the migration fails.`,
            fix: { title: 'Run ADD VALUE outside a transaction', steps: [ownMigrationAdvice(ctx.file.convention, ctx.fileState.explicitTransaction)] },
          });
          return;
        }
        const use = laterUse(node.newVal);
        if (!use) return;
        ctx.report({
          message:
            `The new value '${node.newVal}' of ${type} is used later in the same transaction (${why}); PostgreSQL rejects it ` +
            'with "unsafe use of new value" (55P04) until the ADD VALUE has committed.',
          fix: { title: 'Commit the new value before using it', steps: [`Move the statements that use '${node.newVal}' to a later migration.`] },
        });
      },
    };

    function laterUse(value: string): boolean {
      const later = laterStatements(ctx) ?? [];
      for (const s of later) {
        // This statement runs in a block (checked above): the first COMMIT ends it, the tool's or an explicit one.
        if (isCommit(s)) return false;
        let found = false;
        walk({ [s.type]: s.node }, (type, n) => {
          if (type === 'A_Const' && n.sval?.sval === value) found = true;
        });
        if (found) return true;
      }
      return false;
    }
  },
};

export default rule;
