import { nearest, relationLabel, setValueText, nameList } from './lib/ast.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'disabling-triggers',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description:
      'ALTER TABLE … DISABLE TRIGGER ALL or session_replication_role = replica: foreign keys stop being enforced, and nothing checks the rows written meanwhile.',
  }),
  create(ctx) {
    const replicaRole = () =>
      ctx.report({
        message:
          'session_replication_role = replica turns off every ordinary trigger for this session, including the ones that ' +
          'enforce foreign keys: rows written until it is reset are never checked, and no later statement checks them.',
        fix: {
          title: 'Disable only the triggers that must not fire, by name',
          steps: [
            'ALTER TABLE <table> DISABLE TRIGGER <trigger>; … ALTER TABLE <table> ENABLE TRIGGER <trigger>; in one transaction.',
            'Or make the trigger skip the migration\'s writes (a condition it can test) instead of switching it off.',
          ],
        },
      });
    return {
      AlterTableCmd(cmd, ancestors) {
        if (cmd.subtype !== 'AT_DisableTrigAll') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        const table = relationLabel(stmt.relation);
        ctx.report({
          message:
            `DISABLE TRIGGER ALL on ${table} also disables the internal triggers that enforce its foreign keys: rows written ` +
            `while they are off are never checked (ENABLE does not re-check them), and the ALTER waits for a SHARE ROW ` +
            `EXCLUSIVE lock that blocks writes to ${table}.`,
          fix: {
            title: 'Disable the user triggers only',
            steps: [
              `ALTER TABLE ${table} DISABLE TRIGGER USER; (or name the trigger) keeps foreign keys enforced.`,
              `Re-enable it in the same transaction: ALTER TABLE ${table} ENABLE TRIGGER USER;`,
            ],
          },
        });
      },
      VariableSetStmt(node) {
        if (node.name?.toLowerCase() === 'session_replication_role' && node.kind === 'VAR_SET_VALUE' && setValueText(node.args).toLowerCase() === 'replica') {
          replicaRole();
        }
      },
      FuncCall(call) {
        if (nameList(call.funcname).pop()?.toLowerCase() !== 'set_config') return;
        const [name, value] = (call.args ?? []).map((a: any) => a?.A_Const?.sval?.sval);
        if (typeof name === 'string' && name.toLowerCase() === 'session_replication_role' && String(value).toLowerCase() === 'replica') replicaRole();
      },
    };
  },
};

export default rule;
