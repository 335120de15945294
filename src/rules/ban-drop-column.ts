import { nearest, relationLabel } from './lib/ast.js';
import { lineOfTokens } from './lib/common.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-drop-column',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'Dropping a column of an existing table loses its data and breaks code still reading it.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        if (cmd.subtype !== 'AT_DropColumn') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        const table = relationLabel(stmt.relation);
        ctx.report({
          message:
            `Dropping ${table}.${cmd.name} deletes its data and breaks every query and deployed release that still selects or ` +
            `writes it; it takes a brief ACCESS EXCLUSIVE lock on ${table}.`,
          line: lineOfTokens(ctx, ['DROP', '?COLUMN', '?IF', '?EXISTS', cmd.name]),
          fix: {
            title: 'Stop using the column first, drop it in a later release',
            steps: [
              `Remove every use of ${cmd.name} from the application (tell the ORM to ignore it) and deploy.`,
              'Then drop the column in a later migration, after backing up the data if it may be needed.',
            ],
          },
        });
      },
    };
  },
};

export default rule;
