import { capturePreexisting, captureState, observeStatement } from '../../src/sandbox/observe.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { ParsedStatement, Queryable, StatementOutcome } from '../../src/types.js';

/**
 * Applies a migration statement by statement the way the sandbox does: in one transaction when
 * `inTransaction`, otherwise each statement in its own block (except CONCURRENTLY), observing each.
 */
export async function runTraced(
  db: Queryable,
  file: string,
  sql: string,
  inTransaction: boolean,
): Promise<{ statements: ParsedStatement[]; outcomes: StatementOutcome[] }> {
  const parsed = await parseMigrationSql(sql, file);
  if (parsed.errors.length) throw new Error(parsed.errors[0]!.message);
  const baseline = await capturePreexisting(db);
  const outcomes: StatementOutcome[] = [];
  if (inTransaction) await db.exec('begin');
  for (const statement of parsed.statements) {
    const ownBlock = !inTransaction && !/\bconcurrently\b/i.test(statement.text);
    if (ownBlock) await db.exec('begin');
    const before = await captureState(db, baseline);
    const t0 = performance.now();
    await db.exec(statement.text);
    const observation = await observeStatement(db, before, inTransaction);
    if (ownBlock) await db.exec('commit');
    outcomes.push({
      index: statement.index, line: statement.line, endLine: statement.endLine, status: 'ok',
      durationMs: performance.now() - t0, observation,
    });
  }
  if (inTransaction) await db.exec('commit');
  return { statements: parsed.statements, outcomes };
}

export async function parse(sql: string, file = 'down.sql'): Promise<ParsedStatement[]> {
  const parsed = await parseMigrationSql(sql, file);
  if (parsed.errors.length) throw new Error(parsed.errors[0]!.message);
  return parsed.statements;
}
