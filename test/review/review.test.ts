// review() end to end on in-memory trees with a real PGlite sandbox: what a broken file, a missing
// extension, ignores and the config's rule policy do to the result, and the history snapshot cache.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { conclude, review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ChangeSet, Finding, ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} }; // no ANTHROPIC_API_KEY: the agent stage only adds its "skipped" note
const config = (yaml: string) => parseConfig(yaml, 'test.yml');
const FAST = 'explain:\n  enabled: false\n';

const ORDERS = 'CREATE TABLE orders (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  total_cents bigint NOT NULL\n);\n';
const IGNORED = 'db/migrations/0002_note.sql';
const NOT_IGNORED = 'db/migrations/0003_memo.sql';

/** Named files are new, the rest history (as `pgpro review <files>` builds it). */
function change(files: Record<string, string>, changed: string[]): ChangeSet {
  return { head: memoryTree(files), changed };
}

const policyChange = change(
  {
    'db/migrations/0001_orders.sql': ORDERS,
    [IGNORED]: [
      '-- pgpro-ignore require-timeout-settings -- the deploy sets lock_timeout',
      'ALTER TABLE orders ADD COLUMN note text;',
      '-- pgpro-ignore prefer-text-field',
      "UPDATE orders SET note = 'x';",
      '',
    ].join('\n'),
    [NOT_IGNORED]: 'ALTER TABLE orders ADD COLUMN memo text;\n',
  },
  [IGNORED, NOT_IGNORED],
);
// Explain on a modest volume: enough rows for a plan, quick to insert.
const POLICY_BASE = 'explain:\n  default-rows: 2000\n';

const rulesAt = (result: ReviewResult, file: string) =>
  result.findings.filter((f) => f.file === file).map((f) => [f.rule, f.line, f.severity, f.source]);

describe('ignores, rule policy and the conclusion', () => {
  let plain: ReviewResult;
  let tuned: ReviewResult;
  beforeAll(async () => {
    plain = await review(policyChange, { config: config(POLICY_BASE) }, deps);
    tuned = await review(
      policyChange,
      { config: config(`${POLICY_BASE}rules:\n  lock-access-exclusive: error\n  backfill-in-one-statement: 'off'\n`) },
      deps,
    );
  });

  it('a -- pgpro-ignore drops its finding; the same statement without one keeps it', () => {
    expect(rulesAt(plain, NOT_IGNORED)).toContainEqual(['require-timeout-settings', 1, 'warning', 'lint']);
    expect(plain.findings.filter((f) => f.file === IGNORED && f.rule === 'require-timeout-settings')).toEqual([]);
  });

  it('an ignore that silences nothing is itself an info finding at its line', () => {
    const unused = plain.findings.filter((f) => f.rule === 'unused-ignore');
    expect(unused).toEqual([expect.objectContaining({ file: IGNORED, line: 3, severity: 'info' })]);
    expect(unused[0]!.message).toMatch(/prefer-text-field/);
  });

  it('without config, the trace and the EXPLAIN checks report at their default severities', () => {
    expect(rulesAt(plain, IGNORED)).toEqual(
      expect.arrayContaining([
        ['lock-access-exclusive', 2, 'info', 'trace'],
        ['backfill-in-one-statement', 4, 'warning', 'explain'],
      ]),
    );
  });

  it('config rules: a severity override and "off" apply to trace and explain findings too', () => {
    const lock = tuned.findings.filter((f) => f.rule === 'lock-access-exclusive');
    expect(lock.map((f) => [f.file, f.line, f.severity, f.source])).toEqual([[IGNORED, 2, 'error', 'trace']]);
    // In the other file the brief lock is the timeout advice's hazard (one finding): raising the lock
    // note's severity raises the finding that holds it.
    expect(rulesAt(tuned, NOT_IGNORED)).toEqual([['require-timeout-settings', 1, 'error', 'lint']]);
    expect(rulesAt(plain, NOT_IGNORED)).toEqual([['require-timeout-settings', 1, 'warning', 'lint']]);
    expect(tuned.findings.filter((f) => f.rule === 'backfill-in-one-statement')).toEqual([]);
    // Everything else is untouched by the policy.
    const others = (r: ReviewResult) =>
      r.findings.filter((f) => !['lock-access-exclusive', 'backfill-in-one-statement', 'require-timeout-settings'].includes(f.rule)).map((f) => f.fingerprint);
    expect(others(tuned)).toEqual(others(plain));
  });

  it('the conclusion follows fail-on: neutral for warnings at fail-on error, failure once something reaches it', () => {
    expect(plain.findings.some((f) => f.severity === 'error')).toBe(false);
    expect(plain.conclusion).toBe('neutral');
    expect(tuned.conclusion).toBe('failure');
    expect(conclude(plain.findings, 'warning')).toBe('failure');
    expect(conclude(plain.findings, 'none')).toBe('neutral');
    const infoOnly: Finding[] = plain.findings.filter((f) => f.severity === 'info');
    expect(infoOnly.length).toBeGreaterThan(0);
    expect(conclude(infoOnly, 'error')).toBe('success');
    expect(conclude(infoOnly, 'info')).toBe('failure');
  });

  it('every migration is accounted for, history first', () => {
    expect(plain.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_orders.sql', 'applied'],
      [IGNORED, 'applied'],
      [NOT_IGNORED, 'applied'],
    ]);
  });
});

describe('a syntax error in one file', () => {
  let result: ReviewResult;
  beforeAll(async () => {
    result = await review(
      change(
        {
          'db/migrations/0001_orders.sql': ORDERS,
          'db/migrations/0002_bad.sql': 'ALTER TABLE orders ADD COLUMN a text;\n\nALTER TABLE orders ADD COLUMN b tex t;\n',
          'db/migrations/0003_more.sql': 'ALTER TABLE orders ALTER COLUMN total_cents TYPE numeric;\n',
        },
        ['db/migrations/0002_bad.sql', 'db/migrations/0003_more.sql'],
      ),
      { config: config(FAST) },
      deps,
    );
  });

  it('is an error finding at its line, and the file is failed at that line', () => {
    expect(result.findings.filter((f) => f.rule === 'syntax-error')).toEqual([
      expect.objectContaining({ file: 'db/migrations/0002_bad.sql', line: 3, severity: 'error', source: 'parse' }),
    ]);
    expect(result.migrations[1]).toMatchObject({ file: 'db/migrations/0002_bad.sql', status: 'failed', error: { line: 3, sqlstate: '42601' } });
    expect(result.conclusion).toBe('failure');
  });

  it('the other files are still reviewed: the statement before it and the next file are linted', () => {
    expect(rulesAt(result, 'db/migrations/0002_bad.sql')).toContainEqual(['require-timeout-settings', 1, 'warning', 'lint']);
    expect(rulesAt(result, 'db/migrations/0003_more.sql')).toContainEqual(['changing-column-type', 1, 'error', 'lint']);
    // …but not applied on top of a file that could not run.
    expect(result.migrations.map((m) => m.status)).toEqual(['applied', 'failed', 'not-run']);
  });
});

describe('a missing extension, and the snapshot cache', () => {
  const files = {
    'db/migrations/0001_orders.sql': ORDERS,
    'db/migrations/0002_index.sql': 'CREATE INDEX orders_total_idx ON orders (total_cents);\n',
    'db/migrations/0003_geo.sql': 'CREATE EXTENSION postgis;\nALTER TABLE orders ADD COLUMN place geometry(Point, 4326);\n',
    'db/migrations/0004_after.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
  };
  const geo = change(files, ['db/migrations/0003_geo.sql', 'db/migrations/0004_after.sql']);
  const cache = new SnapshotCache();
  let first: ReviewResult;
  let second: ReviewResult;
  beforeAll(async () => {
    first = await review(geo, { config: config(FAST) }, { ...deps, snapshotCache: cache });
    second = await review(geo, { config: config(FAST) }, { ...deps, snapshotCache: cache });
  });

  it('CREATE EXTENSION postgis in PGlite costs that statement and the one needing it, not the review', () => {
    expect(first.notes.some((n) => n.startsWith('The extension "postgis" is not available in the PGlite sandbox'))).toBe(true);
    expect(first.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_orders.sql', 'applied'],
      ['db/migrations/0002_index.sql', 'applied'],
      ['db/migrations/0003_geo.sql', 'applied'],
      ['db/migrations/0004_after.sql', 'applied'],
    ]);
    expect(first.migrations[2]).not.toHaveProperty('error');
    expect(first.notReviewed).toEqual([
      {
        file: 'db/migrations/0003_geo.sql',
        status: 'not-run',
        reason: 'missing-extension',
        message: 'the statement at line 2 needs the extension postgis, which the sandbox does not have; the rest of the file was applied',
      },
    ]);
    expect(first.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(first.findings.filter((f) => f.source === 'apply' || f.source === 'parse').map((f) => [f.rule, f.file, f.line])).toEqual([
      ['not-reviewed', 'db/migrations/0003_geo.sql', 2],
    ]);
    // The file after it was reviewed: its hazards are found.
    expect(first.findings.some((f) => f.file === 'db/migrations/0004_after.sql')).toBe(true);
    expect(first.conclusion).not.toBe('success');
  });

  it('the first review replays the history and says nothing of a cache; the second restores it', () => {
    expect(first.notes.some((n) => n.startsWith('Restored'))).toBe(false);
    expect(second.notes).toContain('Restored 2 history migrations from the snapshot cache.');
    expect(second.migrations.slice(0, 2)).toEqual([
      { file: 'db/migrations/0001_orders.sql', status: 'applied', statements: 1, durationMs: 0 },
      { file: 'db/migrations/0002_index.sql', status: 'applied', statements: 1, durationMs: 0 },
    ]);
  });

  it('a restored history gives the same review', () => {
    const comparable = (r: ReviewResult) => ({ findings: r.findings, statuses: r.migrations.map((m) => [m.file, m.status]) });
    expect(comparable(second)).toEqual(comparable(first));
  });
});

describe('fix proofs out of time', () => {
  it('says once, in a note, which fixes were not proven in time; their titles say why', { timeout: 300_000 }, async () => {
    const result = await review(
      change({ 'db/migrations/0001_orders.sql': ORDERS, 'db/migrations/0002_index.sql': 'CREATE INDEX orders_total_idx ON orders (total_cents);\n' }, ['db/migrations/0002_index.sql']),
      { config: config(`${FAST}limits:\n  fix-proof-seconds: 0.001\nrehearsal:\n  retry: false\n`), agent: 'off' },
      deps,
    );
    const unproven = result.findings.filter((f) => f.fix?.proof?.reason === 'budget');
    expect(unproven.length).toBeGreaterThan(0);
    expect(unproven[0]!.fix!.title).toMatch(/\(not verified: the proof ran out of time\)$/);
    expect(result.notes).toContainEqual(expect.stringMatching(/^Fix proof: \d+ fix(es were| was) not proven within limits\.fix-proof-seconds, the review deadline or a sandbox time limit \(db\/migrations\/0002_index\.sql:1/));
  });
});
