// Which files `pgpro lint` lints at one position of the apply order: a migration, and its down file.
import type { MigrationFile } from '../types.js';
import type { LintTarget } from './engine.js';

/**
 * The files linted at `position`: the migration when named (every one without `lint`), and its down file
 * only when named (its drops are the point of it). A down section of the up file itself (dbmate) never:
 * the file is linted as what it deploys.
 */
export function lintTargetsAt(migration: MigrationFile, position: number, lint?: ReadonlySet<string>): LintTarget[] {
  const targets: LintTarget[] = [];
  if (migration.kind !== 'undo' && (!lint || lint.has(migration.path))) targets.push({ migration, after: position });
  const down = migration.down;
  if (down && down.path !== migration.path && lint?.has(down.path)) {
    targets.push({ migration: { ...migration, path: down.path, sql: down.sql, lineOffset: down.lineOffset }, after: position });
  }
  return targets;
}
