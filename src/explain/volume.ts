// Whether a statement can make anything pgpro observes depend on how many rows the existing tables hold.
// The EXPLAIN volume (`explain.default-rows` in the tables a change mentions) is there for what reads
// rows: the trace's scans and rewrites ("N rows of t read in the sandbox"), the EXPLAIN checks (backfills,
// foreign-key probes, query plans), a constraint that existing rows violate. A change made only of
// statements that never read or write a table's rows, and that make no EXPLAIN check probe a table,
// reports the same on the seed rows alone (issue 14: filling 20,000 rows into the tables such a change
// merely names was most of its data stage).
//
// The list is an allowlist, kept narrow on purpose: a kind that is missing only costs the fill.
import type { ParsedStatement } from '../types.js';

/** Statement kinds that read and write no table rows, whatever they name. */
const NO_ROWS = new Set([
  // A function's body runs when it is called, not when it is created.
  'CreateFunctionStmt',
  // A view is a stored query; it is read when queried. (A materialized view is CreateTableAsStmt.)
  'ViewStmt',
  'CreateTrigStmt',
  'CommentStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'VariableSetStmt',
  'TransactionStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CompositeTypeStmt',
  'CreateSeqStmt',
]);

/**
 * Renames that change no table's name or foreign key's name: the EXPLAIN checks probe every foreign key
 * of a table they cannot match by name with the catalog before the change (a renamed table or
 * constraint), and such a probe reads the child's rows.
 */
const NO_ROWS_RENAMES = new Set(['OBJECT_COLUMN', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_TRIGGER']);

/** Objects whose DROP (without CASCADE, which may take an index with it) reads no rows and drops no index or key. */
const NO_ROWS_DROPS = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_VIEW', 'OBJECT_TRIGGER']);

function field(statement: ParsedStatement, name: string): unknown {
  const node = statement.ast[statement.kind];
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[name] : undefined;
}

/** The statement reads and writes no rows of any table, and leaves every table, key and index as it was named. */
export function readsNoRows(statement: ParsedStatement): boolean {
  if (statement.copyData !== undefined) return false;
  if (NO_ROWS.has(statement.kind)) return true;
  if (statement.kind === 'RenameStmt') return NO_ROWS_RENAMES.has(String(field(statement, 'renameType')));
  if (statement.kind === 'DropStmt') return NO_ROWS_DROPS.has(String(field(statement, 'removeType'))) && field(statement, 'behavior') !== 'DROP_CASCADE';
  return false;
}
