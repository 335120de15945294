import { nameList, relationKey } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-drop-table',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'Dropping an existing table loses its data and breaks code still using it.',
  }),
  create(ctx) {
    return {
      DropStmt(node) {
        if (node.removeType !== 'OBJECT_TABLE') return;
        const existing = (node.objects ?? [])
          .map((o: any) => nameList(o?.List?.items))
          .filter((parts: string[]) => {
            const rv = parts.length > 1 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
            return !ctx.created.hasTable(relationKey(rv));
          })
          .map((parts: string[]) => parts.join('.'));
        if (existing.length === 0) return;
        ctx.report({
          message:
            `Dropping ${existing.join(', ')} deletes ${existing.length > 1 ? 'their' : 'its'} data and breaks every query and ` +
            'deployed release that still uses it; it waits for an ACCESS EXCLUSIVE lock, blocking all access while queued.',
          fix: {
            title: 'Stop using the table first, drop it in a later release',
            steps: ['Remove every use from the application and deploy.', 'Back up the data, then drop the table in a later migration.'],
          },
        });
      },
    };
  },
};

export default rule;
