import { relationLabel } from './lib/ast.js';
import { runsInTransaction } from './lib/common.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

// LockStmt.mode: 1 ACCESS SHARE … 5 SHARE … 8 ACCESS EXCLUSIVE (the default of LOCK TABLE).
const MODE_NAMES = ['', 'ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];

const rule: Rule = {
  meta: meta({
    id: 'ban-lock-table',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'LOCK TABLE holds a blocking lock for the rest of the transaction; outside a transaction it fails.',
  }),
  create(ctx) {
    return {
      LockStmt(node) {
        const rels = (node.relations ?? []).map((r: any) => r?.RangeVar).filter(Boolean);
        const mode = MODE_NAMES[node.mode ?? 8] ?? 'ACCESS EXCLUSIVE';
        const tables = rels.map(relationLabel).join(', ');
        if (!runsInTransaction(ctx)) {
          ctx.report({
            message:
              `LOCK TABLE ${tables} runs outside a transaction block here (${ctx.file.transactionReason || 'autocommit'}): ` +
              'PostgreSQL rejects it with "LOCK TABLE can only be used in transaction blocks", so the migration fails.',
            fix: { title: 'Remove the LOCK, or run it inside BEGIN … COMMIT with the statements it protects' },
          });
          return;
        }
        if ((node.mode ?? 8) < 5 || !rels.some((r: any) => isExisting(ctx, r))) return;
        const blocks = (node.mode ?? 8) === 8 ? 'all reads and writes' : (node.mode ?? 8) === 7 ? 'all writes and most reads' : 'all writes';
        ctx.report({
          message:
            `LOCK TABLE ${tables} takes ${mode} and holds it until the transaction ends: ${blocks} of ${tables} wait for the ` +
            'rest of the migration, and the LOCK itself queues behind every running query.',
          fix: {
            title: 'Let each statement take the lock it needs, with a lock_timeout',
            steps: ["Drop the explicit LOCK and SET lock_timeout = '5s' before the statements; keep the transaction short."],
          },
        });
      },
    };
  },
};

export default rule;
