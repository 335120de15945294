// Stage 2: parse every migration; new ones over the statement limit are left out.
import { parseMigrationSql } from '../sql/parse.js';
import type { MigrationFile, ParsedFile } from '../types.js';
import { notReviewedStatus, progress, timed, type ReviewState, type ReviewedMigration } from './state.js';

export async function parseStage(state: ReviewState): Promise<void> {
  progress(state, 'parse', `Parsing ${state.history.length + state.fresh.length} migrations`);
  const parseAll = (files: MigrationFile[]) =>
    Promise.all(files.map(async (migration): Promise<ReviewedMigration> => ({ migration, parsed: await parseFile(migration) })));
  let unloaded: ReviewedMigration[] = [];
  await timed(state, 'parse', async () => {
    state.freshParsed = await parseAll(state.fresh);
    state.historyParsed = await parseAll(state.history);
    unloaded = await parseAll(state.unloaded);
  });

  const maxStatements = state.config.limits['max-statements-per-file'];
  for (const item of state.freshParsed) {
    state.findings.push(...item.parsed.errors);
    if (item.parsed.statements.length > maxStatements) {
      state.notes.push(
        `${item.migration.path} has ${item.parsed.statements.length} statements, over limits.max-statements-per-file (${maxStatements}); it was not applied.`,
      );
      state.skipped.push(
        notReviewedStatus(
          item.migration,
          'skipped',
          item.parsed.statements.length,
          'max-statements',
          `${item.parsed.statements.length} statements, over limits.max-statements-per-file (${maxStatements})`,
        ),
      );
      state.overLimit.push(item);
      continue;
    }
    state.reviewable.push(item);
  }
  // New files that could not be loaded as they are (not UTF-8): linted, never applied.
  for (const item of unloaded) state.findings.push(...item.parsed.errors);
  state.freshParsed.push(...unloaded);
  state.overLimit.push(...unloaded);
}

export function parseFile(migration: MigrationFile): Promise<ParsedFile> {
  return parseMigrationSql(migration.sql, migration.path, migration.lineOffset);
}
