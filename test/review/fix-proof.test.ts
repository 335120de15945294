// Every fix the review itself writes (rules, trace, EXPLAIN) goes through the fix proof before it is
// shown: a proven fix is a verified drop-in replacement, a refuted one loses its SQL and says why.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import type { Finding, ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} };
const config = parseConfig('explain:\n  enabled: false\nsandbox:\n  seed-rows: 200\n', 'test.yml');

const HISTORY = [
  'CREATE TABLE "Document" (id bigint PRIMARY KEY, title text);',
  'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, note text);',
  '',
].join('\n');
const FILE = 'db/migrations/0002_change.sql';
const SQL = [
  "SET lock_timeout = '5s';",
  'CREATE INDEX orders_customer_idx',
  '  ON orders (customer_id);',
  "ALTER TABLE \"Document\" ADD COLUMN \"hintText\" varchar(20) DEFAULT 'x';",
  '',
].join('\n');

let result: ReviewResult;
const byRule = (rule: string): Finding => {
  const found = result.findings.find((f) => f.rule === rule);
  if (!found) throw new Error(`no ${rule} finding in ${result.findings.map((f) => f.rule).join(', ')}`);
  return found;
};

beforeAll(async () => {
  result = await review({ head: memoryTree({ 'db/migrations/0001_init.sql': HISTORY, [FILE]: SQL }), changed: [FILE] }, { config }, deps);
}, 600_000);

describe('rule fixes are proven before they are offered', () => {
  it('a fix that applies, removes its hazard and keeps the schema is a verified drop-in for exactly its lines', () => {
    const finding = byRule('require-concurrent-index-creation');
    expect([finding.line, finding.endLine]).toEqual([2, 3]);
    expect(finding.fix).toMatchObject({
      sql: 'CREATE INDEX CONCURRENTLY orders_customer_idx\n  ON orders (customer_id);',
      replacesStatement: true,
      verified: true,
      proof: { verified: true, reason: 'verified' },
    });
  });

  it('a fix the proof refutes is not offered: its SQL is withdrawn, the reason and the SQL stay in fix.proof', () => {
    // The text CHECK rewrite of a varchar column with a default: it either fails (unquoted "hintText")
    // or makes the ADD COLUMN scan the table under ACCESS EXCLUSIVE to check the constraint.
    const finding = byRule('prefer-text-field');
    expect(finding.fix?.sql).toBeUndefined();
    expect(finding.fix).toMatchObject({ verified: false, replacesStatement: false });
    expect(finding.fix!.proof!.sql).toMatch(/text CHECK \(char_length\(/);
    expect(['does-not-apply', 'new-finding']).toContain(finding.fix!.proof!.reason);
    expect(finding.fix!.title).toMatch(/\(not verified: (it fails in the sandbox|it brings a new warning)\)$/);
  });

  it('the time spent proving is its own stage', () => {
    expect(result.stats.stages.proof).toBeGreaterThan(0);
  });
});
