import type { Fix } from '../types.js';
import { replaceStatementLines } from './fix.js';
import type { RuleContext } from './types.js';

/** The statement runs inside a transaction block: the file's mode or an explicit BEGIN before it. */
export function runsInTransaction(ctx: RuleContext): boolean {
  return ctx.settings.inTransaction || ctx.fileState.explicitTransaction;
}

/** Why the statement is in a transaction, for messages. */
export function transactionWhy(ctx: RuleContext): string {
  if (ctx.fileState.explicitTransaction) return 'an explicit BEGIN earlier in the file';
  return ctx.file.transactionReason || 'the migration tool runs each file in a transaction';
}

/**
 * A fix whose SQL replaces the statement's lines when `newText` could be placed in them; otherwise
 * the SQL is shown as the statement to write, without claiming to be a drop-in replacement.
 */
export function statementFix(ctx: RuleContext, title: string, newText: string | undefined, steps?: string[]): Fix {
  const fix: Fix = { title };
  if (newText !== undefined) {
    const lines = replaceStatementLines(ctx, newText);
    if (lines !== undefined) {
      fix.sql = lines;
      fix.replacesStatement = true;
    } else {
      fix.sql = `${newText};`;
    }
  }
  if (steps?.length) fix.steps = steps;
  return fix;
}
