// A sandbox the warm pool restored ahead of time answers to the review it is handed to, and only to it:
// that review's stop signal and sandbox-time budget reach its statement in flight, and the review whose
// end restored it (or an earlier one) can no longer stop it. Real PGlite sandboxes, and real reviews.
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { createSandbox, type PreparedMigration, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { ReviewStopped, SandboxTimeBudget, type ReviewLimits } from '../../src/sandbox/limits.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ChangeSet } from '../../src/types.js';

// Far beyond any test's timeout: only the stop under test can end these statements.
const options: SandboxOptions = { statementTimeoutMs: 600_000, memoryMb: 512 };
const start = (limits: ReviewLimits): Promise<Sandbox> => createSandbox({ ...options, ...limits });
const SLEEP_LOOP = 'DO $$ BEGIN LOOP PERFORM pg_sleep(0.01); END LOOP; END $$';

function migration(texts: string[]): PreparedMigration {
  return { file: 'db/slow.sql', inTransaction: false, statements: texts.map((text, index) => ({ index, text, line: index + 1, endLine: index + 1 })) };
}

/** Review A takes the base's sandbox and ends; the pool restores the next one while nothing runs. */
async function afterReviewA(pool: SandboxPool): Promise<{ stopA: AbortController; budgetA: SandboxTimeBudget }> {
  const stopA = new AbortController();
  const budgetA = new SandboxTimeBudget(600_000);
  const a = await pool.open('base', start, { signal: stopA.signal, timeBudget: budgetA });
  await a.query('SELECT 1');
  await a.close();
  await pool.settled();
  expect(pool.stats().ready).toBe(1);
  return { stopA, budgetA };
}

describe('a sandbox handed out by the warm pool', () => {
  const pools: SandboxPool[] = [];
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it("stops on the next review's signal, in flight, and not on the earlier review's", async () => {
    const pool = new SandboxPool({ maxSandboxes: 1, maxMemoryMb: 4096 });
    pools.push(pool);
    const { stopA, budgetA } = await afterReviewA(pool);
    const stopB = new AbortController();
    const budgetB = new SandboxTimeBudget(600_000);
    const b = await pool.open('base', start, { signal: stopB.signal, timeBudget: budgetB });
    try {
      expect(pool.stats().served).toBe(1);
      // Review A is cancelled and its budget runs out after the handoff: B's sandbox does not notice.
      stopA.abort(new ReviewStopped('review A was superseded; the sandbox was stopped'));
      budgetA.exhaust();
      expect(b.stopped).toBeUndefined();
      expect((await b.query<{ alive: number }>('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
      expect(budgetB.spentMs).toBeGreaterThan(0); // B's statements are charged to B

      const sleeping = b.apply(migration([SLEEP_LOOP, 'CREATE TABLE after_it (id int)']), { trace: false });
      // The apply has dispatched its statement once the event loop turns; aborting now hits it in flight.
      await new Promise((resolve) => setImmediate(resolve));
      stopB.abort(new ReviewStopped("review B's time limit ran out; the sandbox was stopped"));
      const run = await sleeping;
      expect(run.outcomes.map((o) => o.status)).toEqual(['error', 'not-run']);
      expect(run.status.error).toMatchObject({ sqlstate: '57014', message: "review B's time limit ran out; the sandbox was stopped" });
      expect(b.stopped?.reason).toBe('cancelled');
    } finally {
      await b.close();
    }
  });

  it("stops when the next review's sandbox time runs out, whatever the earlier review had left", async () => {
    const pool = new SandboxPool({ maxSandboxes: 1, maxMemoryMb: 4096 });
    pools.push(pool);
    await afterReviewA(pool);
    const budgetB = new SandboxTimeBudget(200);
    const b = await pool.open('base', start, { timeBudget: budgetB });
    try {
      expect(pool.stats().served).toBe(1);
      const outcome = await b.query(SLEEP_LOOP).catch((error: unknown) => error);
      expect(outcome).toMatchObject({ reason: 'cancelled', message: expect.stringMatching(/limits\.sandbox-seconds = 0\.2 s\) ran out/) });
      expect(budgetB.remainingMs).toBe(0);
    } finally {
      await b.close();
    }
  });

  it('a review served from the pool runs within its own sandbox-time limit', async () => {
    const history = { 'db/migrations/0001_jobs.sql': 'CREATE TABLE jobs (id bigint PRIMARY KEY, state text NOT NULL);\n' };
    const change = { 'db/migrations/0002_wait.sql': `${SLEEP_LOOP};\n` };
    const pullRequest = (): ChangeSet => ({ head: memoryTree({ ...history, ...change }, 'head'), base: memoryTree(history, 'base-tree'), changed: Object.keys(change) });
    const settings = { sandbox: { 'seed-rows': 10, 'statement-timeout-seconds': 3600 }, agent: { enabled: false } };
    const roomy = validateConfig({ ...settings, limits: { 'sandbox-seconds': 14_400, 'review-timeout-seconds': 7200 } }, 'test');
    const tight = validateConfig({ ...settings, limits: { 'sandbox-seconds': 1, 'review-timeout-seconds': 7200 } }, 'test');
    const cache = new SnapshotCache();
    const pool = new SandboxPool({ maxSandboxes: 1, maxMemoryMb: 4096 });
    pools.push(pool);
    // The first review stores the base's snapshot; the second restores it, and its end has the pool
    // restore the next one. Both have hours of sandbox time, and a change that takes none.
    const quiet = (): ChangeSet => ({ head: memoryTree({ ...history, 'db/migrations/0002_wait.sql': 'SELECT 1;\n' }, 'head'), base: memoryTree(history, 'base-tree'), changed: ['db/migrations/0002_wait.sql'] });
    await review(quiet(), { config: roomy }, { env: {}, snapshotCache: cache });
    await review(quiet(), { config: roomy }, { env: {}, snapshotCache: cache, sandboxPool: pool });
    await pool.settled();
    expect(pool.stats().ready).toBe(1);
    const served = pool.stats().served;
    const result = await review(pullRequest(), { config: tight }, { env: {}, snapshotCache: cache, sandboxPool: pool });
    expect(pool.stats().served).toBe(served + 1);
    expect(result.conclusion).not.toBe('success');
    const said = [...result.notes, ...result.findings.map((f) => f.message)].join('\n');
    expect(said).toMatch(/limits\.sandbox-seconds = 1 s\) ran out/);
  }, 300_000);
});
