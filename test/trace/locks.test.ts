import { describe, expect, it } from 'vitest';
import { blockedOperations, CONFLICTS, conflicts, describeBlocking, isDangerous, LOCK_MODES } from '../../src/trace/locks.js';

describe('lock conflict table', () => {
  it('is symmetric, as in the PostgreSQL documentation', () => {
    for (const a of LOCK_MODES) for (const b of LOCK_MODES) expect(conflicts(a, b)).toBe(conflicts(b, a));
  });

  it('each mode conflicts with as many modes as the documentation lists', () => {
    expect(LOCK_MODES.map((m) => CONFLICTS[m].length)).toEqual([1, 2, 4, 5, 5, 6, 7, 8]);
  });

  it('names what each lock blocks for the application', () => {
    expect(blockedOperations('AccessExclusiveLock')).toContain('SELECT');
    expect(blockedOperations('ShareLock')).toEqual(['INSERT, UPDATE, DELETE', 'VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and other DDL']);
    expect(blockedOperations('ShareRowExclusiveLock')).not.toContain('SELECT');
    expect(blockedOperations('ExclusiveLock')).toContain('SELECT … FOR UPDATE/SHARE');
    expect(blockedOperations('ShareUpdateExclusiveLock')).toEqual(['VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and other DDL']);
    expect(describeBlocking('ShareLock')).toMatch(/INSERT, UPDATE, DELETE.*plain SELECT still runs/);
    expect(describeBlocking('AccessExclusiveLock')).toMatch(/reads included/);
  });

  it('dangerous = blocks writes', () => {
    expect(LOCK_MODES.filter(isDangerous)).toEqual(['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock']);
  });
});
