import { describe, expect, it } from 'vitest';
import { retryPlan } from '../../src/rehearsal/points.js';

const texts = (...sql: string[]) => sql.map((text) => ({ text }));

describe('retryPlan: where a migration can be left half done', () => {
  it('has no stop in a file its tool runs in one transaction', () => {
    expect(retryPlan(true, texts('ALTER TABLE t ADD COLUMN a int', 'UPDATE t SET a = 1'))).toEqual({ mode: 'one-transaction', points: [] });
  });

  it('stops after every statement but the last in autocommit', () => {
    expect(retryPlan(false, texts('ALTER TABLE t ADD COLUMN a int', 'UPDATE t SET a = 1', 'ALTER TABLE t DROP COLUMN b'))).toEqual({
      mode: 'autocommit',
      points: [
        { at: 0, kind: 'after' },
        { at: 1, kind: 'after' },
      ],
    });
  });

  it("stops after the file's own COMMITs and after statements outside its blocks, not inside them", () => {
    const plan = retryPlan(
      true,
      texts('BEGIN', 'ALTER TABLE t ADD COLUMN a int', 'COMMIT', 'UPDATE t SET a = 1', 'BEGIN', 'UPDATE t SET a = 2', 'COMMIT'),
    );
    expect(plan).toEqual({
      mode: 'autocommit',
      points: [
        { at: 2, kind: 'after' },
        { at: 3, kind: 'after' },
      ],
    });
  });

  it('also stops during a concurrent index build, even as the last statement', () => {
    expect(retryPlan(false, texts('-- build it\nCREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a)'))).toEqual({
      mode: 'autocommit',
      points: [{ at: 0, kind: 'during' }],
    });
    expect(retryPlan(false, texts('CREATE INDEX CONCURRENTLY t_a ON t (a)', 'ANALYZE t')).points).toEqual([
      { at: 0, kind: 'during' },
      { at: 0, kind: 'after' },
    ]);
  });

  it('has nothing to rehearse in a one-statement autocommit file without a concurrent build', () => {
    expect(retryPlan(false, texts('ALTER TABLE t ADD COLUMN a int'))).toEqual({ mode: 'autocommit', points: [] });
  });
});
