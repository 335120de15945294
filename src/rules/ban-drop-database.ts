import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-drop-database',
    category: 'compatibility',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'DROP DATABASE in a migration destroys a whole database.',
  }),
  create(ctx) {
    return {
      DropdbStmt(node) {
        ctx.report({
          message: `DROP DATABASE ${node.dbname} deletes the whole database and every connection to it fails; it has no place in a migration.`,
          fix: { title: 'Remove the statement', steps: ['Drop databases by hand, with a backup, outside the migration history.'] },
        });
      },
    };
  },
};

export default rule;
