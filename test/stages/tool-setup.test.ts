// The table a migration tool makes before its first migration is in the sandbox too: Lemmy's
// 2025-08-01-000017_forbid_diesel_cli puts a trigger on diesel's, and failed in pgpro alone.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { toolSetup } from '../../src/sandbox/presets.js';
import { memoryTree } from '../helpers/tree.js';

describe("a migration tool's bookkeeping table", () => {
  it('is made for diesel only, among the conventions whose table name is the tool own', () => {
    expect(toolSetup(['diesel', 'diesel', 'plain', 'sqlx', 'golang-migrate'])).toEqual([
      {
        name: 'diesel: its bookkeeping table',
        sql: 'CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);',
      },
    ]);
    expect(toolSetup(['plain', 'dbmate'])).toEqual([]);
  });

  it('lets a diesel history that references it apply, as diesel runs it', async () => {
    const files = {
      'migrations/2025-08-01-000017_forbid_diesel_cli/up.sql': [
        'CREATE FUNCTION forbid_diesel_cli () RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE \'use the server\'; END; $$;',
        'CREATE TRIGGER forbid_diesel_cli BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON __diesel_schema_migrations EXECUTE FUNCTION forbid_diesel_cli ();',
        '',
      ].join('\n'),
      'migrations/2025-08-01-000017_forbid_diesel_cli/down.sql': 'DROP TRIGGER forbid_diesel_cli ON __diesel_schema_migrations;\nDROP FUNCTION forbid_diesel_cli;\n',
      'migrations/2025-09-01-000000_accounts/up.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n',
      'migrations/2025-09-01-000000_accounts/down.sql': 'DROP TABLE accounts;\n',
    };
    const result = await review(
      { head: memoryTree(files), changed: ['migrations/2025-09-01-000000_accounts/up.sql', 'migrations/2025-09-01-000000_accounts/down.sql'] },
      { config: parseConfig('migrations:\n  convention: diesel\nexplain:\n  enabled: false\n', 't.yml') },
      { env: {} },
    );
    expect(result.migrations.map((m) => [m.file, m.status])).toEqual([
      ['migrations/2025-08-01-000017_forbid_diesel_cli/up.sql', 'applied'],
      ['migrations/2025-09-01-000000_accounts/up.sql', 'applied'],
    ]);
    expect(result.notes.filter((n) => /failed in the sandbox/.test(n))).toEqual([]);
  }, 600_000);
});
