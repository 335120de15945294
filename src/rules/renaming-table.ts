import { relationLabel } from './lib/ast.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'renaming-table',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'Renaming an existing table breaks application code still using the old name.',
  }),
  create(ctx) {
    return {
      RenameStmt(node) {
        if (node.renameType !== 'OBJECT_TABLE' || !isExisting(ctx, node.relation)) return;
        const table = relationLabel(node.relation);
        ctx.report({
          message:
            `Renaming table ${table} to ${node.newname} breaks every running query and deployed release that still uses ` +
            `${table}; it also takes a brief ACCESS EXCLUSIVE lock on ${table}.`,
          fix: {
            title: 'Keep the old name working while clients move',
            sql: `ALTER TABLE ${table} RENAME TO ${node.newname};\nCREATE VIEW ${table} AS SELECT * FROM ${node.newname}; -- drop once no client uses ${table}`,
            steps: ['Deploy code that uses the new name, then drop the view in a later migration.'],
          },
        });
      },
    };
  },
};

export default rule;
