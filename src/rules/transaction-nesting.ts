import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'transaction-nesting',
    category: 'transaction',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'BEGIN/COMMIT inside a file its tool already runs in a transaction, or a BEGIN inside an open BEGIN.',
  }),
  create(ctx) {
    return {
      TransactionStmt(node) {
        const begin = node.kind === 'TRANS_STMT_BEGIN' || node.kind === 'TRANS_STMT_START';
        const end = node.kind === 'TRANS_STMT_COMMIT' || node.kind === 'TRANS_STMT_ROLLBACK';
        if (begin && ctx.fileState.explicitTransaction) {
          ctx.report({
            message:
              'BEGIN inside a transaction that is already open only raises a warning: the statements after it still run in ' +
              'the outer transaction, and the first COMMIT commits everything.',
            fix: { title: 'Remove the inner BEGIN', steps: ['Keep one BEGIN … COMMIT pair per file.'] },
          });
        } else if ((begin || end) && ctx.settings.inTransaction && !ctx.fileState.explicitTransaction) {
          ctx.report({
            message: begin
              ? `This file already runs in a transaction (${ctx.file.transactionReason}): this BEGIN is a no-op with a ` +
                'warning, and its COMMIT ends the tool\'s transaction early, so the rest of the file runs without one.'
              : `This file runs in a transaction (${ctx.file.transactionReason}): this ${end ? 'COMMIT/ROLLBACK' : ''} ends ` +
                'the tool\'s transaction early; the statements after it run in autocommit and the tool\'s own COMMIT warns.',
            fix: {
              title: 'Let the migration tool manage the transaction',
              steps: ['Remove BEGIN/COMMIT from the file, or opt the file out of the tool\'s transaction if it must manage its own.'],
            },
          });
        }
      },
    };
  },
};

export default rule;
