import { checkReversibility, schemaObjects } from '../trace/index.js';
import type { Finding, MigrationFile, ParsedFile, Queryable } from '../types.js';

/**
 * The down migration check, in two halves around the traced apply of the up: remember the schema
 * before it, then (up applied) run down and up again in a transaction that is rolled back. Running it
 * after the apply keeps the up's own findings first-hand even when its down misbehaves.
 */
export async function rememberSchema(db: Queryable, migration: MigrationFile): Promise<Map<string, string> | undefined> {
  if (!migration.down) return undefined;
  return schemaObjects(db).catch(() => undefined);
}

export async function checkDown(
  db: Queryable,
  migration: MigrationFile,
  up: ParsedFile,
  parsedDown: ParsedFile,
  before: Map<string, string>,
  afterUp?: Map<string, string>,
): Promise<{ findings: Finding[]; notes: string[] }> {
  const down = migration.down!;
  if (parsedDown.errors.length > 0) return { findings: parsedDown.errors, notes: [] };
  if (parsedDown.statements.length === 0) {
    return { findings: [], notes: [`${down.path}: the down migration of ${migration.path} is empty; it was not checked.`] };
  }
  try {
    const result = await checkReversibility(db, {
      file: migration.path,
      up: up.statements,
      downFile: down.path,
      down: parsedDown.statements,
      before,
      ...(afterUp ? { afterUp } : {}),
    });
    const notes = result.skipped ? [`Down migration of ${migration.path} not checked: ${result.skipped}.`] : [];
    for (const { object, line } of result.unseenBeforeUp ?? []) {
      notes.push(
        `Down migration of ${migration.path}: it creates ${object}, which the migrations before it never create, so the sandbox did not have it ` +
          `before up; the up drops it with IF EXISTS (line ${line}), so production may have it (made outside the migrations). ` +
          'It is not counted as a difference the down leaves.',
      );
    }
    return { findings: result.findings, notes };
  } catch (error) {
    return {
      findings: [],
      notes: [`Down migration of ${migration.path} could not be checked: ${error instanceof Error ? error.message : String(error)}`],
    };
  }
}
