import { quoteIdent } from '../sql/quote.js';
import { relationLabel } from './lib/ast.js';
import { catalogTable, isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'partitioned-table-index',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'catalog',
    description:
      'CREATE INDEX on a partitioned table: it cannot be CONCURRENTLY, so it blocks writes to every partition while all of them are indexed.',
  }),
  create(ctx) {
    return {
      IndexStmt(node) {
        if (!isExisting(ctx, node.relation) || node.relation?.inh !== true) return; // ON ONLY: the recipe's first step
        if (!catalogTable(ctx, node.relation)?.partitioned) return;
        const table = relationLabel(node.relation);
        const name = node.idxname ? quoteIdent(node.idxname) : '<index>';
        ctx.report({
          message: node.concurrent
            ? `CREATE INDEX CONCURRENTLY fails on ${table}: it is a partitioned table, which cannot be indexed concurrently.`
            : `${table} is partitioned: CREATE INDEX on it cannot be CONCURRENTLY, so it builds the index on every partition ` +
              'in one transaction while holding SHARE locks that block INSERT, UPDATE and DELETE on all of them.',
          fix: {
            title: 'Create the index ON ONLY the parent, build each partition\'s CONCURRENTLY, then attach them',
            steps: [
              `CREATE INDEX ${name} ON ONLY ${table} (…); -- instant, the index starts INVALID`,
              'For each partition: CREATE INDEX CONCURRENTLY <partition>_idx ON <partition> (…); (outside a transaction)',
              `For each partition: ALTER INDEX ${name} ATTACH PARTITION <partition>_idx; -- the parent index becomes valid once all are attached`,
            ],
          },
          evidence: sizeEvidence(ctx, node.relation),
        });
      },
    };
  },
};

export default rule;
