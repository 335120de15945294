// PostgreSQL's table-level lock conflict table (docs: "Explicit Locking", table "Conflicting Lock
// Modes"), as data, with what each mode means for the application's own statements.
import type { LockMode } from '../types.js';

export const LOCK_MODES: readonly LockMode[] = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

// The SQL names of the modes live with the rest of the wording (src/text/grammar.ts).
export { LOCK_NAME } from '../text/grammar.js';

/** For each mode, the modes it conflicts with (the relation is symmetric). */
export const CONFLICTS: Record<LockMode, readonly LockMode[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: [
    'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock',
  ],
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareRowExclusiveLock: [
    'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock',
  ],
  ExclusiveLock: [
    'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
    'AccessExclusiveLock',
  ],
  AccessExclusiveLock: LOCK_MODES,
};

/** What applications and operators run against a table, and the lock each takes. */
export const APPLICATION_OPERATIONS: readonly { label: string; mode: LockMode }[] = [
  { label: 'SELECT', mode: 'AccessShareLock' },
  { label: 'SELECT … FOR UPDATE/SHARE', mode: 'RowShareLock' },
  { label: 'INSERT, UPDATE, DELETE', mode: 'RowExclusiveLock' },
  { label: 'VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and other DDL', mode: 'ShareUpdateExclusiveLock' },
];

export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

/** The application operations a lock blocks while it is held, derived from the conflict table. */
export function blockedOperations(mode: LockMode): string[] {
  return APPLICATION_OPERATIONS.filter((op) => conflicts(mode, op.mode)).map((op) => op.label);
}

/** One phrase for messages: "blocks SELECT, INSERT, UPDATE, DELETE and …". */
export function describeBlocking(mode: LockMode): string {
  if (mode === 'AccessExclusiveLock') return 'blocks every query on the table, reads included (SELECT, INSERT, UPDATE, DELETE, DDL)';
  const blocked = blockedOperations(mode);
  if (blocked.length === 0) return 'blocks nothing the application runs';
  const reads = conflicts(mode, 'AccessShareLock') ? '' : ' (plain SELECT still runs)';
  return `blocks ${blocked.join('; ')}${reads}`;
}

/** Locks that stop the application's writes (or reads): the ones a migration must hold only briefly. */
export function isDangerous(mode: LockMode): boolean {
  return conflicts(mode, 'RowExclusiveLock');
}

const STRENGTH = new Map(LOCK_MODES.map((mode, i) => [mode, i]));

export function strongest(modes: Iterable<LockMode>): LockMode | undefined {
  let best: LockMode | undefined;
  for (const mode of modes) if (!best || STRENGTH.get(mode)! > STRENGTH.get(best)!) best = mode;
  return best;
}
