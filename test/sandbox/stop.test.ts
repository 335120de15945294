// The review's stop reaches the statement in flight: an abort signal, a shared sandbox-time budget and
// close() all end a running statement at once, not after it (PGlite ignores statement_timeout).
import { describe, expect, it } from 'vitest';
import { createSandbox, SandboxStoppedError, type PreparedMigration, type SandboxOptions } from '../../src/sandbox/index.js';
import { ReviewStopped, SandboxTimeBudget } from '../../src/sandbox/limits.js';

// Far beyond any test's timeout: only the stop under test can end these statements.
const options: SandboxOptions = { statementTimeoutMs: 600_000, memoryMb: 1024 };

function migration(texts: string[]): PreparedMigration {
  return { file: 'db/slow.sql', inTransaction: false, statements: texts.map((text, index) => ({ index, text, line: index + 1, endLine: index + 1 })) };
}

/** Resolves once the worker has the request: the statement is running. */
function running(sandbox: { query: (sql: string) => Promise<unknown> }, sql: string): { result: Promise<unknown> } {
  return { result: sandbox.query(sql).then(() => 'finished', (error: unknown) => error) };
}

describe('stopping a sandbox mid-statement', () => {
  it('ends a sleeping statement when the review aborts, with the reason as the error', async () => {
    const stop = new AbortController();
    const sandbox = await createSandbox({ ...options, signal: stop.signal });
    try {
      const sleeping = sandbox.apply(migration(['SELECT pg_sleep(1e6)', 'CREATE TABLE after_it (id int)']), { trace: false });
      // The apply has dispatched its statement once the worker is busy; aborting now hits it in flight.
      await new Promise((resolve) => setImmediate(resolve));
      stop.abort(new ReviewStopped('the review was cancelled (test); the sandbox was stopped'));
      const run = await sleeping;
      expect(run.outcomes.map((o) => o.status)).toEqual(['error', 'not-run']);
      expect(run.status.error).toMatchObject({ sqlstate: '57014', message: 'the review was cancelled (test); the sandbox was stopped' });
      expect(sandbox.stopped?.reason).toBe('cancelled');
    } finally {
      await sandbox.close();
    }
  });

  it('refuses to start for a review already stopped', async () => {
    const stop = new AbortController();
    stop.abort(new ReviewStopped('the review was cancelled (before start); the sandbox was stopped'));
    const error = await createSandbox({ ...options, signal: stop.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxStoppedError);
    expect((error as SandboxStoppedError).reason).toBe('cancelled');
  });

  it('shares one sandbox-time budget between sandboxes and stops the statement that exhausts it', async () => {
    const budget = new SandboxTimeBudget(300);
    const first = await createSandbox({ ...options, timeBudget: budget });
    const second = await createSandbox({ ...options, timeBudget: budget });
    try {
      const outcome = await running(first, 'SELECT pg_sleep(1e6)').result;
      expect(outcome).toBeInstanceOf(SandboxStoppedError);
      expect((outcome as SandboxStoppedError).message).toMatch(/limits\.sandbox-seconds = 0\.3 s\) ran out/);
      expect(budget.remainingMs).toBe(0);
      // The other sandbox has nothing left either: its next statement does not even start.
      const refused = await second.query('SELECT 1').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(SandboxStoppedError);
      expect(second.stopped?.reason).toBe('cancelled');
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('closes a busy sandbox at once instead of queueing behind its statement', async () => {
    const sandbox = await createSandbox(options);
    const { result } = running(sandbox, 'DO $$ BEGIN LOOP END LOOP; END $$');
    await new Promise((resolve) => setImmediate(resolve));
    await sandbox.close();
    expect(await result).toBeInstanceOf(SandboxStoppedError);
    expect(sandbox.stopped?.reason).toBe('closed');
  });
});
