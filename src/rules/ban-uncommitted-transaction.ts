import { runsInTransaction } from './lib/common.js';
import { isCommit, laterStatements } from './lib/file-scan.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-uncommitted-transaction',
    category: 'transaction',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'A BEGIN with no COMMIT later in the file: the migration ends with the transaction open.',
  }),
  create(ctx) {
    return {
      TransactionStmt(node) {
        if (node.kind !== 'TRANS_STMT_BEGIN' && node.kind !== 'TRANS_STMT_START') return;
        // A BEGIN inside an open block opens nothing (transaction-nesting reports it), and in a file
        // its tool wraps, the tool's own COMMIT ends a block reopened after an early COMMIT.
        if (runsInTransaction(ctx) || ctx.settings.inTransaction) return;
        const later = laterStatements(ctx);
        if (!later) return;
        // Nested BEGINs are no-ops: the first COMMIT or ROLLBACK after this one ends its block.
        if (later.some((s) => isCommit(s))) return;
        ctx.report({
          message:
            'This BEGIN has no COMMIT after it in the file: the migration ends with the transaction open, so its changes ' +
            'are rolled back when the session closes, or the tool commits them with locks held for longer than planned.',
          fix: { title: 'End the transaction in the same file', steps: ['Add COMMIT; after the last statement of the transaction.'] },
        });
      },
    };
  },
};

export default rule;
