import { parseSync } from '../../sql/pg-query.js';
import type { MigrationFile } from '../../types.js';
import type { RuleContext } from '../types.js';
import { unwrapNode } from './walk.js';

export interface FileStatementNode {
  type: string;
  node: any;
}

const cache = new WeakMap<MigrationFile, FileStatementNode[] | null>();

/**
 * Every top-level statement of the file, for rules that must look ahead (an uncommitted BEGIN, a
 * later use of a new enum value). Null when the file does not parse as a whole: those rules then
 * stay quiet rather than guess.
 */
export function fileStatements(file: MigrationFile): FileStatementNode[] | null {
  if (cache.has(file)) return cache.get(file)!;
  let result: FileStatementNode[] | null;
  try {
    result = (parseSync(file.sql).stmts ?? []).map((s: any) => unwrapNode(s.stmt) ?? { type: 'Unknown', node: {} });
  } catch {
    result = null;
  }
  cache.set(file, result);
  return result;
}

/** The statements after the current one, when the file parses as a whole. */
export function laterStatements(ctx: RuleContext): FileStatementNode[] | null {
  const all = fileStatements(ctx.file);
  return all ? all.slice(ctx.statement.index + 1) : null;
}

export function isCommit(s: FileStatementNode): boolean {
  return s.type === 'TransactionStmt' && ['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_PREPARE'].includes(s.node.kind);
}

export function isBegin(s: FileStatementNode): boolean {
  return s.type === 'TransactionStmt' && (s.node.kind === 'TRANS_STMT_BEGIN' || s.node.kind === 'TRANS_STMT_START');
}
