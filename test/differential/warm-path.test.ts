// The warm path must report exactly what a fresh sandbox reports. The same change is reviewed three
// ways: on a fresh PGlite with no cache, on the warm path of a long-running process (the seeded snapshot
// restored ahead of time by its pool, after two reviews of the same base), and on the real PostgreSQL
// server (sandbox.engine: postgres, which has no snapshots). Warm and fresh must agree finding for
// finding, evidence included; the server must agree on what the trace observed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ChangeSet, Finding, ReviewResult } from '../../src/types.js';
import { SERVER_URL } from '../helpers/postgres-server.js';

const url = SERVER_URL;

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());\n',
  'db/migrations/0002_orders.sql': [
    'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), total bigint NOT NULL, note text);',
    'CREATE INDEX orders_account_idx ON orders (account_id);',
    '',
  ].join('\n'),
};
// Autocommit statements on one table (each its own transaction: no lock is held across them), a file in
// its own transaction, and one that cannot run in a transaction block.
const change = {
  'db/migrations/0003_orders.sql': [
    'ALTER TABLE orders ADD COLUMN placed_at timestamptz DEFAULT clock_timestamp();',
    'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);',
    'CREATE INDEX orders_total_idx ON orders (total);',
    'ALTER TABLE orders ALTER COLUMN note TYPE varchar(200);',
    '',
  ].join('\n'),
  'db/migrations/0004_accounts.sql': [
    'BEGIN;',
    'ALTER TABLE accounts ADD COLUMN tier text;',
    'UPDATE accounts SET tier = \'basic\';',
    'ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;',
    'COMMIT;',
    '',
  ].join('\n'),
  'db/migrations/0005_index.sql': 'CREATE INDEX CONCURRENTLY accounts_created_idx ON accounts (created_at);\n',
};
const settings = { sandbox: { 'seed-rows': 50 }, explain: { 'default-rows': 400 }, agent: { enabled: false } };
const config = validateConfig(settings, 'test');
const serverConfig = validateConfig({ ...settings, sandbox: { ...settings.sandbox, engine: 'postgres', url } }, 'test');

function pullRequest(): ChangeSet {
  return { head: memoryTree({ ...history, ...change }, 'head'), base: memoryTree(history, 'base-tree'), changed: Object.keys(change) };
}

/**
 * A finding as a report shows it, without what differs run to run: durations, and relfilenode numbers
 * (Postgres advances its oid counter when it starts from a data directory; the change is what counts).
 */
function shown(f: Finding) {
  const timeless = (text: string | undefined) => text?.replace(/\d+(\.\d+)? ?ms\b/g, '<ms>').replace(/relfilenode \d+ → \d+/g, 'relfilenode <a> → <b>');
  return { rule: f.rule, severity: f.severity, source: f.source, file: f.file, line: f.line, endLine: f.endLine, message: timeless(f.message), evidence: timeless(f.evidence), fingerprint: f.fingerprint };
}
const statuses = (r: ReviewResult) => r.migrations.map(({ durationMs: _, ...m }) => m);

describe('the warm path of a long-running process', () => {
  const cache = new SnapshotCache();
  const pool = new SandboxPool({ maxSandboxes: 1, maxMemoryMb: 4096 });
  let fresh: ReviewResult;
  let warm: ReviewResult;
  let server: ReviewResult;
  let readyBeforeWarm = 0;
  let servedByWarm = 0;

  beforeAll(async () => {
    fresh = await review(pullRequest(), { config }, { env: {} });
    // The first review replays the history and stores the seeded snapshot; the second restores it on
    // the spot; the pool then restores the next one while nothing runs; the third takes it.
    await review(pullRequest(), { config }, { env: {}, snapshotCache: cache, sandboxPool: pool });
    await review(pullRequest(), { config }, { env: {}, snapshotCache: cache, sandboxPool: pool });
    await pool.settled();
    readyBeforeWarm = pool.stats().ready;
    const servedBefore = pool.stats().served;
    warm = await review(pullRequest(), { config }, { env: {}, snapshotCache: cache, sandboxPool: pool });
    // The pool may already hold the next one: it refills once the review's history sandbox is closed,
    // while the review's later stages still run.
    servedByWarm = pool.stats().served - servedBefore;
    server = await review(pullRequest(), { config: serverConfig }, { env: {} });
  }, 300_000);

  afterAll(async () => {
    await pool.close();
  });

  it('was served by a sandbox restored ahead of time', () => {
    expect(readyBeforeWarm).toBe(1);
    expect(warm.notes).toContain('Restored 2 history migrations from the snapshot cache (the base\'s history files were not read).');
    expect(servedByWarm).toBe(1);
  });

  it('reports exactly what a fresh sandbox reports', () => {
    expect(statuses(warm)).toEqual(statuses(fresh));
    expect(warm.conclusion).toBe(fresh.conclusion);
    expect(warm.findings.map(shown)).toEqual(fresh.findings.map(shown));
    // The change was observed, not just linted: a rewrite, scans and the file's own transaction.
    expect(fresh.findings.some((f) => f.source === 'trace' || /pg_locks|relfilenode|scan/i.test(f.evidence ?? ''))).toBe(true);
  });

  it('agrees with the real PostgreSQL server on what the trace observed', () => {
    expect(statuses(server).map((m) => m.status)).toEqual(statuses(warm).map((m) => m.status));
    // What the trace saw on each statement (the server has no snapshots, so no retry rehearsal; no sizes are given, so no lock time).
    const traced = (r: ReviewResult) =>
      r.findings
        .filter((f) => /pg_locks/.test(f.evidence ?? ''))
        .map((f) => `${f.file}:${f.line} ${f.rule} ${(f.evidence ?? '').match(/pg_locks: [^;\n]*/)?.[0] ?? ''}`);
    expect(traced(warm)).toEqual(traced(server));
  });
});
