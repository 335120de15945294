// Hostile migrations must cost one error outcome within the deadline, never the process. Each case
// kills its sandbox, so each gets its own; a short deadline keeps the file fast.
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
    const started = performance.now();
    const run = await sandbox.apply(migration([statement, 'CREATE TABLE after_it (id int)']), { trace: false });
    const elapsed = performance.now() - started;
    const later = await sandbox.apply(migration(['SELECT 1']), { trace: false });
    const query = await sandbox.query('SELECT 1').catch((error: unknown) => error);
    return { run, elapsed, later, query, stopped: sandbox.stopped?.reason };
  } finally {
    await sandbox.close();
  }
}

describe('hostile migrations', () => {
  it('stops an endless loop at the deadline', async () => {
    const { run, elapsed, later, query, stopped } = await runHostile('DO $$ BEGIN LOOP END LOOP; END $$');
    expect(stopped).toBe('timeout');
    expect(run.outcomes.map((o) => o.status)).toEqual(['error', 'not-run']);
    expect(run.status.error).toMatchObject({ sqlstate: '57014', line: 1, message: 'statement did not finish within 2 s; the sandbox was stopped' });
    expect(elapsed).toBeLessThan(DEADLINE_MS + 3_000);
    expect(later.status.status).toBe('not-run');
    expect(query).toBeInstanceOf(SandboxStoppedError);
  });

  it('stops pg_sleep at the deadline', async () => {
    const { run, elapsed } = await runHostile('SELECT pg_sleep(1e6)');
    expect(run.status.error?.sqlstate).toBe('57014');
    expect(elapsed).toBeLessThan(DEADLINE_MS + 3_000);
  });

  it('stops a statement whose memory grows past the bound', async () => {
    const { run, elapsed, stopped } = await runHostile(
      "CREATE TABLE hog AS SELECT g, repeat(md5(g::text), 30) AS filler FROM generate_series(1, 20000000) g",
      { memoryMb: 150, statementTimeoutMs: 20_000 },
    );
    expect(run.status.error).toMatchObject({ sqlstate: '53200' });
    expect(run.status.error?.message).toMatch(/more than 150 MB/);
    expect(stopped).toBe('memory');
    expect(elapsed).toBeLessThan(20_000);
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
