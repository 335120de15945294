import type { ParsedStatement } from '../types.js';
import type { PreparedMigration } from './sandbox.js';

/** What the sandbox needs of a parsed migration: each statement's text, lines and COPY rows, not its AST. */
export function prepareMigration(file: string, inTransaction: boolean, statements: readonly ParsedStatement[]): PreparedMigration {
  return {
    file,
    inTransaction,
    statements: statements.map((s) => ({
      index: s.index,
      text: s.text,
      line: s.line,
      endLine: s.endLine,
      ...(s.copyData !== undefined ? { copyData: s.copyData } : {}),
    })),
  };
}
