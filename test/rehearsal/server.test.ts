// Lock time with a real PostgreSQL server (DATABASE_URL, the local PostgreSQL the README names): production
// sizes read from a replica's statistics (rehearsal.stats-url), in a read-only transaction and without the
// URL's credentials in any message; and the rehearsal on the server engine, timed on the server (wall
// time: the work is the server's, not this process's) and said to be measured there. The rehearsal's
// budget is one no load reaches: the test is about what is said, not how fast.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { readReplicaSizes } from '../../src/rehearsal/replica-stats.js';
import { review } from '../../src/review.js';
import { agentSizes } from '../../src/stages/agent.js';
import type { ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const database = new URL(url).pathname.slice(1);
// A schema of this run's own: other test files share the server.
const SCHEMA = `pgpro_stats_${randomBytes(4).toString('hex')}`;

let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  await admin.query(`CREATE TABLE ${SCHEMA}.orders (id bigint PRIMARY KEY, note text, total int)`);
  await admin.query(`INSERT INTO ${SCHEMA}.orders SELECT g, 'note ' || g, g FROM generate_series(1, 3000) g`);
  await admin.query(`ANALYZE ${SCHEMA}.orders`);
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
});

describe('production sizes from a replica (rehearsal.stats-url)', () => {
  it("reads each table's rows and total size from the statistics, naming the source without the URL", async () => {
    const read = await readReplicaSizes(url);
    const size = read.sizes.get(`${SCHEMA}.orders`);
    expect(size).toMatchObject({ rows: 3000, source: `the statistics of the replica's database ${database} (rehearsal.stats-url)` });
    expect(size!.bytes).toBeGreaterThan(8192);
  });

  it("never repeats the URL's user or password in its error", async () => {
    const unreachable = readReplicaSizes('postgres://stats_reader_x:s3cr3t-pw@127.0.0.1:1/prod', 3000);
    await expect(unreachable).rejects.toThrow(/ECONNREFUSED/);
    const unknown = new URL(url);
    unknown.username = 'pgpro_no_such_role_x';
    unknown.password = 's3cr3t-pw';
    const error = await readReplicaSizes(unknown.toString(), 3000).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toBeTruthy();
    expect(error!.message).not.toContain('s3cr3t-pw');
    expect(error!.message).not.toContain('pgpro_no_such_role_x');
  });
});

describe("the Claude review's production sizes", () => {
  it('come from the replica too, read for the agent when the rehearsal did not read them', async () => {
    const config = parseConfig(`rehearsal:\n  lock-time: false\n  stats-url: ${url}\n`, 't.yml');
    const own = await agentSizes(config, undefined, {});
    expect(own.notes).toEqual([]);
    expect(own.sizes[`${SCHEMA}.orders`]).toMatchObject({ rows: 3000, source: `the statistics of the replica's database ${database} (rehearsal.stats-url)` });

    const unreachable = parseConfig('rehearsal:\n  stats-url: postgres://reader:pw@127.0.0.1:1/prod\n', 't.yml');
    const failed = await agentSizes(unreachable, undefined, {});
    expect(failed.sizes).toEqual({});
    expect(failed.notes).toHaveLength(1);
    expect(failed.notes[0]).toMatch(/^Claude review: the replica's statistics \(rehearsal\.stats-url\) could not be read: .*ECONNREFUSED/);
  });

  it("are the rehearsal's when it read them, with its notes said once, by the rehearsal", async () => {
    const read = { sizes: new Map([['public.orders', { rows: 7, source: 'explain.rows in the pgpro config' }]]), notes: ['said by the rehearsal'], configured: true };
    expect(await agentSizes(parseConfig('', 't.yml'), undefined, {}, read)).toEqual({
      sizes: { 'public.orders': { rows: 7, source: 'explain.rows in the pgpro config' } },
      notes: [],
    });
  });
});

describe('lock time on the server engine', () => {
  let result: ReviewResult;
  beforeAll(async () => {
    result = await review(
      {
        head: memoryTree({
          'db/migrations/0001_history.sql': `CREATE SCHEMA ${SCHEMA};\nCREATE TABLE ${SCHEMA}.orders (id bigint PRIMARY KEY, note text, total int);\n`,
          'db/migrations/0002_change.sql': `ALTER TABLE ${SCHEMA}.orders ALTER COLUMN total TYPE bigint;\n`,
        }),
        changed: ['db/migrations/0002_change.sql'],
      },
      {
        config: parseConfig(
          `sandbox:\n  engine: postgres\n  url: ${url}\nexplain:\n  enabled: false\nassume-in-transaction: true\nrehearsal:\n  stats-url: ${url}\n  sample-rows: 500\n  time-budget-seconds: 1800\n`,
          't.yml',
        ),
      },
      { env: {} },
    );
  }, 300_000);

  it('times the rewrite in server databases built as the review’s was, sized from the replica, and says how far that is from production', () => {
    expect(result.stats.engine).toMatchObject({ name: 'postgres' });
    const rewrite = result.findings.find((f) => f.rule === 'changing-column-type');
    expect(rewrite?.message).toContain(
      `this statement holds an ACCESS EXCLUSIVE lock on ${SCHEMA}.orders for ≈ `,
    );
    expect(rewrite?.message).toContain(`(3,000 rows, from the statistics of the replica's database ${database} (rehearsal.stats-url))`);
    expect(rewrite?.evidence).toContain('Measured in the sandbox server (');
    expect(rewrite?.evidence).toContain(`) at 500, 1,000, 2,000 rows of ${SCHEMA}.orders: `);
    expect(rewrite?.evidence).toContain('The sandbox server is not the production server');
    expect(result.notes.filter((n) => /Rehearsals|not estimated/.test(n))).toEqual([]);
  });
});
