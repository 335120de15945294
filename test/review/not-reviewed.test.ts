// No verdict without a review: a new migration that was not applied and observed has a reason code, a
// not-reviewed finding, and keeps the conclusion from success; files over a limit are still linted;
// pgpro-ignore-file waivers are listed; naming one file does not replay the later ones as history.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { checkRunOutput } from '../../src/report/check-run.js';
import { review } from '../../src/review.js';
import type { ChangeSet } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} };
const config = (yaml: string) => parseConfig(`explain:\n  enabled: false\n${yaml}`, 'test.yml');
const ORDERS = 'CREATE TABLE orders (id bigint PRIMARY KEY, total_cents bigint NOT NULL);\n';

function change(files: Record<string, string>, changed: string[]): ChangeSet {
  return { head: memoryTree(files), changed };
}

describe('a new migration over limits.max-statements-per-file', () => {
  const files = {
    'db/migrations/0001_orders.sql': ORDERS,
    'db/migrations/0002_hidden.sql': 'SELECT 1;\nSELECT 2;\nDROP TABLE orders;\n',
  };

  it('is skipped with a reason code, still linted, and the review is not a pass', async () => {
    const result = await review(change(files, ['db/migrations/0002_hidden.sql']), { config: config('limits:\n  max-statements-per-file: 2\n'), agent: 'off' }, deps);
    expect(result.migrations.at(-1)).toMatchObject({
      file: 'db/migrations/0002_hidden.sql',
      status: 'skipped',
      reason: { code: 'max-statements', message: '3 statements, over limits.max-statements-per-file (2)' },
    });
    expect(result.notReviewed).toEqual([
      { file: 'db/migrations/0002_hidden.sql', status: 'skipped', reason: 'max-statements', message: '3 statements, over limits.max-statements-per-file (2)' },
    ]);
    const rules = result.findings.filter((f) => f.file === 'db/migrations/0002_hidden.sql').map((f) => [f.rule, f.severity, f.line]);
    expect(rules).toContainEqual(['not-reviewed', 'warning', 1]);
    expect(rules.map((r) => r[0])).toContain('ban-drop-table');
    expect(result.conclusion).not.toBe('success');
    expect(checkRunOutput(result).title).toMatch(/^Not reviewed: 1 of 1 new migration; /);
    expect(renderText(result)).toContain('not reviewed: 3 statements, over limits.max-statements-per-file (2)');
    expect(renderMarkdown(result)).toContain('**Not reviewed** (not applied in the sandbox; only the static rules saw it):');
  });

  it('the not-reviewed finding cannot be turned off or ignored; the conclusion stays short of success', async () => {
    const quiet = config('limits:\n  max-statements-per-file: 1\nrules:\n  not-reviewed: "off"\n');
    const result = await review(
      change({ 'db/migrations/0001_a.sql': '-- pgpro-ignore-file all\nSELECT 1;\nSELECT 2;\n' }, ['db/migrations/0001_a.sql']),
      { config: quiet, agent: 'off' },
      deps,
    );
    expect(result.findings.map((f) => f.rule)).toContain('not-reviewed');
    expect(result.conclusion).toBe('neutral');
  });
});

describe('files the loader cannot take as they are', () => {
  const files = {
    'db/migrations/0001_orders.sql': ORDERS,
    // One invalid UTF-8 byte in a comment (decoded as U+FFFD), hiding a DROP TABLE.
    'db/migrations/0002_bytes.sql': '-- caf\ufffd\nDROP TABLE orders;\n',
    'db/migrations/0003_padded.sql': `-- ${'x'.repeat(300)}\nDROP TABLE orders;\n`,
  };

  it('are findings with a reason code, linted when readable, and never a pass', async () => {
    const result = await review(
      change(files, ['db/migrations/0002_bytes.sql', 'db/migrations/0003_padded.sql']),
      { config: config('limits:\n  max-file-bytes: 200\n'), agent: 'off' },
      deps,
    );
    expect(result.notReviewed).toEqual([
      { file: 'db/migrations/0002_bytes.sql', status: 'skipped', reason: 'not-utf8', message: 'the file is not valid UTF-8 text (first at line 1)' },
      { file: 'db/migrations/0003_padded.sql', status: 'skipped', reason: 'file-too-large', message: '323 bytes, over limits.max-file-bytes (200)' },
    ]);
    const at = (file: string) => result.findings.filter((f) => f.file === file).map((f) => f.rule);
    expect(at('db/migrations/0002_bytes.sql')).toEqual(expect.arrayContaining(['not-reviewed', 'ban-drop-table']));
    expect(at('db/migrations/0003_padded.sql')).toEqual(['not-reviewed']);
    expect(result.conclusion).not.toBe('success');
  });

  it('an unchanged history file the base could not load either is only a note', async () => {
    const base = memoryTree({ 'db/migrations/0001_orders.sql': ORDERS, 'db/migrations/0002_bytes.sql': files['db/migrations/0002_bytes.sql'] });
    const head = memoryTree({ ...Object.fromEntries(Object.entries(files).filter(([k]) => !k.includes('padded'))), 'db/migrations/0004_new.sql': 'SELECT 1;\n' });
    const result = await review({ head, base }, { config: config(''), agent: 'off' }, deps);
    expect(result.notReviewed).toEqual([]);
    expect(result.notes.some((n) => n.includes('0002_bytes.sql is not UTF-8 text'))).toBe(true);
  });
});

describe('limits.max-files', () => {
  it('the migrations beyond it are skipped with the max-files reason', async () => {
    const result = await review(
      change({ 'db/a/0001_a.sql': 'CREATE TABLE a (id int);\n', 'db/a/0002_b.sql': 'CREATE TABLE b (id int);\n' }, ['db/a/0001_a.sql', 'db/a/0002_b.sql']),
      { config: config('limits:\n  max-files: 1\n'), agent: 'off' },
      deps,
    );
    expect(result.migrations.map((m) => [m.file, m.status, m.reason?.code])).toEqual([
      ['db/a/0001_a.sql', 'applied', undefined],
      ['db/a/0002_b.sql', 'skipped', 'max-files'],
    ]);
    expect(result.conclusion).toBe('neutral');
  });

  it('does not cut a whole directory reviewed as new: every file is applied, with progress per file', async () => {
    const events: string[] = [];
    const result = await review(
      { head: memoryTree({ 'db/a/0001_a.sql': 'CREATE TABLE a (id int);\n', 'db/a/0002_b.sql': 'CREATE TABLE b (id int);\n' }) },
      { config: config('limits:\n  max-files: 1\n'), agent: 'off', onProgress: (e) => e.stage === 'apply' && events.push(`${e.message} ${e.done}/${e.total}`) },
      deps,
    );
    expect(result.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/a/0001_a.sql', 'applied'],
      ['db/a/0002_b.sql', 'applied'],
    ]);
    expect(events).toEqual(['Applying db/a/0001_a.sql 0/2', 'Applying db/a/0002_b.sql 1/2']);
    expect(result.notes.some((n) => n.includes('limits.max-files'))).toBe(false);
  }, 180_000);
});

describe('a sandbox that stops in the history', () => {
  it('the new migration is not-run with sandbox-stopped and a review-incomplete error, not a pass', async () => {
    const result = await review(
      change(
        { 'db/migrations/0001_slow.sql': 'SELECT pg_sleep(30);\n', 'db/migrations/0002_new.sql': 'CREATE TABLE t (id int);\n' },
        ['db/migrations/0002_new.sql'],
      ),
      { config: config('sandbox:\n  statement-timeout-seconds: 1\n'), agent: 'off' },
      deps,
    );
    expect(result.migrations.at(-1)).toMatchObject({ file: 'db/migrations/0002_new.sql', status: 'not-run', reason: { code: 'sandbox-stopped' } });
    expect(result.notReviewed?.map((m) => [m.file, m.reason])).toEqual([['db/migrations/0002_new.sql', 'sandbox-stopped']]);
    // One finding says it: the review's own (stop.ts), not a second not-reviewed warning.
    const rules = result.findings.map((f) => f.rule);
    expect(rules).toContain('review-incomplete');
    expect(rules).not.toContain('not-reviewed');
    expect(result.conclusion).toBe('failure');
  });
});

describe('the migrations after one that fails', () => {
  it('are not-run with earlier-migration-failed and no finding of their own', async () => {
    const result = await review(
      change(
        {
          'db/migrations/0001_orders.sql': ORDERS,
          // The migration's own error: the table exists already.
          'db/migrations/0002_bad.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY);\n',
          'db/migrations/0003_next.sql': 'CREATE TABLE t (id int);\n',
        },
        ['db/migrations/0002_bad.sql', 'db/migrations/0003_next.sql'],
      ),
      { config: config(''), agent: 'off' },
      deps,
    );
    expect(result.migrations.at(-2)).toMatchObject({ status: 'failed', error: { sqlstate: '42P07' } });
    expect(result.migrations.at(-1)).toMatchObject({ status: 'not-run', reason: { code: 'earlier-migration-failed' } });
    expect(result.findings.filter((f) => f.file === 'db/migrations/0003_next.sql' && f.rule === 'not-reviewed')).toEqual([]);
    expect(checkRunOutput(result).title).not.toMatch(/Not reviewed/);
  });
});

describe('waivers and named files', () => {
  it('a pgpro-ignore-file directive is listed in the result and the summary', async () => {
    const result = await review(
      change(
        { 'db/migrations/0001_orders.sql': ORDERS, 'db/migrations/0002_drop.sql': '-- pgpro-ignore-file ban-drop-table -- approved\nDROP TABLE orders;\n' },
        ['db/migrations/0002_drop.sql'],
      ),
      { config: config(''), agent: 'off' },
      deps,
    );
    expect(result.waivers).toEqual([{ file: 'db/migrations/0002_drop.sql', line: 1, rules: ['ban-drop-table'] }]);
    expect(renderMarkdown(result)).toContain('db/migrations/0002_drop.sql:1 waives ban-drop-table for the whole file (pgpro-ignore-file)');
    expect(renderText(result)).toContain('Waivers:');
  });

  it('naming one migration replays only the ones before it, not the later ones', async () => {
    const result = await review(
      change(
        {
          'db/migrations/0001_orders.sql': ORDERS,
          'db/migrations/0002_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
          'db/migrations/0003_drop_note.sql': 'ALTER TABLE orders DROP COLUMN note;\n',
        },
        ['db/migrations/0002_note.sql'],
      ),
      { config: config(''), agent: 'off' },
      deps,
    );
    // Replaying 0003 first would drop a column that does not exist yet, or hide what 0002 does.
    expect(result.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_orders.sql', 'applied'],
      ['db/migrations/0002_note.sql', 'applied'],
    ]);
    expect(result.notes.some((n) => n.includes('0003_drop_note.sql') && /not replayed/.test(n))).toBe(true);
  });
});
