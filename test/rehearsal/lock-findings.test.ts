// The lock-time estimate as a finding, from given samples: what it says, what it admits, and the
// threshold that makes it an error. Deterministic: no statement is timed here.
import { describe, expect, it } from 'vitest';
import { estimateAt } from '../../src/rehearsal/fit.js';
import { compactCount, lockTimeFinding, type LockTimeInput } from '../../src/rehearsal/lock-findings.js';
import { lockSubjects } from '../../src/rehearsal/lock-subjects.js';
import { lockTimeAtProductionSize, productionSizes, statsUrl } from '../../src/rehearsal/sizes.js';
import { parseConfig } from '../../src/config/parse.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { CatalogSnapshot, StatementOutcome } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const catalog = {
  tables: [
    { schema: 'public', name: 'orders', estimatedRows: 20000, columns: [], indexes: [], constraints: [] },
    { schema: 'public', name: 'customers', estimatedRows: 200, columns: [], indexes: [], constraints: [] },
  ],
  functions: [],
  extensions: [],
  enums: [],
} as unknown as CatalogSnapshot;

const observed = (index: number, line: number, observation: Partial<NonNullable<StatementOutcome['observation']>>): StatementOutcome => ({
  index,
  line,
  endLine: line,
  status: 'ok',
  durationMs: 5,
  observation: { locks: [], rewrites: [], scans: [], changes: [], lockTimeout: '0', statementTimeout: '0', inTransaction: true, ...observation },
});

describe('lockSubjects: the statements worth timing', async () => {
  const parsed = await parseMigrationSql(
    [
      'ALTER TABLE orders ALTER COLUMN total TYPE bigint;',
      'CREATE INDEX orders_note_idx ON orders (note);',
      'ALTER TABLE orders ADD COLUMN shipped_at timestamptz;',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;',
      "UPDATE orders SET note = 'x';",
      'CREATE TABLE fresh (id int);',
    ].join('\n'),
    'db/x.sql',
  );
  const outcomes = [
    observed(0, 1, { locks: [{ relation: 'public.orders', kind: 'table', mode: 'AccessExclusiveLock' }], rewrites: ['public.orders', 'public.orders_pkey'], scans: [{ relation: 'public.orders', seqScans: 1, rowsRead: 20000 }] }),
    observed(1, 2, { locks: [{ relation: 'public.orders', kind: 'table', mode: 'ShareLock' }], scans: [{ relation: 'public.orders', seqScans: 1, rowsRead: 20000 }] }),
    // A lock alone, no work on the rows: brief, whatever the size.
    observed(2, 3, { locks: [{ relation: 'public.orders', kind: 'table', mode: 'AccessExclusiveLock' }] }),
    // A scan under a lock that blocks no writes.
    observed(3, 4, { locks: [{ relation: 'public.orders', kind: 'table', mode: 'ShareUpdateExclusiveLock' }], scans: [{ relation: 'public.orders', seqScans: 1, rowsRead: 20000 }] }),
    observed(4, 5, { locks: [{ relation: 'public.orders', kind: 'table', mode: 'RowExclusiveLock' }], scans: [{ relation: 'public.orders', seqScans: 1, rowsRead: 20000 }] }),
    observed(5, 6, {}),
  ];
  const subjects = lockSubjects(parsed.statements, outcomes, catalog);

  it('takes rewrites, scans and index builds under a lock that blocks writes or reads, on tables that existed', () => {
    expect(subjects.map((s) => [s.statement.line, s.tables, s.rewrites, s.mode, s.growth])).toEqual([
      [1, ['public.orders'], ['public.orders'], 'AccessExclusiveLock', 'linear'],
      [2, ['public.orders'], [], 'ShareLock', 'n-log-n'],
    ]);
  });
});

describe('lockTimeFinding', async () => {
  const [statement] = (await parseMigrationSql('ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n', 'db/x.sql')).statements;
  const samples = [
    { rows: 40000, ms: 80 },
    { rows: 20000, ms: 40 },
    { rows: 80000, ms: 160 },
  ];
  const input: LockTimeInput = {
    file: 'db/x.sql',
    subject: { at: 0, statement: statement!, tables: ['public.orders'], rewrites: ['public.orders'], mode: 'AccessExclusiveLock', growth: 'linear' },
    table: 'public.orders',
    size: { rows: 41_000_000, source: 'the production stats file db/stats.csv' },
    samples,
    estimate: estimateAt(samples, 41_000_000, 'linear'),
    engine: { name: 'pglite', version: '0.5.16 (PostgreSQL 18.6)' },
  };

  it('states the range at production size, the lock, the table and what waits', () => {
    const finding = lockTimeFinding(input);
    expect(finding).toMatchObject({ rule: 'lock-time-estimate', severity: 'info', source: 'trace', line: 1, endLine: 1 });
    expect(finding.message).toBe(
      'Scaled from the sandbox to production size, this statement holds an ACCESS EXCLUSIVE lock on public.orders for ≈ 1.1–2.5 min ' +
        '(41M rows, from the production stats file db/stats.csv): every query on orders waits, reads included.',
    );
    expect(finding.hazard?.brief).toBe(finding.message);
  });

  it('says it was measured in the sandbox, at which sizes, and how far PGlite is from a production server', () => {
    const { evidence } = lockTimeFinding(input);
    expect(evidence).toMatch(/^Measured in the PGlite sandbox \(0\.5\.16 \(PostgreSQL 18\.6\)\) at 20,000, 40,000, 80,000 rows of public\.orders: 40 ms, 80 ms, 160 ms/);
    expect(evidence).toContain('fitted linear growth, 82 s at 41,000,000 rows (n log n gives 2 min)');
    expect(evidence).toContain('PGlite is PostgreSQL compiled to WebAssembly');
    expect(evidence).toContain('Read it as an order of magnitude, not a promise.');
  });

  it('becomes an error when the whole range reaches rehearsal.fail-on-lock-seconds, a warning when the range spans it', () => {
    // The range is ≈ 1.1-2.5 min (82 s fitted).
    const [low, high] = [input.estimate.lowMs / 1000, input.estimate.highMs / 1000];
    expect(low).toBeLessThan(82);
    expect(high).toBeGreaterThan(82);
    const reached = lockTimeFinding({ ...input, failOnSeconds: 60 });
    expect(reached.severity).toBe('error');
    expect(reached.message).toMatch(/That reaches rehearsal\.fail-on-lock-seconds \(60 s\)\.$/);
    expect(lockTimeFinding({ ...input, failOnSeconds: Math.floor(low) }).severity).toBe('error');
    for (const limit of [Math.ceil(low), 82, Math.floor(high)]) {
      const spanned = lockTimeFinding({ ...input, failOnSeconds: limit });
      expect(spanned.severity).toBe('warning');
      expect(spanned.message).toMatch(new RegExp(`\\. The range spans rehearsal\\.fail-on-lock-seconds \\(${limit} s\\): it may reach it\\.$`));
    }
    expect(lockTimeFinding({ ...input, failOnSeconds: Math.ceil(high) + 1 }).severity).toBe('info');
    expect(lockTimeFinding({ ...input, failOnSeconds: 600 }).message).not.toMatch(/fail-on-lock-seconds/);
  });

  it('names only write blocking for a SHARE lock', () => {
    const share = lockTimeFinding({ ...input, subject: { ...input.subject, mode: 'ShareLock' } });
    expect(share.message).toContain('a SHARE lock on public.orders');
    expect(share.message).toContain('INSERT, UPDATE and DELETE on orders wait (reads go on)');
  });

  it('counts rows compactly', () => {
    expect([950, 12_500, 350_000, 1_200_000, 41_000_000, 2_500_000_000].map(compactCount)).toEqual(['950', '13k', '350k', '1.2M', '41M', '2.5B']);
  });
});

describe('productionSizes: only what the user states', () => {
  it('reads explain.rows and the stats file, the file winning; notes what it cannot read', async () => {
    const config = parseConfig('explain:\n  rows:\n    orders: 5000\n    items: 70\nrehearsal:\n  production-stats: db/stats.csv\n', 't.yml');
    const head = memoryTree({ 'db/stats.csv': 'schemaname,relname,rows,total_bytes\npublic,orders,41000000,9663676416\npublic,broken\n' });
    const sizes = await productionSizes(config, head);
    expect(sizes.configured).toBe(true);
    expect(Object.fromEntries(sizes.sizes)).toEqual({
      'public.orders': { rows: 41_000_000, bytes: 9_663_676_416, source: 'the production stats file db/stats.csv' },
      'public.items': { rows: 70, source: 'explain.rows in the pgpro config' },
    });
    expect(sizes.notes).toEqual(['Lock time at production size: 1 entry of db/stats.csv could not be read (db/stats.csv:3: needs a table name and a row count).']);
  });

  it('falls back to agent.production-stats, and says when the file is missing', async () => {
    const config = parseConfig('agent:\n  production-stats: db/missing.csv\n', 't.yml');
    const sizes = await productionSizes(config, memoryTree({}));
    expect(sizes).toEqual({
      sizes: new Map(),
      configured: true,
      notes: ["Lock time at production size: the stats file db/missing.csv is not in the change's head, so its sizes are unknown."],
    });
    expect((await productionSizes(parseConfig('', 't.yml'), memoryTree({}))).configured).toBe(false);
  });
});

describe('lockTimeAtProductionSize: the one answer the rehearsal stage and the CLI\'s WASM tier both take', () => {
  // A replica nothing listens on: productionSizes only notes that it could not be read.
  const replica = 'postgres://reader@127.0.0.1:1/prod';
  const rows: Array<[string, Record<string, unknown>, NodeJS.ProcessEnv, boolean]> = [
    ['nothing named', {}, {}, false],
    ['an empty explain.rows', { explain: { rows: {} } }, {}, false],
    ['an empty PGPRO_STATS_URL', {}, { PGPRO_STATS_URL: '' }, false],
    ['explain.rows', { explain: { rows: { orders: 5000 } } }, {}, true],
    ['rehearsal.production-stats', { rehearsal: { 'production-stats': 'db/stats.csv' } }, {}, true],
    ['agent.production-stats', { agent: { 'production-stats': 'db/stats.csv' } }, {}, true],
    ['rehearsal.stats-url', { rehearsal: { 'stats-url': replica } }, {}, true],
    ['PGPRO_STATS_URL', {}, { PGPRO_STATS_URL: replica }, true],
  ];

  it.each(rows)('%s: with rehearsal.lock-time on as it says, off never', async (_name, settings, env, sized) => {
    const on = parseConfig(JSON.stringify(settings), 't.yml');
    expect(on.rehearsal['lock-time']).toBe(true);
    expect(lockTimeAtProductionSize(on, env)).toBe(sized);
    // The rehearsal's own reading of the sizes says the same ("no production sizes were given" otherwise).
    expect((await productionSizes(on, memoryTree({}), statsUrl(on, env))).configured).toBe(sized);
    const rehearsal = { ...(settings.rehearsal as object | undefined), 'lock-time': false };
    const off = parseConfig(JSON.stringify({ ...settings, rehearsal }), 't.yml');
    expect(lockTimeAtProductionSize(off, env)).toBe(false);
  });
});
