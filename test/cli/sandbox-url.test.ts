// --sandbox-url: the review runs in a scratch database on a real PostgreSQL server, which is dropped
// afterwards; a run killed with SIGKILL leaves its database to the sweep of a later run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/report/json.js';
import { sweepStaleSandboxes } from '../../src/sandbox/postgres/index.js';
import { cli, cliEnv, EXAMPLE, REPO, tempTree } from './helpers.js';
import { serverAdmin, SERVER_URL, urlAs } from '../helpers/postgres-server.js';

const url = SERVER_URL;
const MARK = 'clitest_killed_run';

const admin = serverAdmin();

// The first run connects as a role of its own (LOGIN and CREATEDB, the role the docs recommend), so the
// scratch databases it leaves can be told from those of server tests running in parallel: they own theirs.
const RUN_ROLE = `pgpro_clitest_${randomBytes(4).toString('hex')}`;
const runUrl = urlAs(RUN_ROLE);

async function sandboxDatabases(owner?: string): Promise<Set<string>> {
  const { rows } = await admin.query<{ datname: string }>(
    `select datname from pg_database d join pg_roles r on r.oid = d.datdba
      where datname like 'pgpro\\_sbx\\_%' and ($1::text is null or r.rolname = $1)`,
    [owner ?? null],
  );
  return new Set(rows.map((r) => r.datname));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('pgpro review --sandbox-url', () => {
  beforeAll(async () => {
    await admin.query(`create role ${RUN_ROLE} login createdb`);
  });
  afterAll(async () => {
    for (const name of await sandboxDatabases(RUN_ROLE)) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`drop role if exists ${RUN_ROLE}`);
  });

  it('reviews the example on the server and drops its scratch database', async () => {
    const run = await cli([
      'review',
      `${EXAMPLE}/0009_order_tracking.sql`,
      `${EXAMPLE}/0010_customer_tiers.sql`,
      '-C',
      REPO,
      '--format',
      'json',
      '--sandbox-url',
      runUrl,
      '--no-cache',
    ]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.stats.engine).toMatchObject({ name: 'postgres', version: expect.stringMatching(/^\d+/) });
    expect(report.migrations.slice(0, 8).every((m) => m.status === 'applied')).toBe(true);
    // The server finds the same data error at the same line as PGlite.
    expect(report.migrations[9]).toMatchObject({ status: 'failed', error: { line: 7, sqlstate: '23502' } });
    // The failure is part of the finding of the rule that predicted it.
    const failed = report.findings.find((f) => f.file === `${EXAMPLE}/0010_customer_tiers.sql` && f.line === 7 && f.rule === 'adding-required-field');
    expect(failed?.message).toContain('observed in the sandbox');
    expect(report.findings.some((f) => f.source === 'trace')).toBe(true);
    expect(run.code).toBe(1);

    expect([...(await sandboxDatabases(RUN_ROLE))]).toEqual([]);
  });

  describe('after a killed run', () => {
    let root: string;
    beforeAll(async () => {
      root = await tempTree({
        'db/migrations/0001_slow.sql': `SELECT pg_sleep(30) AS ${MARK};\n`,
        // The server's statement_timeout ends the orphaned pg_sleep soon after the client is gone.
        'pgpro.yml': 'sandbox:\n  statement-timeout-seconds: 4\nexplain:\n  enabled: false\n',
      });
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('the leftover stays while younger than the sweep threshold (1 h) and is swept once older', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'review', '-C', root, '--sandbox-url', url, '--no-cache'], {
        cwd: REPO,
        env: cliEnv(),
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      let leftover: string;
      try {
        // Ours is the sandbox database whose backend runs the marked statement.
        leftover = await until(
          'the child run to reach pg_sleep',
          async () => {
            const { rows } = await admin.query<{ datname: string }>(
              `select datname from pg_stat_activity where datname like 'pgpro\\_sbx\\_%' and query like $1`,
              [`%${MARK}%`],
            );
            return rows[0]?.datname;
          },
          60_000,
        );
      } finally {
        child.kill('SIGKILL');
      }
      expect(await exited).toBe('SIGKILL');
      expect((await sandboxDatabases()).has(leftover)).toBe(true);
      // Nobody connected any more (the server ended the orphaned statement at its timeout).
      await until(
        'the orphaned backend to end',
        async () => {
          const { rows } = await admin.query('select 1 from pg_stat_activity where datname = $1', [leftover]);
          return rows.length === 0 ? true : undefined;
        },
        30_000,
      );

      // A new run sweeps at start, but only leftovers over an hour old: this one could be a review in progress.
      const again = await cli(['review', `${EXAMPLE}/0001_create_customers.sql`, '-C', REPO, '--format', 'json', '--sandbox-url', url, '--no-cache']);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ stats: { engine: { name: 'postgres' } } });
      expect((await sandboxDatabases()).has(leftover)).toBe(true);

      // The sweep itself, with its default threshold, as the next run an hour later would call it
      // (others' sandboxes are kept out of it: tests in parallel may own them).
      const others = new Set([...(await sandboxDatabases())].filter((name) => name !== leftover));
      const dropped = await sweepStaleSandboxes(url, undefined, { now: new Date(Date.now() + 3_601_000), keep: others });
      expect(dropped).toEqual([leftover]);
      expect((await sandboxDatabases()).has(leftover)).toBe(false);
    }, 120_000);
  });
});
