// The lock-time rehearsal's samples are the sandbox thread's own CPU time: it must count the thread's
// work and not its waits. No assertion on how long anything takes (machines are shared), only on
// which of the two clocks moves.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/index.js';
import { threadCpuMs } from '../../src/sandbox/thread-cpu.js';

describe.runIf(process.platform === 'linux')('thread CPU time', () => {
  it('moves while the thread works and stays almost still while it waits', async () => {
    const before = threadCpuMs()!;
    expect(before).toBeGreaterThan(0);
    let spins = 0;
    while (threadCpuMs()! - before < 20) spins++;
    expect(spins).toBeGreaterThan(0);
    const idle = threadCpuMs()!;
    await sleep(200);
    expect(threadCpuMs()! - idle).toBeLessThan(100);
  });

  it('times a statement in the sandbox worker: its CPU time, less than the wall time it waited', async () => {
    const db = await createSandbox({ statementTimeoutMs: 60_000, memoryMb: 512 });
    try {
      const sleeping = await db.execTimed!('SELECT pg_sleep(0.3)');
      expect(sleeping.wallMs).toBeGreaterThanOrEqual(300);
      expect(sleeping.cpuMs).toBeGreaterThan(0);
      expect(sleeping.cpuMs!).toBeLessThan(sleeping.wallMs);
      await expect(db.execTimed!('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    } finally {
      await db.close();
    }
  });
});
