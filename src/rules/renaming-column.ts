import { relationLabel } from './lib/ast.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'renaming-column',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'Renaming a column of an existing table breaks application code still using the old name.',
  }),
  create(ctx) {
    return {
      RenameStmt(node) {
        if (node.renameType !== 'OBJECT_COLUMN' || !isExisting(ctx, node.relation)) return;
        const table = relationLabel(node.relation);
        ctx.report({
          message:
            `Renaming ${table}.${node.subname} to ${node.newname} breaks every running query and deployed release that still ` +
            `uses ${node.subname}; it also takes a brief ACCESS EXCLUSIVE lock on ${table}.`,
          fix: {
            title: 'Rename in steps the running application survives',
            steps: [
              `Add ${node.newname}, write both columns and backfill; or keep the old name reachable through a view.`,
              `Switch the application to ${node.newname} and deploy it.`,
              `Drop ${node.subname} in a later migration.`,
            ],
          },
        });
      },
    };
  },
};

export default rule;
