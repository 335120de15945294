import { isBegin, laterStatements } from './lib/file-scan.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'transaction-nesting',
    category: 'transaction',
    defaultSeverity: 'warning',
    requires: 'ast',
    description:
      'BEGIN/COMMIT inside a file its tool already runs in a transaction, a BEGIN inside an open BEGIN, or a COMMIT with no transaction open.',
  }),
  create(ctx) {
    const { explicitTransaction, toolTransactionEnded } = ctx.fileState;
    const toolTransactionOpen = ctx.settings.inTransaction && !toolTransactionEnded;
    const letTheToolManage = {
      title: 'Let the migration tool manage the transaction',
      steps: ['Remove BEGIN/COMMIT from the file, or opt the file out of the tool\'s transaction if it must manage its own.'],
    };
    // A BEGIN that opened nothing is reported once: the COMMIT written to close it is part of the same mistake.
    const unmatchedBegins = (): number => (ctx.fileMemo.get('unmatchedBegins') as number | undefined) ?? 0;
    const consumeBegin = (): boolean => {
      if (unmatchedBegins() === 0) return false;
      ctx.fileMemo.set('unmatchedBegins', unmatchedBegins() - 1);
      return true;
    };
    return {
      TransactionStmt(node) {
        const begin = node.kind === 'TRANS_STMT_BEGIN' || node.kind === 'TRANS_STMT_START';
        const end = node.kind === 'TRANS_STMT_COMMIT' || node.kind === 'TRANS_STMT_ROLLBACK';
        if (begin && (explicitTransaction || toolTransactionOpen)) ctx.fileMemo.set('unmatchedBegins', unmatchedBegins() + 1);
        if (begin && explicitTransaction) {
          ctx.report({
            message:
              'BEGIN inside a transaction that is already open only raises a warning: the statements after it still run in ' +
              'the outer transaction, and the first COMMIT commits everything.',
            fix: { title: 'Remove the inner BEGIN', steps: ['Keep one BEGIN … COMMIT pair per file.'] },
          });
        } else if (begin && toolTransactionOpen) {
          ctx.report({
            message:
              `This file already runs in a transaction (${ctx.file.transactionReason}): this BEGIN is a no-op with a ` +
              'warning, and its COMMIT ends the tool\'s transaction early, so the rest of the file runs without one.',
            fix: letTheToolManage,
          });
        } else if (end && !explicitTransaction && consumeBegin()) {
          return;
        } else if (end && !explicitTransaction && toolTransactionOpen) {
          // `COMMIT; …; BEGIN;` deliberately steps out of the tool's transaction: one finding, on the COMMIT.
          const reopened = (laterStatements(ctx) ?? []).some(isBegin);
          ctx.report({
            message: reopened
              ? `This file runs in a transaction (${ctx.file.transactionReason}): this COMMIT ends it and the BEGIN after ` +
                'it opens another, so the statements in between run in autocommit, and a failure there leaves the ' +
                'first part committed and the rest not applied.'
              : `This file runs in a transaction (${ctx.file.transactionReason}): this COMMIT/ROLLBACK ends the tool's ` +
                'transaction early; the statements after it run in autocommit and the tool\'s own COMMIT warns.',
            fix: reopened
              ? {
                  title: 'Move the statements that need autocommit to their own migration',
                  steps: ["Put them in a file the tool runs outside a transaction (its opt-out), and remove the COMMIT/BEGIN pair."],
                }
              : letTheToolManage,
          });
        } else if (end && !explicitTransaction && !toolTransactionOpen) {
          ctx.report({
            message:
              'There is no transaction open here: this COMMIT/ROLLBACK only raises a warning, and the statements before ' +
              'it were already committed one by one.',
            fix: { title: 'Remove the stray COMMIT, or add the BEGIN it was meant to close', steps: ['Keep one BEGIN … COMMIT pair per transaction.'] },
          });
        }
      },
    };
  },
};

export default rule;
