// Edits to applied history (issue 19): what the edit adds is applied after the base version and reviewed;
// what cannot run on production's state, or says nothing about the edit, is left out.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { memoryTree } from '../helpers/tree.js';

const config = validateConfig({ explain: { enabled: false }, agent: { enabled: false } }, 'test');
const deps = { env: {} };
const UP = 'migrations/000001_accounts.up.sql';
const DOWN = 'migrations/000001_accounts.down.sql';
const base = { [UP]: 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n', [DOWN]: 'DROP TABLE accounts;\n' };

describe('the edit of an applied migration', () => {
  it('is applied as what it adds, without an up-down-up check its down file cannot speak to', async () => {
    const head = { ...base, [UP]: `${base[UP]}CREATE INDEX accounts_email_idx ON accounts (email);\n` };
    const result = await review({ head: memoryTree(head), base: memoryTree(base) }, { config }, deps);
    expect(result.migrations.map((m) => [m.file, m.status, m.statements, m.edit ?? false])).toEqual([
      [UP, 'applied', 1, false],
      [UP, 'applied', 1, true],
    ]);
    const rules = result.findings.map((f) => `${f.line} ${f.rule}`);
    expect(rules).toContain('2 modified-applied-migration');
    expect(rules).toContain('2 require-concurrent-index-creation');
    // The down file drops the table; re-running only the edit's statement after it would fail, falsely.
    expect(result.findings.filter((f) => f.rule.startsWith('up-after-down') || f.rule.startsWith('down-migration'))).toEqual([]);
  }, 120_000);

  it('that only removes a statement has nothing to apply: the finding alone, on the line after the removal', async () => {
    const two = { ...base, [UP]: `${base[UP]}CREATE INDEX accounts_email_idx ON accounts (email);\nCOMMENT ON TABLE accounts IS 'people';\n` };
    const one = { ...base, [UP]: `${base[UP]}COMMENT ON TABLE accounts IS 'people';\n` };
    const result = await review({ head: memoryTree(one), base: memoryTree(two) }, { config }, deps);
    expect(result.migrations.map((m) => [m.file, m.status, m.edit ?? false])).toEqual([[UP, 'applied', false]]);
    expect(result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([`${UP}:2 modified-applied-migration`]);
  }, 120_000);
});
