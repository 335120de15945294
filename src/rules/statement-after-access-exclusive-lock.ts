import { runsInTransaction } from './lib/common.js';
import { meta } from './lib/helpers.js';
import { dangerousLock } from './lib/locks.js';
import type { Rule } from './types.js';
import { unwrapNode } from './lib/walk.js';

interface Holding {
  relation: string;
  line: number;
}

// Statements that take no lock worth mentioning: they do not lengthen the time the lock is held.
const HARMLESS = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt', 'CommentStmt']);

const rule: Rule = {
  meta: meta({
    id: 'statement-after-access-exclusive-lock',
    category: 'transaction',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'More statements run in the same transaction after one took ACCESS EXCLUSIVE on an existing table.',
  }),
  create(ctx) {
    return {
      Statement(statement) {
        const type = unwrapNode(statement.ast)?.type ?? '';
        const node = unwrapNode(statement.ast)?.node as any;
        if (type === 'TransactionStmt' && ['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK'].includes(node?.kind)) {
          ctx.fileMemo.delete('holding');
          return;
        }
        if (HARMLESS.has(type) || !runsInTransaction(ctx)) return;
        const holding = ctx.fileMemo.get('holding') as Holding | undefined;
        if (holding && !ctx.fileMemo.has('reported')) {
          ctx.fileMemo.set('reported', true);
          ctx.report({
            message:
              `This statement runs while the transaction still holds the ACCESS EXCLUSIVE lock on ${holding.relation} ` +
              `taken at line ${holding.line}: all reads and writes of ${holding.relation} keep waiting until this and ` +
              'every later statement of the transaction finish.',
            fix: {
              title: 'Commit right after the statement that takes ACCESS EXCLUSIVE',
              steps: [`Move the statements after line ${holding.line} to a separate migration (or COMMIT before them).`],
            },
          });
        }
        const lock = dangerousLock(ctx);
        if (!holding && lock?.mode === 'AccessExclusiveLock') ctx.fileMemo.set('holding', { relation: lock.relation, line: statement.line });
      },
    };
  },
};

export default rule;
