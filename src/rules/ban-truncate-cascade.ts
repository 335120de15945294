import { relationLabel } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-truncate-cascade',
    category: 'compatibility',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'TRUNCATE … CASCADE also empties every table that references the named ones, however far.',
  }),
  create(ctx) {
    return {
      TruncateStmt(node) {
        if (node.behavior !== 'DROP_CASCADE') return;
        const tables = (node.relations ?? []).map((r: any) => relationLabel(r?.RangeVar)).join(', ');
        ctx.report({
          message:
            `TRUNCATE ${tables} CASCADE also empties every table with a foreign key to ${tables} (and tables referencing those), ` +
            'under ACCESS EXCLUSIVE locks on all of them.',
          fix: { title: 'Name every table to empty and drop CASCADE', steps: ['List the tables explicitly: TRUNCATE a, b; fails instead of deleting more than intended.'] },
        });
      },
    };
  },
};

export default rule;
