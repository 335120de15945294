// Review without history: a migration that uses objects neither the history nor the setup creates gets
// stubs of them, inferred from how it uses them; it is reviewed for its own hazards, not blamed for the
// sandbox's blind spot, and the report says what was inferred.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import type { JsonReport } from '../../src/report/json.js';
import type { ReviewResult } from '../../src/types.js';
import { cli, tempTree } from '../cli/helpers.js';
import { memoryTree } from '../helpers/tree.js';

const config = parseConfig('explain:\n  enabled: false\n', 'test.yml');
const deps = { env: {} };

const LONE = 'db/migrations/0042_orders.sql';
const LONE_SQL = [
  'ALTER TABLE orders ADD COLUMN note text;',
  'CREATE INDEX orders_customer_idx ON orders (customer_id);',
  'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);',
  'UPDATE orders SET note = status WHERE archived_at IS NULL;',
  'ALTER TABLE "measure"."build_mappings" ALTER COLUMN patch_id TYPE text USING coalesce(patch_id::text, \'\'), ALTER COLUMN patch_id SET NOT NULL;',
  '',
].join('\n');

const ONE_TYPO = 'db/migrations/0002_typo.sql';

let lone: ReviewResult;
let withHistory: ReviewResult;
let ownError: ReviewResult;
let doBlock: ReviewResult;
let typo: ReviewResult;
const DO_FILE = 'db/migrations/0007_do.sql';

beforeAll(async () => {
  [lone, withHistory, ownError, doBlock, typo] = await Promise.all([
    review({ head: memoryTree({ [LONE]: LONE_SQL }), changed: [LONE] }, { config }, deps),
    review(
      {
        head: memoryTree({
          'db/migrations/0001_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, total int);\n',
          [ONE_TYPO]: 'ALTER TABLE orders ADD COLUMN note text;\n',
        }),
        changed: [ONE_TYPO],
      },
      { config },
      deps,
    ),
    // The change drops what it then uses: the migration's own error, never inferred away.
    review(
      {
        head: memoryTree({
          'db/migrations/0001_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY);\n',
          'db/migrations/0002_drop.sql': 'CREATE TABLE audit (id int);\nDROP TABLE audit;\nALTER TABLE audit ADD COLUMN x int;\n',
        }),
        changed: ['db/migrations/0002_drop.sql'],
      },
      { config },
      deps,
    ),
    review({ head: memoryTree({ [DO_FILE]: "DO $$ BEGIN UPDATE legacy_accounts SET plan = 'free'; END $$;\n" }), changed: [DO_FILE] }, { config }, deps),
    // A history that replays and creates the table: a column it lacks is the migration's own error.
    review(
      {
        head: memoryTree({
          'db/migrations/0001_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, total int);\n',
          [ONE_TYPO]: 'ALTER TABLE orders DROP COLUMN totl;\n',
        }),
        changed: [ONE_TYPO],
      },
      { config },
      deps,
    ),
  ]);
}, 240_000);

describe('a lone migration on tables no file creates', () => {
  it('applies, with no error about the missing tables', () => {
    expect(lone.migrations).toEqual([expect.objectContaining({ file: LONE, status: 'applied' })]);
    expect(lone.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);
    expect(JSON.stringify(lone.findings)).not.toMatch(/relation \\"[^"\\]+\\" does not exist/);
  });

  it("reports the migration's own hazards, each marked as made on an inferred object", () => {
    const rules = lone.findings.map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['require-concurrent-index-creation', 'adding-foreign-key-constraint', 'adding-not-nullable-field']));
    const index = lone.findings.find((f) => f.rule === 'require-concurrent-index-creation')!;
    expect(index.evidence).toContain('Made on an inferred object (orders)');
    expect(index.evidence).toContain('Reads all of public.orders'); // the stub holds synthetic rows: the scan is observed
    const retype = lone.findings.find((f) => f.rule === 'adding-not-nullable-field')!;
    expect(retype.evidence).toContain('also reported as changing-column-type');
    expect(retype.evidence).toContain('Made on an inferred object (measure.build_mappings)');
  });

  it('says which objects were inferred', () => {
    const note = lone.notes.find((n) => n.startsWith('Inferred from how the new migrations use them'));
    expect(note).toBeDefined();
    for (const object of ['table public.orders', 'table public.customers', 'table measure.build_mappings', 'column public.orders.status', 'column public.orders.archived_at']) {
      expect(note).toContain(object);
    }
  });
});

describe('what is not inferred', () => {
  it('nothing when the history creates everything the migration uses', () => {
    expect(withHistory.notes.some((n) => n.startsWith('Inferred'))).toBe(false);
    expect(withHistory.findings.some((f) => f.evidence?.includes('inferred object'))).toBe(false);
  });

  it('an object the change itself creates and drops stays the migration\'s error', () => {
    expect(ownError.findings.filter((f) => f.rule === 'apply-error')).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringContaining('relation "audit" does not exist') }),
    ]);
  });
});

describe('DO blocks and function bodies', () => {
  it('are not mined for objects: a missing one inside is not the migration\'s error, but the file is not reviewed', () => {
    expect(doBlock.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);
    const [incomplete] = doBlock.findings.filter((f) => f.severity === 'error');
    expect(incomplete).toMatchObject({ rule: 'review-incomplete', line: 1 });
    expect(incomplete!.message).toContain('pgpro does not infer objects from inside DO blocks and function bodies');
    expect(doBlock.migrations).toEqual([expect.objectContaining({ file: DO_FILE, status: 'not-run' })]);
    expect(doBlock.notes.some((n) => n.startsWith(`${DO_FILE}:1 uses an object that neither the history nor the setup creates (relation "legacy_accounts" does not exist); pgpro does not infer objects from inside DO blocks`))).toBe(true);
  });
});

describe('a history that replays and creates the table', () => {
  it('leaves a column the migration gets wrong as its apply error', () => {
    expect(typo.findings.filter((f) => f.rule === 'apply-error')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('column "totl" of relation "orders" does not exist') }),
    ]);
  });
});

describe('pgpro review on a directory holding only that migration', () => {
  let root: string;
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("reports the migration's own hazards and no error about the missing table", async () => {
    root = await tempTree({ [LONE]: LONE_SQL, '.github/pgpro.yml': 'explain:\n  enabled: false\n' });
    const run = await cli(['review', 'db/migrations', '-C', root, '--format', 'json', '--no-cache']);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.migrations).toEqual([expect.objectContaining({ file: LONE, status: 'applied' })]);
    expect(report.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);
    expect(report.findings.map((f) => f.rule)).toContain('require-concurrent-index-creation');
    expect(run.stdout).not.toMatch(/relation \\"orders\\" does not exist/);
  }, 120_000);
});
