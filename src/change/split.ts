import { fingerprint } from '../finding.js';
import type { Finding, MigrationFile } from '../types.js';

export interface SplitChange {
  /** Migrations that production already ran, in apply order. */
  history: MigrationFile[];
  /** Migrations this change adds or edits, in apply order. */
  fresh: MigrationFile[];
  findings: Finding[];
  /** Without a base: unnamed migrations that sort after the first named one, neither history nor new. */
  later?: MigrationFile[];
}

/**
 * Decides which migrations are history and which are new.
 * - with a base: history is the base's sequence; new is every head migration absent from the base
 *   or different from it (or listed in `changed`);
 * - without a base but with `changed`: the listed head migrations are new, the ones before the first of
 *   them history (those after it are left out: production has not run them before the new ones);
 * - with neither: everything is new.
 * Editing a migration that the base already has is reported, and the base's version is replayed
 * (production ran that one).
 */
export function splitChange(
  head: MigrationFile[],
  base: MigrationFile[] | undefined,
  changed: readonly string[] | undefined,
): SplitChange {
  const findings: Finding[] = [];
  const changedSet = changed ? new Set(changed) : undefined;
  if (!base) {
    if (!changedSet) return { history: [], fresh: head, findings };
    // Production runs the named files before any that sort after them: those are not history.
    const first = head.findIndex((m) => changedSet.has(m.path));
    const unnamed = head.filter((m) => !changedSet.has(m.path));
    return {
      history: first < 0 ? unnamed : unnamed.filter((m) => head.indexOf(m) < first),
      fresh: head.filter((m) => changedSet.has(m.path)),
      findings,
      later: first < 0 ? [] : unnamed.filter((m) => head.indexOf(m) > first),
    };
  }
  const baseByPath = new Map(base.map((m) => [m.path, m]));
  const fresh: MigrationFile[] = [];
  for (const migration of head) {
    const before = baseByPath.get(migration.path);
    const differs = !before || before.sql !== migration.sql || changedSet?.has(migration.path) === true;
    if (!differs) continue;
    if (before && before.sql !== migration.sql && migration.kind !== 'repeatable') {
      findings.push(
        migrationWarning(
          'modified-applied-migration',
          migration,
          'This migration already exists on the base branch and was edited. Databases that ran it will not run it again, so the edit never reaches them.',
          'Revert the edit and put the change in a new migration.',
        ),
      );
      continue;
    }
    fresh.push(migration);
  }
  const lastHistory = base.filter((m) => m.kind === 'versioned').at(-1);
  for (const migration of fresh) {
    if (
      lastHistory &&
      migration.kind === 'versioned' &&
      migration.convention === lastHistory.convention &&
      !baseByPath.has(migration.path) &&
      head.indexOf(migration) < head.findIndex((m) => m.path === lastHistory.path)
    ) {
      findings.push(
        migrationWarning(
          'out-of-order-migration',
          migration,
          `This migration sorts before ${lastHistory.path}, which the base branch already has. Most tools skip or reject a migration older than the latest one applied.`,
          'Rename it so that its version sorts after every existing migration.',
        ),
      );
    }
  }
  return { history: base.filter((m) => m.kind !== 'undo'), fresh, findings };
}

/** A warning about a migration file as a whole, placed on its first line. */
function migrationWarning(rule: string, migration: MigrationFile, message: string, fixTitle: string): Finding {
  const line = migration.lineOffset + 1;
  return {
    rule,
    severity: 'warning',
    source: 'lint',
    file: migration.path,
    line,
    endLine: line,
    message,
    fix: { title: fixTitle },
    fingerprint: fingerprint(rule, migration.path, migration.sql),
  };
}
