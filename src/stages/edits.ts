// Stage 3a (before inference): the edit of a migration production already ran. The base version is
// history; the statements the edit adds or changes are applied after it as the change. A changed
// statement that re-creates what the applied version created (CREATE TABLE accounts with one more column)
// cannot run on production's state, and never will: production keeps the applied definition. A dry run,
// rolled back, finds those; they are left out of the apply and the edit's finding says so.
import type { ParsedStatement } from '../types.js';
import { dryRunnable, tryUnderSavepoint } from './infer.js';
import { messageOf, timed, type ReviewState, type ReviewedMigration } from './state.js';

/** duplicate_table (also indexes, sequences, views), duplicate_object, duplicate_column, duplicate_schema, duplicate_function. */
const DUPLICATE = new Set(['42P07', '42710', '42701', '42P06', '42723']);
const SAVEPOINT = 'pgpro_edit';
const SESSION_KINDS = new Set(['VariableSetStmt', 'TransactionStmt']);

export async function editsStage(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox!;
  const edits = state.reviewable.filter((item) => item.migration.applied);
  if (edits.length === 0 || sandbox.stopped) return;
  const redefined = new Map<ReviewedMigration, { statement: ParsedStatement; message: string }[]>();
  await timed(state, 'edits', async () => {
    try {
      await sandbox.exec('BEGIN');
      for (const item of edits) {
        for (const statement of item.parsed.statements) {
          if (sandbox.stopped || !dryRunnable(statement)) continue;
          const error = await tryUnderSavepoint(sandbox, SAVEPOINT, statement.text);
          if (error?.sqlstate && DUPLICATE.has(error.sqlstate)) {
            redefined.set(item, [...(redefined.get(item) ?? []), { statement, message: error.message }]);
          }
        }
      }
    } catch (error) {
      state.notes.push(`pgpro could not tell which statements of an edited migration re-create what its applied version created: ${messageOf(error)}`);
    } finally {
      await sandbox.exec('ROLLBACK').catch(() => undefined);
      if (!sandbox.stopped) await sandbox.startSession().catch(() => undefined);
    }
  });
  const emptied = new Set<string>();
  for (const [item, list] of redefined) {
    const left = new Set(list.map((r) => r.statement));
    item.parsed = { ...item.parsed, statements: item.parsed.statements.filter((s) => !left.has(s)) };
    if (!item.parsed.statements.some((s) => !SESSION_KINDS.has(s.kind))) emptied.add(item.migration.path);
    const finding = state.findings.find((f) => f.rule === 'modified-applied-migration' && f.file === item.migration.path);
    if (!finding) continue;
    const lines = list.map((r) => (r.statement.line === r.statement.endLine ? `${r.statement.line}` : `${r.statement.line}-${r.statement.endLine}`));
    finding.message +=
      ` The changed statement${list.length === 1 ? '' : 's'} at line${lines.length === 1 && !lines[0]!.includes('-') ? '' : 's'} ${lines.join(', ')} re-create${list.length === 1 ? 's' : ''} what the applied version created (${list[0]!.message}): ` +
      'production keeps the applied definition and never runs the new one, so pgpro did not apply it; to change that object, ALTER it in a new migration.';
  }
  if (emptied.size > 0) {
    state.reviewable = state.reviewable.filter((i) => !emptied.has(i.migration.path));
    state.fresh = state.fresh.filter((m) => !emptied.has(m.path));
  }
}
