import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';

const history = { 'db/migrations/0001_orders.sql': 'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total int);\n' };
const config = validateConfig(
  { 'assume-in-transaction': true, agent: { enabled: false }, explain: { 'default-rows': 2000 } },
  'test',
);

describe('EXPLAIN checks in the pipeline', () => {
  it('judge only migrations that applied: a rolled-back backfill is an apply error, not a plan finding', async () => {
    const files = {
      ...history,
      'db/migrations/0002_backfill_ok.sql': 'UPDATE orders SET total = 0;\n',
      'db/migrations/0003_backfill_fails.sql': 'UPDATE orders SET total = 1;\nALTER TABLE orders ADD COLUMN total int;\n',
    };
    const result = await review(
      { head: memoryTree(files), changed: ['db/migrations/0002_backfill_ok.sql', 'db/migrations/0003_backfill_fails.sql'] },
      { config },
    );
    const rulesByFile = result.findings.map((f) => `${f.file}:${f.line} ${f.rule}`);
    expect(rulesByFile).toContain('db/migrations/0002_backfill_ok.sql:1 backfill-in-one-statement');
    expect(rulesByFile).toContain('db/migrations/0003_backfill_fails.sql:2 apply-error');
    expect(rulesByFile).not.toContain('db/migrations/0003_backfill_fails.sql:1 backfill-in-one-statement');
  }, 120_000);
});
