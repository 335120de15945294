import { identSql, relationSql } from './lib/ast.js';
import { transactionKey, transactionWhy } from './lib/common.js';
import { notValidFix } from './lib/constraint-fix.js';
import { meta, onExistingTableCommands, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

// Foreign keys are reported once, by adding-foreign-key-constraint; this rule covers CHECK
// constraints and a VALIDATE that gains nothing because it shares the ADD's transaction.
const rule: Rule = {
  meta: meta({
    id: 'constraint-missing-not-valid',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description:
      'A CHECK constraint added to an existing table without NOT VALID, or validated in the same transaction that added it NOT VALID.',
  }),
  create(ctx) {
    return onExistingTableCommands(ctx, (cmd, stmt, table) => {
      if (cmd.subtype === 'AT_AddConstraint') {
        const c = cmd.def?.Constraint;
        if (c?.contype !== 'CONSTR_CHECK' || c.skip_validation) return;
        ctx.report({
          message:
            `Adding CHECK constraint ${c.conname ?? ''}${c.conname ? ' ' : ''}on ${table} scans every row while holding an ` +
            `ACCESS EXCLUSIVE lock: all reads and writes of ${table} wait until the scan ends.`,
          line: ctx.lineOf(c),
          fix: notValidFix(ctx, stmt, c),
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      } else if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name) {
        const added = ctx.created.constraints.get(cmd.name.toLowerCase());
        // Only the block that added it matters: a COMMIT in between releases the ADD's lock (the safe recipe).
        const block = transactionKey(ctx);
        if (!added?.notValid || block === undefined || added.transaction !== block) return;
        ctx.report({
          message:
            `VALIDATE CONSTRAINT ${cmd.name} runs in the same transaction that added it NOT VALID (${transactionWhy(ctx)}): ` +
            `the ADD's lock on ${table} is still held, so reads and writes wait for the whole validation scan.`,
          fix: {
            title: 'Validate the constraint in a separate migration',
            steps: [`Move "ALTER TABLE ${relationSql(stmt.relation)} VALIDATE CONSTRAINT ${identSql(cmd.name)};" to a later migration.`],
          },
        });
      }
    });
  },
};

export default rule;
