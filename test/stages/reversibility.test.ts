import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import type { ReviewResult } from '../../src/types.js';

let result: ReviewResult;

beforeAll(async () => {
  const files = {
    'db/migrations/1_accounts.up.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n',
    'db/migrations/1_accounts.down.sql': 'DROP TABLE accounts;\n',
    // A down that restores the schema exactly.
    'db/migrations/2_note.up.sql': 'ALTER TABLE accounts ADD COLUMN note text;\n',
    'db/migrations/2_note.down.sql': 'ALTER TABLE accounts DROP COLUMN note;\n',
    // A down that forgets the index.
    'db/migrations/3_email_index.up.sql': 'ALTER TABLE accounts ADD COLUMN region text;\nCREATE INDEX accounts_region_idx ON accounts (region);\n',
    'db/migrations/3_email_index.down.sql': '-- undo\nDROP INDEX accounts_region_idx;\n',
    // A down that fails.
    'db/migrations/4_plan.up.sql': 'CREATE TABLE plans (id bigint PRIMARY KEY);\n',
    'db/migrations/4_plan.down.sql': 'DROP TABLE plan;\n',
    // A down that makes again what the up drops IF EXISTS: a CHECK production has and the history never made.
    'db/migrations/5_email_check.up.sql': 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\nALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_email_present;\n',
    'db/migrations/5_email_check.down.sql':
      'ALTER TABLE accounts ADD CONSTRAINT accounts_email_present CHECK (email IS NOT NULL) NOT VALID;\nALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;\n',
  };
  const config = validateConfig({ explain: { enabled: false }, agent: { enabled: false } }, 'test');
  result = await review(
    { head: memoryTree(files), changed: Object.keys(files).filter((p) => !p.startsWith('db/migrations/1_')) },
    { config },
  );
}, 120_000);

describe('down migrations', () => {
  it('applies every up migration and leaves the sandbox as the ups left it', () => {
    expect(result.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/1_accounts.up.sql', 'applied'],
      ['db/migrations/2_note.up.sql', 'applied'],
      ['db/migrations/3_email_index.up.sql', 'applied'],
      ['db/migrations/4_plan.up.sql', 'applied'],
      ['db/migrations/5_email_check.up.sql', 'applied'],
    ]);
  });

  it('says nothing about a down that restores the schema', () => {
    expect(result.findings.filter((f) => f.file.startsWith('db/migrations/2_') && f.rule.startsWith('down-'))).toEqual([]);
  });

  it('reports a down that leaves an object behind, naming it', () => {
    const finding = result.findings.find((f) => f.rule === 'down-migration-incomplete');
    expect(finding?.file).toBe('db/migrations/3_email_index.down.sql');
    expect(finding?.line).toBe(2);
    expect(finding?.message).toContain('accounts');
    expect(finding?.evidence).toMatch(/region/);
  });

  it('reports a down that fails at its line with the error', () => {
    const finding = result.findings.find((f) => f.rule === 'down-migration-fails');
    expect(finding?.file).toBe('db/migrations/4_plan.down.sql');
    expect(finding?.line).toBe(1);
    expect(finding?.message).toContain('"plan" does not exist');
  });

  it('says, as a note and not a finding, that production may have what the up drops IF EXISTS and the down makes', () => {
    expect(result.findings.filter((f) => f.file.startsWith('db/migrations/5_') && f.rule.startsWith('down-'))).toEqual([]);
    expect(result.notes).toContain(
      'Down migration of db/migrations/5_email_check.up.sql: it creates constraint public.accounts.accounts_email_present, which the ' +
        'migrations before it never create, so the sandbox did not have it before up; the up drops it with IF EXISTS (line 2), so ' +
        'production may have it (made outside the migrations). It is not counted as a difference the down leaves.',
    );
  });
});
