import { lineOfTokens } from './lib/common.js';
import { nearest, relationLabel } from './lib/ast.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-drop-not-null',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'DROP NOT NULL lets NULLs into a column that running code and readers assume is always set.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        if (cmd.subtype !== 'AT_DropNotNull') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        const table = relationLabel(stmt.relation);
        ctx.report({
          message:
            `Dropping NOT NULL on ${table}.${cmd.name} lets NULLs in: code and reports that read ${cmd.name} assuming a value ` +
            `(and consumers of replicas or exports) can break once the first NULL is written.`,
          line: lineOfTokens(ctx, ['ALTER', '?COLUMN', cmd.name, 'DROP', 'NOT', 'NULL']),
          fix: {
            title: 'Make every reader handle NULL before relaxing the column',
            steps: ['Deploy readers that handle NULL first; then drop NOT NULL in a later migration.'],
          },
        });
      },
    };
  },
};

export default rule;
