import { diffLines } from 'diff';
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
 * Editing a migration that the base already has is reported at the lines the edit changed, the base's
 * version is replayed (production ran that one), and the edited file is new too: of it, the statements
 * the edit adds or changes are applied after the history (the parse stage keeps only those), so their
 * hazards are reviewed. Deleting one is reported on the deleted file; the base's version stays history.
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
      findings.push(editFinding(before, migration));
      fresh.push({ ...migration, applied: { sql: before.sql } });
      continue;
    }
    fresh.push(migration);
  }
  const headPaths = new Set(head.map((m) => m.path));
  for (const migration of base) {
    if (migration.kind === 'undo' || headPaths.has(migration.path)) continue;
    findings.push(deletionFinding(migration));
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

/**
 * The edit of an applied migration, placed on the lines it changed (they are in the pull request's diff,
 * so the finding can be an inline comment there).
 */
function editFinding(before: MigrationFile, after: MigrationFile): Finding {
  const regions = changedRegions(before.sql, after.sql).map(([from, to]) => [from + after.lineOffset, to + after.lineOffset] as const);
  const [line, endLine] = regions[0] ?? [after.lineOffset + 1, after.lineOffset + 1];
  const more = regions.slice(1).map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`));
  const rule = 'modified-applied-migration';
  return {
    rule,
    severity: 'warning',
    source: 'lint',
    file: after.path,
    line,
    endLine,
    message:
      `This migration already exists on the base branch and was edited here${more.length > 0 ? ` (and at line${more.length === 1 && !more[0]!.includes('-') ? '' : 's'} ${more.join(', ')})` : ''}. ` +
      'Databases that already ran it (production, staging, every deployed environment) will not run it again, so the edit never reaches them; ' +
      'a database set up from scratch runs the edited version: the environments diverge. ' +
      'pgpro replayed the base version as history and reviewed the statements the edit adds or changes as if they were a new migration.',
    fix: { title: 'Revert the edit and put the change in a new migration.' },
    fingerprint: fingerprint(rule, after.path, 'edit'),
  };
}

/** A deleted migration: the finding names the file, which is no longer in the head tree. */
function deletionFinding(migration: MigrationFile): Finding {
  const rule = 'removed-applied-migration';
  const message =
    'This migration exists on the base branch and was deleted. Databases that already ran it keep what it did, and their migration tool still records it as applied; ' +
    'a database set up from this branch (a new environment, CI, a developer\'s reset) never runs it, so the environments diverge; and some tools object to an applied migration that has no file ' +
    '(Flyway\'s validate fails on it, Prisma\'s migrate dev reports it as drift).';
  const finding = migrationWarning(rule, migration, message, 'Restore the file; to undo what it did, add a new migration that reverses it.');
  return { ...finding, fingerprint: fingerprint(rule, migration.path, 'deleted') };
}

/**
 * The 1-based line ranges of `after` that differ from `before`: added or changed lines, and for lines only
 * removed, the line after the removal (the last line when they were at the end), which the diff shows as
 * context.
 */
export function changedRegions(before: string, after: string): [number, number][] {
  const regions: [number, number][] = [];
  const total = Math.max(1, after.split('\n').length - (after.endsWith('\n') ? 1 : 0));
  let line = 1;
  for (const part of diffLines(before, after)) {
    const count = part.count ?? 0;
    if (part.added) {
      regions.push([line, line + count - 1]);
      line += count;
    } else if (part.removed) {
      const at = Math.min(line, total);
      const last = regions.at(-1);
      if (!last || last[1] < at - 1) regions.push([at, at]);
    } else {
      line += count;
    }
  }
  // A removal followed by an addition at the same place is one region.
  const merged: [number, number][] = [];
  for (const region of regions) {
    const last = merged.at(-1);
    if (last && region[0] <= last[1] + 1) last[1] = Math.max(last[1], region[1]);
    else merged.push([...region]);
  }
  return merged;
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
