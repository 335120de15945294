// The CLI starts a sandbox worker before it knows what it reviews (prewarm.ts): the first sandbox with
// that memory bound takes it and sends it its start as a message; any other bound starts its own.
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/index.js';
import { startTimeoutMs } from '../../src/sandbox/limits.js';
import { replenishSpareSandboxWorker, spareSandboxWorker, spareSandboxWorkerBound } from '../../src/sandbox/worker-client.js';

describe('a spare sandbox worker', () => {
  it('is taken by the first sandbox with its bound, which runs as one started on its own', async () => {
    spareSandboxWorker(1024);
    expect(spareSandboxWorkerBound()).toBe(1024);
    // Another bound: the worker's heap limits were fixed at its start, so this sandbox starts its own.
    const other = await createSandbox({ statementTimeoutMs: 20_000, startTimeoutMs: startTimeoutMs(60), memoryMb: 768 });
    try {
      expect(spareSandboxWorkerBound()).toBe(1024);
      expect((await other.query('SELECT 2 AS n')).rows).toEqual([{ n: 2 }]);
    } finally {
      await other.close();
    }
    const sandbox = await createSandbox({ statementTimeoutMs: 20_000, startTimeoutMs: startTimeoutMs(60), memoryMb: 1024, extensions: ['pg_trgm'] });
    try {
      expect(spareSandboxWorkerBound()).toBeUndefined();
      // Its start came as a message: the contrib module it names was loaded, and a snapshot restores.
      await sandbox.runSetup('setup', 'CREATE EXTENSION pg_trgm; CREATE TABLE t (note text); INSERT INTO t VALUES (\'spare\')');
      expect((await sandbox.query("SELECT similarity(note, 'spare') AS s FROM t")).rows).toEqual([{ s: 1 }]);
      const snapshot = await sandbox.snapshot('restore');
      await sandbox.runSetup('more', 'DROP TABLE t');
      await sandbox.restore!(snapshot);
      expect((await sandbox.query('SELECT note FROM t')).rows).toEqual([{ note: 'spare' }]);
    } finally {
      await sandbox.close();
    }
  }, 600_000);

  it('is started again once when asked to replenish, for the second sandbox (the CLI\'s fix proofs\')', async () => {
    spareSandboxWorker(1024);
    replenishSpareSandboxWorker(1024);
    const options = { statementTimeoutMs: 20_000, startTimeoutMs: startTimeoutMs(60), memoryMb: 1024 };
    const first = await createSandbox(options);
    let second: Awaited<ReturnType<typeof createSandbox>> | undefined;
    try {
      // Taken by the first: another one, for the next sandbox.
      expect(spareSandboxWorkerBound()).toBe(1024);
      second = await createSandbox(options);
      // Once: no third.
      expect(spareSandboxWorkerBound()).toBeUndefined();
      expect((await second.query('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
    } finally {
      await first.close();
      await second?.close();
    }
  }, 600_000);
});
