// The history with its synthetic rows is cached once a base is reviewed a second time: the reviews after
// that restore it, read no catalog before the change and seed only the tables the change touches, and
// report the same. The state with the change's own fill is cached from the first review on: a review
// touching the same tables adds no row at all.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { SeededDocument } from '../../src/stages/seeded.js';
import type { ReviewResult } from '../../src/types.js';

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/0002_orders.sql':
    'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), total bigint NOT NULL);\n',
};
const change = { 'db/migrations/0003_check.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n' };
const otherChange = { 'db/migrations/0003_email.sql': 'ALTER TABLE accounts ADD CONSTRAINT accounts_email_short CHECK (length(email) < 200);\n' };
// Touches both tables: a fill no earlier review made.
const thirdChange = {
  'db/migrations/0003_both.sql':
    'ALTER TABLE accounts ADD CONSTRAINT accounts_email_short CHECK (length(email) < 200);\nALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);\n',
};
const config = validateConfig({ sandbox: { 'seed-rows': 30 }, explain: { 'default-rows': 300 }, agent: { enabled: false } }, 'test');

/** Counts what the review asks of its sandboxes: catalog reads and the tables synthetic rows go into. */
function countingFactory() {
  const counts = { catalogs: 0, filled: [] as string[] };
  const factory = async (options: SandboxOptions): Promise<Sandbox> => {
    const sandbox = await createSandbox(options);
    const catalog = sandbox.catalog.bind(sandbox);
    const exec = sandbox.exec.bind(sandbox);
    sandbox.catalog = () => (counts.catalogs++, catalog());
    sandbox.exec = (sql: string) => {
      // The fill sends each table's INSERT between two counts of it, in one string.
      const target = /^(?:SELECT count\(\*\)[^;]*;\s*)?INSERT INTO ("?[\w.]+"?(?:\."?\w+"?)?)/.exec(sql)?.[1];
      if (target) counts.filled.push(target.replace(/"/g, ''));
      return exec(sql);
    };
    return sandbox;
  };
  return { counts, factory };
}

const summary = (r: ReviewResult) => ({
  conclusion: r.conclusion,
  migrations: r.migrations.map(({ durationMs: _, ...m }) => m),
  findings: r.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.severity}`),
});

/** A cache that remembers which snapshots were read (found or not), one list per get. */
class ReadCountingCache extends SnapshotCache {
  reads: string[][] = [];
  override get(prefixHashes: readonly string[], onDiscard?: (why: string) => void) {
    this.reads.push([...prefixHashes]);
    return super.get(prefixHashes, onDiscard);
  }
}

describe('a base whose seeded history is cached', () => {
  let dir: string;
  let cold: { result: ReviewResult; counts: ReturnType<typeof countingFactory>['counts']; reads: string[][] };
  let warm: typeof cold;
  let other: typeof cold;
  let third: typeof cold;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgpro-seeded-'));
    const run = async (cache: ReadCountingCache, files: Record<string, string>) => {
      const { counts, factory } = countingFactory();
      const head = memoryTree({ ...history, ...files }, 'head');
      const base = memoryTree(history, 'base');
      const result = await review({ head, base, changed: Object.keys(files) }, { config }, { snapshotCache: cache, createSandbox: factory });
      return { result, counts, reads: cache.reads };
    };
    cold = await run(new ReadCountingCache({ dir }), change);
    // A new process: only the disk remembers.
    other = await run(new ReadCountingCache({ dir }), otherChange);
    warm = await run(new ReadCountingCache({ dir }), change);
    third = await run(new ReadCountingCache({ dir }), thirdChange);
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores the seeded state with the catalog read before any synthetic row', async () => {
    const documents = await Promise.all(
      (await readdir(dir)).filter((name) => name.endsWith('.json')).map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as Partial<SeededDocument>),
    );
    const seeded = documents.find((d) => d.v === 1 && d.catalog);
    expect(seeded?.catalog?.tables.map((t) => [t.name, t.estimatedRows])).toEqual([
      ['accounts', 0],
      ['orders', 0],
    ]);
    expect(seeded?.rows).toEqual({ 'public.accounts': 30, 'public.orders': 30 });
    // Both were empty before the seeding: re-runs without synthetic rows may empty them.
    expect(seeded?.syntheticOnly?.sort()).toEqual(['public.accounts', 'public.orders']);
  });

  it('seeds every table the first two times, then only the table the change touches', () => {
    expect(new Set(cold.counts.filled)).toEqual(new Set(['public.accounts', 'public.orders']));
    // The first review stored the seeded document, not its snapshot: the second seeds again and stores it.
    expect(new Set(other.counts.filled)).toEqual(new Set(['public.accounts', 'public.orders']));
    // Each table once: the fill, without a seeding before it.
    expect(third.counts.filled).toEqual(['public.accounts', 'public.orders']);
  });

  it('adds no row for a change touching the tables an earlier review of the base filled', () => {
    expect(warm.counts.filled).toEqual([]);
    expect(other.result.findings.find((f) => f.rule === 'constraint-missing-not-valid')?.evidence).toMatch(/300 rows/);
    expect(third.result.findings.find((f) => f.rule === 'constraint-missing-not-valid')?.evidence).toMatch(/300 rows/);
  });

  it('reads only the snapshot it restores: the seeded one only when the fill is not cached', () => {
    // The other change's fill is not cached: the seeded snapshot is looked for (not stored yet), then
    // the history's is read.
    expect(other.reads).toHaveLength(2);
    // A third change: the seeded snapshot the second review stored is read, and nothing else.
    expect(third.reads).toEqual([other.reads[0]]);
    // The same change again: its fill is cached, and only that snapshot is read, not the seeded one.
    expect(warm.reads).toHaveLength(1);
    expect(warm.reads[0]).not.toEqual(other.reads[0]);
  });

  it('reads the catalog before the change only until the seeded state is stored', () => {
    expect(cold.counts.catalogs).toBe(2); // before and after
    expect(other.counts.catalogs).toBe(2); // restored without its rows: before and after
    expect(third.counts.catalogs).toBe(1); // after
    expect(warm.counts.catalogs).toBe(1); // after
  });

  it('reviews the same way both times, with the same rows in the touched table', () => {
    expect(summary(warm.result)).toEqual(summary(cold.result));
    const scanned = (r: ReviewResult) => r.findings.find((f) => f.rule === 'constraint-missing-not-valid')?.evidence;
    expect(scanned(cold.result)).toMatch(/300 rows/);
    expect(scanned(warm.result)).toBe(scanned(cold.result));
  });
});
