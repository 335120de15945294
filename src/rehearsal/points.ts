// Where a migration can be left half done: after each statement that commits on its own. A file its tool
// runs in one transaction has no such point (a failure rolls everything back); a file in autocommit has
// one after every statement but the last; a file with its own BEGIN/COMMIT has one after each COMMIT and
// after each statement outside its blocks; a CREATE INDEX CONCURRENTLY can also die during its build,
// which leaves the index behind, INVALID.
import { needsAutocommit, transactionControl } from '../sandbox/statements.js';

export interface CommitPoint {
  /** Position in the file's statements: the stop is after it ('after') or during it ('during'). */
  at: number;
  kind: 'after' | 'during';
}

export type RetryMode =
  /** The tool wraps the file in one transaction: nothing commits on its own. */
  | 'one-transaction'
  /** Each statement commits on its own (or the file's own BEGIN/COMMIT decide). */
  | 'autocommit';

export interface RetryPlan {
  mode: RetryMode;
  points: CommitPoint[];
}

const CONCURRENT_INDEX = /^\s*create\s+(unique\s+)?index\s+concurrently\b/i;

/** The same decision the runner makes: a file in transaction mode without its own BEGIN/COMMIT is wrapped. */
export function retryPlan(inTransaction: boolean, statements: readonly { text: string }[]): RetryPlan {
  const wrapped = inTransaction && !statements.some((s) => transactionControl(s.text));
  if (wrapped) return { mode: 'one-transaction', points: [] };
  const points: CommitPoint[] = [];
  let open = false;
  const last = statements.length - 1;
  statements.forEach((statement, i) => {
    const control = transactionControl(statement.text);
    if (control === 'begin') {
      open = true;
      return;
    }
    if (control === 'end') {
      open = false;
      if (i < last) points.push({ at: i, kind: 'after' });
      return;
    }
    if (open) return;
    if (needsAutocommit(statement.text) && CONCURRENT_INDEX.test(withoutComments(statement.text))) points.push({ at: i, kind: 'during' });
    if (i < last) points.push({ at: i, kind: 'after' });
  });
  return { mode: 'autocommit', points };
}

function withoutComments(text: string): string {
  return text.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, '');
}

/**
 * Whether a retry of the file can do what its statements do not say: change data a second time, keep an
 * INVALID index, or trip over its own COMMITs. A file of plain DDL in autocommit fails loudly on a retry,
 * statement by statement, which the lint rule prefer-robust-stmts already says without a sandbox.
 */
export function retryWorthRehearsing(statements: readonly { text: string; ast: unknown }[]): boolean {
  return statements.some((s) => {
    const kind = Object.keys((s.ast ?? {}) as object)[0] ?? '';
    return DATA_CHANGES.has(kind) || transactionControl(s.text) !== undefined || CONCURRENT_INDEX.test(withoutComments(s.text));
  });
}

const DATA_CHANGES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'CopyStmt', 'DoStmt', 'CallStmt', 'SelectStmt']);
