// A schema dump as the starting state (sandbox.schema): pg_dump --schema-only output (psql
// meta-commands, an empty search_path, owners and grants to roles the sandbox lacks) and Rails'
// structure.sql are loaded in place of the history, tolerantly, and the new migration is reviewed on it.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { withoutMetaCommands } from '../../src/stages/schema-dump.js';
import type { ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const DUMP = readFileSync(new URL('../fixtures/schema-dump/structure.sql', import.meta.url), 'utf8');
const NEW = 'db/migrate/0003_orders_note.sql';

let result: ReviewResult;

beforeAll(async () => {
  const config = parseConfig('explain:\n  enabled: false\nsandbox:\n  schema: db/structure.sql\n', 'test.yml');
  const files = {
    'db/structure.sql': DUMP,
    // A history that no longer replays on its own (it refers to a table created elsewhere).
    'db/migrate/0001_legacy.sql': 'ALTER TABLE legacy_orders ADD COLUMN x int;\n',
    'db/migrate/0002_more.sql': 'CREATE TABLE audit (id bigint);\n',
    [NEW]: 'ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_status_idx ON orders (status);\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);\n',
  };
  result = await review({ head: memoryTree(files), changed: [NEW] }, { config }, { env: {} });
}, 120_000);

describe('sandbox.schema: a schema dump as the starting state', () => {
  it('replaces the history, whose files are not replayed', () => {
    expect(result.migrations).toEqual([
      expect.objectContaining({ file: 'db/migrate/0001_legacy.sql', status: 'skipped' }),
      expect.objectContaining({ file: 'db/migrate/0002_more.sql', status: 'skipped' }),
      expect.objectContaining({ file: NEW, status: 'applied' }),
    ]);
    expect(result.notes).toContain('The schema dump db/structure.sql (sandbox.schema) is the starting state: the 2 history migrations were not replayed.');
  });

  it('loads it tolerantly and says what it left out', () => {
    const note = result.notes.find((n) => n.startsWith('Loaded the schema dump db/structure.sql: '));
    expect(note).toMatch(/ownership and privilege statements skipped/);
    expect(note).toContain('extensions the sandbox lacks left out (postgis)');
    expect(note).not.toMatch(/statements failed/);
  });

  it('reviews the new migration against the dumped schema, with nothing inferred', () => {
    expect(result.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);
    expect(result.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['require-concurrent-index-creation', 'constraint-missing-not-valid']));
    const index = result.findings.find((f) => f.rule === 'require-concurrent-index-creation')!;
    expect(index.evidence).toContain('orders exists before this change');
    expect(result.notes.some((n) => n.startsWith('Inferred'))).toBe(false);
  });
});

describe('withoutMetaCommands', () => {
  it('drops psql meta-command lines and keeps the line count', () => {
    expect(withoutMetaCommands('\\restrict abc\nSELECT 1;\n\\unrestrict abc\n')).toBe('\nSELECT 1;\n\n');
  });
});
