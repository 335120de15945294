// review() runs every file in a fresh session with the database-level settings production sessions get,
// with or without the snapshot cache, and one file's session tricks do not change what the next one does.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ChangeSet, ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} };
const SETUP = [
  'sandbox:',
  '  setup:',
  "    - sql: \"CREATE SCHEMA app; DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app, public', current_database()); END $$;\"",
  'explain:',
  '  enabled: false',
  '',
].join('\n');

const HISTORY = {
  'db/migrations/0001_orders.sql': 'CREATE TABLE app.orders (id bigint PRIMARY KEY, total_cents bigint NOT NULL);\n',
  'db/migrations/0002_items.sql': 'CREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));\n',
};
const NEW = 'db/migrations/0003_note.sql';

function change(extra: Record<string, string>): ChangeSet {
  return { head: memoryTree({ ...HISTORY, ...extra }), changed: Object.keys(extra) };
}

const statusOf = (result: ReviewResult) => Object.fromEntries(result.migrations.map((m) => [m.file, m.status]));

describe('faithful sessions in review()', () => {
  it('the database-level search_path from setup holds for the history and the new files, cached or not', { timeout: 180_000 }, async () => {
    const cache = new SnapshotCache();
    const input = change({ [NEW]: 'ALTER TABLE orders ADD COLUMN note text;\n' });
    const first = await review(input, { config: parseConfig(SETUP, 'test.yml'), agent: 'off' }, { ...deps, snapshotCache: cache });
    const second = await review(input, { config: parseConfig(SETUP, 'test.yml'), agent: 'off' }, { ...deps, snapshotCache: cache });
    expect(second.notes.some((n) => /Restored 2 history migrations/.test(n))).toBe(true);
    for (const result of [first, second]) {
      expect(statusOf(result)).toEqual({
        'db/migrations/0001_orders.sql': 'applied',
        'db/migrations/0002_items.sql': 'applied',
        [NEW]: 'applied',
      });
      expect(result.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);
    }
  });

  it("a TEMP table or SET ROLE in one new file does not hide the next file's hazards or make it fail", async () => {
    const result = await review(
      change({
        'db/migrations/0003_tricks.sql': 'CREATE ROLE tricky NOLOGIN;\nCREATE TEMP TABLE orders (id int);\nSET ROLE tricky;\n',
        'db/migrations/0004_type.sql': 'ALTER TABLE orders ALTER COLUMN total_cents TYPE text;\n',
      }),
      { config: parseConfig(SETUP, 'test.yml'), agent: 'off' },
      deps,
    );
    expect(statusOf(result)['db/migrations/0004_type.sql']).toBe('applied');
    const type = result.findings.filter((f) => f.file === 'db/migrations/0004_type.sql').map((f) => f.rule);
    expect(type).toContain('changing-column-type');
  });
});
