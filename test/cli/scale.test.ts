// 300 migrations through the real CLI as a separate process: every file gets a status, and a
// hostile file costs one finding within its statement deadline, after which the process ends
// (no leaked PGlite worker or timer keeps Node alive).
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHistory } from '../../bench/history.js';
import type { JsonReport } from '../../src/report/json.js';
import { cliEnv, REPO, tempTree } from './helpers.js';

const COUNT = 300;
const HOSTILE = 'db/migrations/0150_spin.sql';
// max-files: the default (200) would mark the last 100 skipped; explain and the rehearsals off (each
// would re-run or time all 300 files up to its own time budget), and a token time for fix proofs, keep
// the run about applying.
const CONFIG = 'limits:\n  max-files: 300\n  fix-proof-seconds: 1\nexplain:\n  enabled: false\nrehearsal:\n  retry: false\n  lock-time: false\n';
// Bounds on a hang, not on speed: a shared, loaded CI machine may take minutes; only a process that
// never ends is a failure (the deadline and the exit are asserted from the report and the exit status).
const PROCESS_BOUND_MS = 280_000;
const TEST_TIMEOUT_MS = 300_000;

interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function pgpro(args: string[], timeoutMs: number): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), ...args], {
      cwd: REPO,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // A process still alive past the bound is the failure this test exists for: kill it and say so.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let root: string;
let history: Record<string, string>;
beforeAll(async () => {
  history = generateHistory(COUNT);
  root = await tempTree({ ...history, 'pgpro.yml': CONFIG }, 'pgpro-cli-300-');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe(`pgpro review --format json over ${COUNT} migrations, as a process`, () => {
  it('applies every one of them and reports each file\'s status', async () => {
    const run = await pgpro(['review', 'db/migrations', '-C', root, '--format', 'json', '--no-cache'], PROCESS_BOUND_MS);
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.migrations.map((m) => m.file)).toEqual(Object.keys(history));
    expect(report.migrations.filter((m) => m.status !== 'applied')).toEqual([]);
    expect(report.stats).toMatchObject({ migrationsTotal: COUNT, migrationsNew: COUNT });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(run.code).toBe(0);
  }, TEST_TIMEOUT_MS);

  it('a hostile file at 150 with a 2 s statement timeout: one finding at its line, later files not-run, exit 1', async () => {
    const spinning = Object.keys(history)[149]!;
    await rm(join(root, spinning));
    await writeFile(join(root, HOSTILE), '-- spins forever\nDO $$ BEGIN LOOP END LOOP; END $$;\n');
    await writeFile(join(root, 'pgpro.yml'), `${CONFIG}sandbox:\n  statement-timeout-seconds: 2\n`);

    const run = await pgpro(['review', 'db/migrations', '-C', root, '--format', 'json', '--no-cache'], PROCESS_BOUND_MS);
    expect(run.signal).toBeNull(); // ended by itself, not by the test's kill
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;

    const statuses = report.migrations.map((m) => m.status);
    expect(statuses.slice(0, 149)).toEqual(Array(149).fill('applied'));
    expect(report.migrations[149]).toMatchObject({
      file: HOSTILE,
      status: 'failed',
      error: { line: 2, sqlstate: '57014' },
    });
    // Stopped by its own deadline: not before it (how long after it depends on the machine's load).
    expect(report.migrations[149]!.durationMs).toBeGreaterThanOrEqual(1900);
    expect(statuses.slice(150)).toEqual(Array(COUNT - 150).fill('not-run'));

    const errors = report.findings.filter((f) => f.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ rule: 'apply-error', file: HOSTILE, line: 2 })]);
    expect(errors[0]!.message).toMatch(/did not finish within 2 s/);
    expect(errors[0]!.message).not.toMatch(/synthetic rows/); // a timeout, not a data problem
    expect(errors[0]!.fix?.title).toMatch(/sandbox\.statement-timeout-seconds/);
    expect(report.notes.some((n) => n.includes(`The sandbox stopped while applying ${HOSTILE}`))).toBe(true);
  }, TEST_TIMEOUT_MS);
});
