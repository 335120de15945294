// Observed facts as compact text, for a finding's `evidence`.
import type { StatementObservation } from '../types.js';

interface WithRelfilenodes {
  relfilenodes?: { relation: string; before: number; after: number }[];
}

const RANK: Record<string, number> = {
  AccessShareLock: 1, RowShareLock: 2, RowExclusiveLock: 3, ShareUpdateExclusiveLock: 4,
  ShareLock: 5, ShareRowExclusiveLock: 6, ExclusiveLock: 7, AccessExclusiveLock: 8,
};

/** `pg_locks: <mode> on <tables>`: the strongest mode per table (index locks follow their table's). */
export function lockText(locks: StatementObservation['locks']): string | undefined {
  const strongest = new Map<string, string>();
  for (const lock of locks) {
    if (lock.kind === 'index') continue;
    const current = strongest.get(lock.relation);
    if (!current || RANK[lock.mode]! > RANK[current]!) strongest.set(lock.relation, lock.mode);
  }
  if (strongest.size === 0) return undefined;
  const byMode = new Map<string, string[]>();
  for (const [relation, mode] of [...strongest].sort((a, b) => a[0].localeCompare(b[0]))) {
    byMode.set(mode, [...(byMode.get(mode) ?? []), relation]);
  }
  const modes = [...byMode].sort((a, b) => RANK[b[0]]! - RANK[a[0]]!);
  return `pg_locks: ${modes.map(([mode, relations]) => `${mode} on ${relations.join(', ')}`).join(', ')}`;
}

export function rewriteText(observation: StatementObservation): string | undefined {
  if (observation.rewrites.length === 0) return undefined;
  const details = (observation as WithRelfilenodes).relfilenodes ?? [];
  const parts = observation.rewrites.map((relation) => {
    const d = details.find((x) => x.relation === relation);
    return d ? `${relation} relfilenode ${d.before} → ${d.after}` : `${relation} relfilenode changed`;
  });
  return `rewrite: ${parts.join(', ')}`;
}

export function scanText(observation: StatementObservation): string | undefined {
  if (observation.scans.length === 0) return undefined;
  return observation.scans
    .map((s) => `seq scans on ${s.relation}: ${s.seqScans} (${s.rowsRead.toLocaleString('en-US')} rows read)`)
    .join('; ');
}

/** Everything observed for one statement: locks taken, rewrites, scans, catalog changes, timeouts. */
export function observationEvidence(observation: StatementObservation, acquired: StatementObservation['locks']): string {
  const parts = [
    lockText(acquired.length ? acquired : observation.locks),
    rewriteText(observation),
    scanText(observation),
    observation.changes.length ? `changes: ${observation.changes.join('; ')}` : undefined,
    `lock_timeout ${observation.lockTimeout}, statement_timeout ${observation.statementTimeout}${observation.inTransaction ? ', in a transaction' : ''}`,
  ];
  return parts.filter((p): p is string => p !== undefined).join('; ');
}
