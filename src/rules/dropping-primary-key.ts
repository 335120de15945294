import { relationKey } from './lib/ast.js';
import { runsInTransaction } from './lib/common.js';
import { isCommit, laterStatements } from './lib/file-scan.js';
import { catalogTable, meta, onExistingTableCommands } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'dropping-primary-key',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'catalog',
    description:
      'Dropping a primary key (or setting REPLICA IDENTITY NOTHING) without a replacement in the same transaction: UPDATE and DELETE fail on a published table.',
  }),
  create(ctx) {
    return onExistingTableCommands(ctx, (cmd, stmt, table) => {
      if (cmd.subtype === 'AT_ReplicaIdentity' && cmd.def?.ReplicaIdentityStmt?.identity_type === 'n') {
        ctx.report({
          message:
            `REPLICA IDENTITY NOTHING on ${table}: if ${table} is in a publication that publishes updates or deletes ` +
            '(logical replication, Debezium and other change-data-capture tools), every UPDATE and DELETE on it fails from now on.',
          fix: { title: 'Keep a replica identity', steps: [`Leave REPLICA IDENTITY DEFAULT (the primary key), or USING INDEX a unique index on NOT NULL columns.`] },
        });
        return;
      }
      if (cmd.subtype !== 'AT_DropConstraint' || !cmd.name || !isPrimaryKey(ctx, stmt.relation, cmd.name)) return;
      if ((stmt.cmds ?? []).some((c: any) => addsPrimaryKey(c?.AlterTableCmd)) || replacedLaterInBlock(ctx, relationKey(stmt.relation))) return;
      ctx.report({
        message:
          `Dropping ${cmd.name}, the primary key of ${table}, leaves it without a replica identity: if ${table} is published ` +
          '(logical replication, Debezium and other change-data-capture tools), every UPDATE and DELETE on it fails with ' +
          '"cannot update table … because it does not have a replica identity" until a new key exists. Rows can also be duplicated meanwhile.',
        fix: {
          title: 'Replace the key in the same statement',
          steps: [
            `CREATE UNIQUE INDEX CONCURRENTLY <new_key_idx> ON ${table} (…); -- in an earlier migration`,
            `ALTER TABLE ${table} DROP CONSTRAINT ${cmd.name}, ADD CONSTRAINT ${cmd.name} PRIMARY KEY USING INDEX <new_key_idx>;`,
          ],
        },
      });
    });
  },
};

/** The constraint is the table's primary key: by the catalog when it knows the table, else by PostgreSQL's default name. */
function isPrimaryKey(ctx: RuleContext, relation: any, name: string): boolean {
  if (ctx.created.hasIndex(relationKey({ schemaname: relation?.schemaname, relname: name }))) return false;
  const table = catalogTable(ctx, relation);
  if (table) return table.constraints.some((c) => c.type === 'p' && c.name === name);
  return name.toLowerCase().endsWith('_pkey');
}

function addsPrimaryKey(cmd: any): boolean {
  return (cmd?.subtype === 'AT_AddConstraint' || cmd?.subtype === 'AT_AddIndexConstraint') && cmd.def?.Constraint?.contype === 'CONSTR_PRIMARY';
}

/** A later statement of the same transaction block adds the table's new primary key: no one sees it without one. */
function replacedLaterInBlock(ctx: RuleContext, table: string): boolean {
  if (!runsInTransaction(ctx)) return false;
  for (const s of laterStatements(ctx) ?? []) {
    if (isCommit(s)) return false;
    if (s.type === 'AlterTableStmt' && relationKey(s.node.relation) === table && (s.node.cmds ?? []).some((c: any) => addsPrimaryKey(c?.AlterTableCmd))) {
      return true;
    }
  }
  return false;
}

export default rule;
