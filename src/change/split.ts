import { fingerprint } from '../finding.js';
import type { Finding, MigrationFile } from '../types.js';

export interface SplitChange {
  /** Migrations that production already ran, in apply order. */
  history: MigrationFile[];
  /** Migrations this change adds or edits, in apply order. */
  fresh: MigrationFile[];
  findings: Finding[];
}

/**
 * Decides which migrations are history and which are new.
 * - with a base: history is the base's sequence; new is every head migration absent from the base
 *   or different from it (or listed in `changed`);
 * - without a base but with `changed`: the listed head migrations are new, the rest history;
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
    return {
      history: head.filter((m) => !changedSet.has(m.path)),
      fresh: head.filter((m) => changedSet.has(m.path)),
      findings,
    };
  }
  const baseByPath = new Map(base.map((m) => [m.path, m]));
  const fresh: MigrationFile[] = [];
  for (const migration of head) {
    const before = baseByPath.get(migration.path);
    const differs = !before || before.sql !== migration.sql || changedSet?.has(migration.path) === true;
    if (!differs) continue;
    if (before && before.sql !== migration.sql && migration.kind !== 'repeatable') {
      findings.push({
        rule: 'modified-applied-migration',
        severity: 'warning',
        source: 'lint',
        file: migration.path,
        line: migration.lineOffset + 1,
        endLine: migration.lineOffset + 1,
        message:
          'This migration already exists on the base branch and was edited. Databases that ran it will not run it again, so the edit never reaches them.',
        fix: { title: 'Revert the edit and put the change in a new migration.' },
        fingerprint: fingerprint('modified-applied-migration', migration.path, migration.sql),
      });
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
      findings.push({
        rule: 'out-of-order-migration',
        severity: 'warning',
        source: 'lint',
        file: migration.path,
        line: migration.lineOffset + 1,
        endLine: migration.lineOffset + 1,
        message: `This migration sorts before ${lastHistory.path}, which the base branch already has. Most tools skip or reject a migration older than the latest one applied.`,
        fix: { title: 'Rename it so that its version sorts after every existing migration.' },
        fingerprint: fingerprint('out-of-order-migration', migration.path, migration.sql),
      });
    }
  }
  return { history: base.filter((m) => m.kind !== 'undo'), fresh, findings };
}
