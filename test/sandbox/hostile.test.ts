// Hostile migrations must cost one error outcome within the deadline or the memory bound, never the
// process. Each case kills its sandbox, so each gets its own; a short deadline keeps the file fast.
// Bounded time is shown by which limit stopped the sandbox, not by a wall clock.
import { describe, expect, it } from 'vitest';
import { createSandbox, SandboxStoppedError, type PreparedMigration, type SandboxOptions } from '../../src/sandbox/index.js';

const DEADLINE_MS = 2_000;
const options: SandboxOptions = { statementTimeoutMs: DEADLINE_MS, memoryMb: 1024 };

function migration(texts: string[]): PreparedMigration {
  return { file: 'db/evil.sql', inTransaction: false, statements: texts.map((text, index) => ({ index, text, line: index + 1, endLine: index + 1 })) };
}

async function runHostile(statement: string, overrides: Partial<SandboxOptions> = {}) {
  const sandbox = await createSandbox({ ...options, ...overrides });
  try {
    const run = await sandbox.apply(migration([statement, 'CREATE TABLE after_it (id int)']), { trace: false });
    const later = await sandbox.apply(migration(['SELECT 1']), { trace: false });
    const query = await sandbox.query('SELECT 1').catch((error: unknown) => error);
    return { run, later, query, stopped: sandbox.stopped?.reason, peakBytes: sandbox.memory!.peakBytes };
  } finally {
    await sandbox.close();
  }
}

describe('hostile migrations', { timeout: 600_000 }, () => {
  it('stops an endless loop at the deadline', async () => {
    const { run, later, query, stopped } = await runHostile('DO $$ BEGIN LOOP END LOOP; END $$');
    expect(stopped).toBe('timeout');
    expect(run.outcomes.map((o) => o.status)).toEqual(['error', 'not-run']);
    expect(run.status.error).toMatchObject({ sqlstate: '57014', line: 1, message: 'statement did not finish within 2 s; the sandbox was stopped' });
    expect(later.status.status).toBe('not-run');
    expect(query).toBeInstanceOf(SandboxStoppedError);
  });

  it('stops pg_sleep at the deadline', async () => {
    const { run, stopped } = await runHostile('SELECT pg_sleep(1e6)');
    expect(run.status.error?.sqlstate).toBe('57014');
    // Bounded time without a wall clock: the deadline, and nothing else, ended it.
    expect(stopped).toBe('timeout');
  });

  // Each ends on the sandbox's own bound, refused as the memory is taken: its counters never pass it.
  it.each([
    ['a table that grows', 'CREATE TABLE hog AS SELECT g, repeat(md5(g::text), 30) AS filler FROM generate_series(1, 20000000) g'],
    ['a spilling sort', 'SELECT count(*) FROM (SELECT md5(g::text) FROM generate_series(1, 30000000) g ORDER BY 1 DESC) s'],
    ['a big aggregate', 'SELECT count(*) FROM (SELECT md5(g::text), count(*) FROM generate_series(1, 30000000) g GROUP BY 1) s'],
    ['wide rows', "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 2000000)"],
  ])('stops %s at the memory bound', async (_name, statement) => {
    const { run, stopped, peakBytes } = await runHostile(statement, { memoryMb: 512, statementTimeoutMs: 600_000 });
    expect(run.status.error).toMatchObject({ sqlstate: '53200' });
    expect(run.status.error?.message).toMatch(/more than the sandbox's 512 MB/);
    expect(stopped).toBe('memory');
    expect(peakBytes).toBeLessThanOrEqual(512 * 1024 * 1024);
  });

  it('detects an instance that COPY … FROM PROGRAM left dead', async () => {
    const sandbox = await createSandbox(options);
    try {
      await sandbox.exec('CREATE TABLE victim (line text)');
      const run = await sandbox.apply(migration(["COPY victim FROM PROGRAM 'id'", 'SELECT 1']), { trace: false });
      expect(run.outcomes.map((o) => o.status)).toEqual(['error', 'not-run']);
      expect(run.status.error?.message).toMatch(/stopped working after this statement/);
      expect(sandbox.stopped?.reason).toBe('died');
    } finally {
      await sandbox.close();
    }
  });

  it('detects a history file that left the instance dead on the replay fast path', async () => {
    const sandbox = await createSandbox(options);
    try {
      await sandbox.exec('CREATE TABLE victim (line text)');
      const killer = { ...migration(["COPY victim FROM PROGRAM 'id'", 'CREATE TABLE after_it (id int)']), file: 'db/001_evil.sql' };
      const later = { ...migration(['CREATE TABLE later (id int)']), file: 'db/002_later.sql' };
      const runs = await sandbox.replay([killer, later]);
      expect(runs.map((r) => r.status.status)).toEqual(['failed', 'not-run']);
      expect(runs[0]!.status.error?.message).toMatch(/stopped working after this statement/);
      expect(sandbox.stopped?.reason).toBe('died');
    } finally {
      await sandbox.close();
    }
  });

  it('leaves the process able to start a working sandbox afterwards', async () => {
    const sandbox = await createSandbox(options);
    try {
      expect((await sandbox.query('SELECT 41 + 1 AS answer')).rows).toEqual([{ answer: 42 }]);
    } finally {
      await sandbox.close();
    }
  });
});
