import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'renaming-schema',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'Renaming a schema breaks every query, search_path and grant that names it.',
  }),
  create(ctx) {
    return {
      RenameStmt(node) {
        if (node.renameType !== 'OBJECT_SCHEMA') return;
        ctx.report({
          message:
            `Renaming schema ${node.subname} to ${node.newname} breaks every running query, view body text, search_path ` +
            `setting and client that names ${node.subname}, at the moment the rename commits.`,
          fix: {
            title: 'Create the new schema and move objects while clients switch',
            steps: [
              `CREATE SCHEMA ${node.newname}; move tables one at a time (ALTER TABLE … SET SCHEMA ${node.newname}) leaving views behind,`,
              `or put both schemas in search_path until every client uses ${node.newname}.`,
            ],
          },
        });
      },
    };
  },
};

export default rule;
