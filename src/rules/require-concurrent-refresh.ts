import { relationLabel } from './lib/ast.js';
import { statementFix } from './lib/common.js';
import { insertAfterTokens } from './lib/fix.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-concurrent-refresh',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view until the refresh ends.',
  }),
  create(ctx) {
    return {
      RefreshMatViewStmt(node) {
        if (node.concurrent || node.skipData || !isExisting(ctx, node.relation)) return;
        const view = relationLabel(node.relation);
        ctx.report({
          message:
            `REFRESH MATERIALIZED VIEW ${view} holds an ACCESS EXCLUSIVE lock on ${view} while it recomputes the query: ` +
            `every SELECT from ${view} waits until the refresh ends.`,
          fix: statementFix(
            ctx,
            'Refresh CONCURRENTLY (needs a unique index on the view)',
            insertAfterTokens(ctx.statement.text, ['REFRESH', 'MATERIALIZED', 'VIEW'], ' CONCURRENTLY'),
            [`CONCURRENTLY needs a UNIQUE index on ${view} covering all rows, and a view that was populated before.`],
          ),
        });
      },
    };
  },
};

export default rule;
