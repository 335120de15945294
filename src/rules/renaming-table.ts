import { identSql, relationLabel, relationSql } from './lib/ast.js';
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
            sql: renameWithView(node),
            steps: ['Deploy code that uses the new name, then drop the view in a later migration.'],
          },
        });
      },
    };
  },
};


/** The rename, then a view under the old name (in the new name's schema), in the source's quoting. */
function renameWithView(node: any): string {
  const table = relationSql(node.relation);
  const renamed = node.relation.schemaname ? `${identSql(node.relation.schemaname)}.${identSql(node.newname)}` : identSql(node.newname);
  return `ALTER TABLE ${table} RENAME TO ${identSql(node.newname)};\nCREATE VIEW ${table} AS SELECT * FROM ${renamed}; -- drop once no client uses ${table}`;
}

export default rule;
