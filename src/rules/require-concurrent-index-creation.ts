import { relationLabel } from './lib/ast.js';
import { ownMigrationStep, runsInTransaction, statementFix } from './lib/common.js';
import { insertAfterTokens } from './lib/fix.js';
import { catalogTable, isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-concurrent-index-creation',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'CREATE INDEX without CONCURRENTLY on an existing table blocks writes while the index builds.',
  }),
  create(ctx) {
    return {
      IndexStmt(node) {
        if (node.concurrent || !isExisting(ctx, node.relation)) return;
        // A partitioned table cannot build CONCURRENTLY: partitioned-table-index gives the recipe that works.
        if (catalogTable(ctx, node.relation)?.partitioned) return;
        const table = relationLabel(node.relation);
        const inTx = runsInTransaction(ctx);
        const newText = insertAfterTokens(ctx.statement.text, ['CREATE', '?UNIQUE', 'INDEX'], ' CONCURRENTLY');
        ctx.report({
          message:
            `CREATE INDEX on ${table} takes a SHARE lock for the whole build: INSERT, UPDATE and DELETE on ${table} ` +
            'wait until the index is built.',
          fix: statementFix(
            ctx,
            inTx ? 'Create the index CONCURRENTLY, in a migration of its own' : 'Create the index CONCURRENTLY',
            newText,
            inTx ? [ownMigrationStep(ctx, 'CREATE INDEX CONCURRENTLY')] : undefined,
            !inTx,
          ),
          evidence: sizeEvidence(ctx, node.relation),
        });
      },
    };
  },
};

export default rule;
