import { nearest, relationLabel } from './lib/ast.js';
import { isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'adding-exclusion-constraint',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'ADD CONSTRAINT … EXCLUDE on an existing table builds its index and checks every row under ACCESS EXCLUSIVE.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        const c = cmd.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
        if (c?.contype !== 'CONSTR_EXCLUSION') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        const table = relationLabel(stmt.relation);
        ctx.report({
          message:
            `Adding exclusion constraint ${c.conname ?? ''}${c.conname ? ' ' : ''}to ${table} builds its index and checks ` +
            `every row while holding an ACCESS EXCLUSIVE lock: all reads and writes of ${table} wait. Exclusion constraints ` +
            'have no NOT VALID and no USING INDEX form.',
          line: ctx.lineOf(c),
          fix: {
            title: 'Create the constraint with the table, or enforce it another way',
            steps: [
              'For a new rule, add the constraint on a new table and move rows into it.',
              'Otherwise run it in a quiet window with a short lock_timeout, or enforce the rule with a trigger first.',
            ],
          },
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      },
    };
  },
};

export default rule;
