// The bundled example (examples/shop) through the whole CLI, in-process: one run per format or
// --fail-on value that needs its own, each asserting what only that run can show.
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/report/json.js';
import { cli, EXAMPLE, FIXTURES, REPO, type CliRun } from './helpers.js';

const NEW = [`${EXAMPLE}/0009_order_tracking.sql`, `${EXAMPLE}/0010_customer_tiers.sql`];
const review = (...extra: string[]) => cli(['review', ...NEW, '-C', REPO, '--no-cache', ...extra]);
/** Runs that check a format or an exit code skip EXPLAIN (and its 20k-row fill): the json run covers plans. */
const quickReview = (...extra: string[]) => review('--config', `${FIXTURES}/no-explain.yml`, ...extra);

const FINDING_KEYS = ['rule', 'severity', 'source', 'file', 'line', 'endLine', 'message', 'fix', 'evidence', 'fingerprint', 'confidence', 'occurrences'];

let json: CliRun;
let report: JsonReport;
beforeAll(async () => {
  json = await review('--format', 'json');
  report = JSON.parse(json.stdout) as JsonReport;
}, 600_000); // a whole review with EXPLAIN and the fix proof, on a machine that may be busy

describe('pgpro review on the example, --format json', () => {
  it('exits 1: the example has errors at the default --fail-on error', () => {
    expect(json.stderr).not.toMatch(/could not run/);
    expect(json.code).toBe(1);
    expect(report.conclusion).toBe('failure');
  });

  it('prints exactly the contract: version 1, its keys in order, no sources', () => {
    expect(Object.keys(report)).toEqual(['version', 'conclusion', 'migrations', 'findings', 'notes', 'stats', 'notReviewed', 'waivers']);
    expect(report.version).toBe(1);
    expect(report).not.toHaveProperty('sources');
    expect(report.notes.every((n) => typeof n === 'string')).toBe(true);
    expect(report.stats).toMatchObject({ migrationsTotal: 10, migrationsNew: 2, engine: { name: 'pglite' } });
    expect(report.stats.statements).toBeGreaterThan(10);
    expect(report.stats.durationMs).toBeGreaterThan(0);
    expect(Object.keys(report.stats.stages)).toEqual(expect.arrayContaining(['sandbox', 'apply', 'lint', 'trace', 'explain']));
    // No key: Claude was not asked, so the stats claim no token use (a note says it was skipped).
    expect(report.stats.agent).toBeUndefined();
    expect(report.notes).toContain('Claude review skipped: ANTHROPIC_API_KEY is not set.');
  });

  it('named files are new, their earlier siblings history: 8 applied history + 2 new', () => {
    const files = report.migrations.map((m) => m.file);
    expect(files).toEqual([...Array.from({ length: 8 }, (_, i) => expect.stringMatching(new RegExp(`^${EXAMPLE}/000${i + 1}_`))), ...NEW]);
    expect(report.migrations.slice(0, 8).every((m) => m.status === 'applied')).toBe(true);
    for (const m of report.migrations) {
      expect(Object.keys(m).slice(0, 4)).toEqual(['file', 'status', 'statements', 'durationMs']);
      expect(m.statements).toBeGreaterThan(0);
      expect(typeof m.durationMs).toBe('number');
    }
    expect(report.migrations[8]).toMatchObject({ file: NEW[0], status: 'applied', statements: 7 });
    expect(report.migrations[9]).toEqual({
      file: NEW[1],
      status: 'failed',
      statements: 3,
      durationMs: expect.any(Number),
      error: { message: expect.stringContaining('tier_id'), line: 7, sqlstate: '23502' },
    });
  });

  it('findings carry every Finding field in contract order, only on the new files', () => {
    expect(report.findings.length).toBeGreaterThan(10);
    for (const f of report.findings) {
      expect(NEW).toContain(f.file);
      expect(['error', 'warning', 'info']).toContain(f.severity);
      expect(['parse', 'apply', 'lint', 'trace', 'explain', 'agent']).toContain(f.source);
      expect(f.rule).toMatch(/^[a-z0-9/-]+$/);
      expect(f.line).toBeGreaterThanOrEqual(1);
      expect(f.endLine).toBeGreaterThanOrEqual(f.line);
      expect(f.message.length).toBeGreaterThan(10);
      expect(f.fingerprint).toMatch(/^[0-9a-f]{8,}$/);
      const keys = Object.keys(f);
      expect(keys.filter((k) => !FINDING_KEYS.includes(k))).toEqual([]);
      expect(keys).toEqual(FINDING_KEYS.filter((k) => keys.includes(k)));
    }
    expect(new Set(report.findings.map((f) => f.fingerprint)).size).toBe(report.findings.length);
  });

  it('finds what the example hides: ≥5 rules, the apply error at 0010 line 7, trace and explain evidence', () => {
    expect(new Set(report.findings.map((f) => f.rule)).size).toBeGreaterThanOrEqual(5);
    // The rule predicted the failure the sandbox saw: one finding, the rule's, with the failure in it.
    const apply = report.findings.find((f) => f.rule === 'adding-required-field');
    expect(apply).toMatchObject({ file: NEW[1], line: 7, severity: 'error' });
    expect(apply!.message).toMatch(/This fails on a non-empty table: observed in the sandbox \(column "tier_id" of relation "customers" contains null values, SQLSTATE 23502/);
    expect(apply!.evidence).toMatch(/apply-error/);
    expect(report.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);

    // The type change on order_items is seen to rewrite the table, not only guessed from the AST.
    const rewrite = report.findings.find((f) => f.rule === 'changing-column-type');
    expect(rewrite).toMatchObject({ file: NEW[0], line: 11, severity: 'error' });
    expect(rewrite!.evidence).toMatch(/table-rewrite/);
    const traced = report.findings.filter((f) => f.source === 'trace');
    expect(traced.length).toBeGreaterThan(0);
    // The observed locks are evidence, on the trace's findings or on the findings that absorbed them.
    expect(report.findings.some((f) => /pg_locks: AccessExclusiveLock on public\.orders/.test(f.evidence ?? ''))).toBe(true);

    const explain = report.findings.find((f) => f.source === 'explain');
    expect(explain).toMatchObject({ file: NEW[0], line: 14 });
    expect(explain!.evidence).toMatch(/Seq Scan/);
    expect(report.notes).toContain('Claude review skipped: ANTHROPIC_API_KEY is not set.');
  });

  it('says nothing on stderr but progress when stderr is not a terminal and the format is json', () => {
    expect(json.stderr).toBe('');
  });
});

// Whole reviews: time enough on a machine busy with other work (nothing here is about speed).
describe('pgpro review on the example, other formats', { timeout: 300_000 }, () => {
  it('text (the default): file:line, the statement quoted with its line numbers, the fix; progress on stderr', async () => {
    const run = await quickReview();
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('\x1b['); // no colour when stdout is not a terminal
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes(`${NEW[1]}:7`) && l.includes('adding-required-field'));
    expect(at).toBeGreaterThanOrEqual(0);
    const block = lines.slice(at, at + 12).join('\n');
    expect(block).toMatch(/7 │ ALTER TABLE customers ADD COLUMN tier_id integer NOT NULL REFERENCES loyalty_tiers \(id\);/);
    expect(block).toMatch(/fix: /);
    expect(run.stdout).toMatch(/changing-column-type/);
    expect(run.stdout).toMatch(/11 │ ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;/);
    expect(run.stderr).toMatch(/Applying examples\/shop\/db\/migrations\/0009_order_tracking\.sql/);
  });

  it('markdown with --fail-on none: exit 0, the hidden summary marker first, the rewrite timed at the sizes the example ships', async () => {
    const run = await review('--config', `${FIXTURES}/example-lock-time.yml`, '--format', 'markdown', '--fail-on', 'none');
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('<!-- pgpro:summary -->')).toBe(true);
    expect(run.stdout).toContain('0010_customer_tiers.sql');
    expect(run.stdout).toContain('observed in the sandbox');
    // The type change on order_items, scaled to the row count of examples/shop/db/production-stats.csv.
    expect(run.stdout).toContain('Scaled from the sandbox to production size, this statement holds an ACCESS EXCLUSIVE lock on public.order_items for ≈ ');
    expect(run.stdout).toContain('(118M rows, from the production stats file examples/shop/db/production-stats.csv)');
  }, 600_000);

  it('sarif 2.1.0 with one result per finding; --fail-on info still fails', async () => {
    const run = await quickReview('--format', 'sarif', '--fail-on', 'info');
    expect(run.code).toBe(1);
    const sarif = JSON.parse(run.stdout) as {
      version: string;
      $schema: string;
      runs: { tool: { driver: { name: string } }; results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif/);
    const results = sarif.runs[0]!.results;
    // Without EXPLAIN, the static unbounded-data-change stands alone where the full run's backfill finding holds it.
    const heldByExplain = report.findings.filter((f) => f.source === 'explain' && /\(unbounded-data-change\)/.test(f.evidence ?? '')).length;
    expect(results).toHaveLength(report.findings.filter((f) => f.source !== 'explain').length + heldByExplain);
    const applyError = results.find((r) => r.ruleId === 'adding-required-field');
    expect(applyError?.level).toBe('error');
    expect(applyError?.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: NEW[1] }, region: { startLine: 7 } });
  });
});
