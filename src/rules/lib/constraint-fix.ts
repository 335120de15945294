import type { Fix } from '../../types.js';
import { identSql, relationSql } from './ast.js';
import { runsInTransaction, statementFix } from './common.js';
import { appendToStatement } from './fix.js';
import type { RuleContext } from '../types.js';

/**
 * NOT VALID now, VALIDATE separately. A drop-in replacement when the ALTER TABLE adds only this
 * constraint and names it; in a transactional file the VALIDATE must move to a later migration,
 * or it would run while the ADD's lock is still held.
 */
export function notValidFix(ctx: RuleContext, stmt: any, constraint: any): Fix {
  const table = relationSql(stmt.relation);
  const name: string | undefined = constraint.conname;
  const single = (stmt.cmds ?? []).length === 1;
  const validate = `ALTER TABLE ${table} VALIDATE CONSTRAINT ${name ? identSql(name) : '<constraint>'}`;
  const title = 'Add the constraint NOT VALID, then VALIDATE it in a separate transaction';
  if (!single || !name) {
    return {
      title,
      steps: [
        ...(name ? [] : ['Name the constraint so it can be validated later.']),
        `Add it with NOT VALID (${single ? 'at the end of the statement' : 'in its own ALTER TABLE'}).`,
        `Then, in a separate transaction: ${validate};`,
      ],
    };
  }
  const withNotValid = appendToStatement(ctx.statement.text, ' NOT VALID');
  if (runsInTransaction(ctx)) {
    return statementFix(ctx, title, withNotValid, [`In a later migration: ${validate};`]);
  }
  return statementFix(ctx, title, `${withNotValid};\n${validate}`);
}
