// The corpus harness's pure parts: the manifest, the trees of a pull request, statement lines for the
// oracle, and the comparisons. The harness itself needs fetched repositories and never runs here.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadMigrations, memoryTree } from '../../src/migrations/index.js';
import { entryConfig, ManifestError, parseManifest, renderText, selectEntries } from '../../scripts/corpus/manifest.js';
import { statementsOf } from '../../scripts/corpus/oracle.js';
import { compareRuns, oracleDiff, renderComparison, renderSummary, type EntryResult, type PrReview } from '../../scripts/corpus/results.js';
import { pullRequestTrees } from '../../scripts/corpus/tree.js';

const entry = (extra: Record<string, unknown> = {}) => ({
  name: 'shop',
  repo: 'acme/shop',
  commit: 'a'.repeat(40),
  path: 'db/migrations',
  tool: 'dbmate',
  ...extra,
});
const manifest = (...entries: unknown[]) => JSON.stringify({ entries });

describe('parseManifest', () => {
  it('reads entries with defaults and keeps the pgpro config', () => {
    const [parsed] = parseManifest(manifest(entry({ config: { sandbox: { setup: [{ sql: 'CREATE SCHEMA app;' }] } } })));
    expect(parsed).toMatchObject({ name: 'shop', render: [], notes: '' });
    const config = entryConfig(parsed!);
    expect(config.sandbox.setup).toEqual([{ sql: 'CREATE SCHEMA app;' }]);
    expect(config.agent.enabled).toBe(false);
  });

  it('names the field that is wrong', () => {
    expect(() => parseManifest(manifest(entry({ commit: 'abc' })))).toThrow(/entries\.0\.commit: .*40 hex digits/);
    expect(() => parseManifest(manifest(entry({ extra: 1 })))).toThrow(ManifestError);
    expect(() => parseManifest('{')).toThrow(/not JSON/);
  });

  it('rejects a pgpro config pgpro would reject, and duplicate names', () => {
    expect(() => parseManifest(manifest(entry({ config: { sandbox: { engine: 'mysql' } } })))).toThrow(/shop[\s\S]*sandbox\.engine/);
    expect(() => parseManifest(manifest(entry(), entry()))).toThrow(/"shop" is used twice/);
  });

  it('selects entries by name and refuses unknown ones', () => {
    const entries = parseManifest(manifest(entry(), entry({ name: 'blog' })));
    expect(selectEntries(entries, 'blog').map((e) => e.name)).toEqual(['blog']);
    expect(selectEntries(entries, undefined)).toHaveLength(2);
    expect(() => selectEntries(entries, 'blog,nope')).toThrow(/Unknown corpus entries: nope/);
  });

  it('renders template placeholders the way the tool does', () => {
    const [parsed] = parseManifest(manifest(entry({ render: [{ from: '{{ ns }}', to: 'auth' }] })));
    expect(renderText(parsed!, 'ALTER TABLE {{ ns }}.users ADD x int; -- {{ ns }}')).toBe('ALTER TABLE auth.users ADD x int; -- auth');
  });

  it('accepts the committed manifest', async () => {
    const text = await readFile(new URL('../../scripts/corpus/repos.json', import.meta.url), 'utf8');
    const entries = parseManifest(text);
    expect(entries.length).toBeGreaterThanOrEqual(7);
    expect(new Set(entries.map((e) => e.tool.split(' ')[0])).size).toBeGreaterThanOrEqual(6);
  });
});

describe('pullRequestTrees', () => {
  it('puts earlier migrations in the base and adds exactly one migration folder in the head', async () => {
    const tree = memoryTree({
      'migrations/2024-01-01_a/up.sql': 'CREATE TABLE a (id int);',
      'migrations/2024-01-01_a/down.sql': 'DROP TABLE a;',
      'migrations/2024-02-01_b/up.sql': 'CREATE TABLE b (id int);',
      'migrations/2024-02-01_b/metadata.toml': 'run_in_transaction = false',
      'migrations/2024-03-01_c/up.sql': 'CREATE TABLE c (id int);',
    });
    const { migrations } = await loadMigrations(tree, { convention: 'diesel' });
    const pr = pullRequestTrees(tree, migrations, 1);
    expect(pr.base.paths).toEqual(['migrations/2024-01-01_a/down.sql', 'migrations/2024-01-01_a/up.sql']);
    expect(pr.changed).toEqual(['migrations/2024-02-01_b/metadata.toml', 'migrations/2024-02-01_b/up.sql']);
    expect(pr.head.paths).toEqual([...pr.base.paths, ...pr.changed]);
    expect(await pr.head.read('migrations/2024-03-01_c/up.sql')).toBeUndefined();
  });

  it('takes a flat migration with its down file', async () => {
    const tree = memoryTree({
      'm/1_a.up.sql': 'SELECT 1;',
      'm/1_a.down.sql': 'SELECT 1;',
      'm/2_b.up.sql': 'SELECT 2;',
      'm/2_b.down.sql': 'SELECT 2;',
    });
    const { migrations } = await loadMigrations(tree);
    const pr = pullRequestTrees(tree, migrations, 1);
    expect(pr.changed).toEqual(['m/2_b.down.sql', 'm/2_b.up.sql']);
    expect(pr.base.paths).toEqual(['m/1_a.down.sql', 'm/1_a.up.sql']);
  });
});

describe('statementsOf', () => {
  it('splits like psql and gives each statement its file line', () => {
    const sql = "-- header\nCREATE TABLE t (x text DEFAULT 'a;b');\n\nDO $$ BEGIN PERFORM 1; END $$;\nSELECT 1";
    expect(statementsOf({ sql, lineOffset: 2 })).toEqual([
      { text: "CREATE TABLE t (x text DEFAULT 'a;b')", line: 4 },
      { text: 'DO $$ BEGIN PERFORM 1; END $$', line: 6 },
      { text: 'SELECT 1', line: 7 },
    ]);
  });
});

const review = (file: string, severities: ('error' | 'warning' | 'info')[], rule = 'some-rule'): PrReview => ({
  file,
  wallMs: 1000,
  status: 'applied',
  restored: 0,
  historyNotApplied: 0,
  notes: [],
  findings: severities.map((severity, i) => ({ rule: `${rule}${i}`, severity, source: 'lint', line: 1, message: 'm' })),
});

const result = (name: string, replay: ('applied' | 'failed')[], oracle: ('applied' | 'failed')[], prs: PrReview[] = []): EntryResult => ({
  name,
  repo: 'acme/x',
  commit: 'a'.repeat(40),
  path: 'm',
  tool: 'sqlx',
  migrations: replay.map((_, i) => `m/${i}.sql`),
  discoveryNotes: [],
  replay: { files: replay.map((status, i) => ({ file: `m/${i}.sql`, status })), notes: [], wallMs: 1 },
  oracle: { files: oracle.map((status, i) => ({ file: `m/${i}.sql`, status })), serverVersion: '15', rolesDropped: [], durationMs: 1 },
  prs,
});

describe('oracleDiff', () => {
  it('lists files only one side applies, with the other side\'s reason', () => {
    const diff = oracleDiff(
      [
        { file: 'a', status: 'applied' },
        { file: 'b', status: 'failed', error: { message: 'relation "x" does not exist', line: 3, sqlstate: '42P01' } },
        { file: 'c', status: 'applied' },
      ],
      [
        { file: 'a', status: 'applied' },
        { file: 'b', status: 'applied' },
        { file: 'c', status: 'failed', error: { message: 'boom', line: 1 } },
      ],
    );
    expect(diff.pgOnly).toEqual([{ file: 'b', status: 'failed', error: { message: 'relation "x" does not exist', line: 3, sqlstate: '42P01' } }]);
    expect(diff.pgproOnly).toEqual([{ file: 'c', status: 'failed', error: { message: 'boom', line: 1 } }]);
  });
});

describe('renderSummary', () => {
  it('counts applied files, differences and PR findings per history, with a total', () => {
    const table = renderSummary([
      result('one', ['applied', 'failed'], ['applied', 'applied'], [
        review('m/1.sql', ['error', 'warning', 'warning']),
        { ...review('m/0.sql', ['error']), status: 'failed' },
      ]),
      result('two', ['applied'], ['applied']),
    ]);
    const rows = table.split('\n');
    expect(rows[2]).toBe('| one | sqlx | 2 | 1 | 2 | 1 | 0 | 2 | 1 (1) | 2/2/0 | 1.0 / 1.0 |');
    expect(rows[4]).toBe('| **total** | | 3 | 2 | 3 | 1 | 0 | 2 | 1 (1) | 2/2/0 | |');
  });
});

describe('compareRuns', () => {
  it('reports applied counts and, per PR file, severities and error/warning rules added or removed', () => {
    const before = [result('one', ['failed', 'failed'], ['applied', 'applied'], [review('m/1.sql', ['error', 'warning'], 'old-'), review('m/2.sql', ['info'])])];
    const after = [result('one', ['applied', 'applied'], ['applied', 'applied'], [review('m/1.sql', ['warning'], 'new-'), review('m/2.sql', ['info'])])];
    const [comparison] = compareRuns(before, after);
    expect(comparison).toEqual({
      name: 'one',
      pgproApplied: [0, 2],
      oracleApplied: [2, 2],
      pgOnly: [2, 0],
      files: [
        {
          file: 'm/1.sql',
          before: { error: 1, warning: 1, info: 0 },
          after: { error: 0, warning: 1, info: 0 },
          rulesAdded: ['new-0 (warning)'],
          rulesRemoved: ['old-0 (error)', 'old-1 (warning)'],
        },
      ],
    });
    const text = renderComparison([comparison!], ['before', 'after']);
    expect(text).toContain('| one | 0 → 2 | 2 → 2 | 2 → 0 | 1 |');
    expect(text).toContain('| one | m/1.sql | 1/1/0 → 0/1/0 | new-0 (warning) | old-0 (error), old-1 (warning) |');
  });

  it('keeps an entry present in one run only', () => {
    const [comparison] = compareRuns([], [result('fresh', ['applied'], ['applied'])]);
    expect(comparison).toMatchObject({ name: 'fresh', pgproApplied: [undefined, 1], files: [] });
  });
});
