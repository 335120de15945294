import { ownMigrationAdvice } from '../../migrations/transaction.js';
import type { Fix } from '../../types.js';
import { replaceStatementLines, tokens, typeText } from './fix.js';
import type { RuleContext } from '../types.js';

/** The statement runs inside a transaction block: the file's mode (until a COMMIT ends it) or an explicit BEGIN before it. */
export function runsInTransaction(ctx: Pick<RuleContext, 'settings' | 'fileState'>): boolean {
  return ctx.fileState.explicitTransaction || (ctx.settings.inTransaction && !ctx.fileState.toolTransactionEnded);
}

/** Names the transaction block the statement runs in, unique in the change; undefined in autocommit. */
export function transactionKey(ctx: Pick<RuleContext, 'settings' | 'fileState' | 'file'>): string | undefined {
  return runsInTransaction(ctx) ? `${ctx.file.path}#${ctx.fileState.transactionIndex}` : undefined;
}

/** Why the statement is in a transaction, for messages. */
export function transactionWhy(ctx: RuleContext): string {
  if (ctx.fileState.explicitTransaction) return 'an explicit BEGIN earlier in the file';
  return ctx.file.transactionReason || 'the migration tool runs each file in a transaction';
}

/**
 * The step for a statement that cannot run in a transaction block, in a file that runs in one: why,
 * and how to give it a migration of its own in the tool's terms (Prisma, diesel, Flyway…).
 */
export function ownMigrationStep(ctx: RuleContext, what: string): string {
  return (
    `${what} cannot run inside a transaction block, and this file runs in one (${transactionWhy(ctx)}). ` +
    ownMigrationAdvice(ctx.file.convention, ctx.fileState.explicitTransaction)
  );
}

/**
 * A fix whose SQL replaces the statement's lines when `newText` could be placed in them; otherwise
 * the SQL is shown as the statement to write, without claiming to be a drop-in replacement.
 */
export function statementFix(
  ctx: RuleContext,
  title: string,
  newText: string | undefined,
  steps?: string[],
  /** False when the SQL alone would not work in place (e.g. CONCURRENTLY in a transactional file). */
  dropIn = true,
): Fix {
  const fix: Fix = { title };
  if (newText !== undefined) {
    const lines = replaceStatementLines(ctx, newText);
    if (lines !== undefined && dropIn) {
      fix.sql = lines;
      fix.replacesStatement = true;
    } else {
      fix.sql = lines ?? `${newText};`;
    }
  }
  if (steps?.length) fix.steps = steps;
  return fix;
}

/** A column definition's type as the statement writes it, for fix SQL; `<type>` when it cannot be read. */
export function columnTypeSql(ctx: RuleContext, columnDef: any): string {
  return typeText(ctx.statement.text, ctx.textOffset(columnDef?.typeName)) ?? '<type>';
}

/**
 * The file line where a token sequence (case-insensitive words, `?word` optional) first appears in
 * the statement: for nodes the parser gives no location (ALTER TABLE subcommands).
 */
export function lineOfTokens(ctx: RuleContext, sequence: string[]): number {
  const toks = tokens(ctx.statement.text);
  for (let i = 0; i < toks.length; i++) {
    let j = i;
    let ok = true;
    for (const want of sequence) {
      const optional = want.startsWith('?');
      const word = (optional ? want.slice(1) : want).toLowerCase();
      const text = toks[j]?.text.toLowerCase().replace(/^"|"$/g, '');
      if (text === word) j++;
      else if (!optional) {
        ok = false;
        break;
      }
    }
    if (ok) {
      const before = ctx.statement.text.slice(0, toks[i]!.start);
      return ctx.statement.line + (before.match(/\n/g)?.length ?? 0);
    }
  }
  return ctx.statement.line;
}
