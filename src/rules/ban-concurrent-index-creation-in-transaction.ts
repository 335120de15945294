import { ownMigrationAdvice } from '../migrations/transaction.js';
import { optionEnabled, relationLabel } from './lib/ast.js';
import { runsInTransaction, transactionWhy } from './lib/common.js';
import { meta } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-concurrent-index-creation-in-transaction',
    category: 'transaction',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'CONCURRENTLY index operations cannot run inside a transaction block; the migration fails.',
  }),
  create(ctx) {
    return {
      IndexStmt(node) {
        if (node.concurrent && runsInTransaction(ctx)) {
          report(ctx, `CREATE INDEX CONCURRENTLY on ${relationLabel(node.relation)}`);
        }
      },
      DropStmt(node) {
        if (node.removeType === 'OBJECT_INDEX' && node.concurrent && runsInTransaction(ctx)) {
          report(ctx, 'DROP INDEX CONCURRENTLY');
        }
      },
      ReindexStmt(node) {
        if (optionEnabled(node.params, 'concurrently') && runsInTransaction(ctx)) report(ctx, 'REINDEX CONCURRENTLY');
      },
    };
  },
};

function report(ctx: RuleContext, what: string): void {
  ctx.report({
    message:
      `${what} cannot run inside a transaction block, and this statement runs in one (${transactionWhy(ctx)}): ` +
      'the migration fails with "cannot run inside a transaction block".',
    fix: {
      title: 'Run the statement outside a transaction',
      steps: [ownMigrationAdvice(ctx.file.convention, ctx.fileState.explicitTransaction)],
    },
  });
}

export default rule;
