import { nearest, relationLabel } from './lib/ast.js';
import { lineOfTokens, ownMigrationStep, runsInTransaction, statementFix } from './lib/common.js';
import { appendToStatement } from './lib/fix.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-concurrent-partition-detach',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table (PostgreSQL 14+ can avoid it).',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        if (cmd.subtype !== 'AT_DetachPartition') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        const part = cmd.def?.PartitionCmd;
        if (!stmt || !part || part.concurrent || !isExisting(ctx, stmt.relation)) return;
        const table = relationLabel(stmt.relation);
        const partition = relationLabel(part.name);
        const message =
          `DETACH PARTITION ${partition} takes an ACCESS EXCLUSIVE lock on ${table}: every read and write of all of ` +
          `${table}'s partitions waits for it, and it waits behind every running query on ${table}.`;
        if (ctx.settings.postgresVersion < 14) {
          ctx.report({
            message: `${message} DETACH … CONCURRENTLY needs PostgreSQL 14; the target is ${ctx.settings.postgresVersion}.`,
            line: lineOfTokens(ctx, ['DETACH', 'PARTITION']),
            fix: { title: 'Detach in a quiet window with a short lock_timeout', steps: ["SET lock_timeout = '2s'; then detach, retrying on timeout."] },
          });
          return;
        }
        const inTx = runsInTransaction(ctx);
        const single = (stmt.cmds ?? []).length === 1;
        ctx.report({
          message,
          line: lineOfTokens(ctx, ['DETACH', 'PARTITION']),
          fix: statementFix(
            ctx,
            'Detach the partition CONCURRENTLY',
            single ? appendToStatement(ctx.statement.text, ' CONCURRENTLY') : undefined,
            inTx ? [ownMigrationStep(ctx, 'DETACH PARTITION … CONCURRENTLY')] : undefined,
            !inTx,
          ),
        });
      },
    };
  },
};

export default rule;
