// `npm run bench:rehearsal`: does the lock-time estimate hold on this machine? For an index build and a
// table rewrite, the rehearsal times the statement at three sizes (as a review does), estimates the time
// at ten times the largest, and the statement is then timed at that size. Prints, per run, the samples,
// the estimate with its range, the time measured at 10x, and their ratio: the method is doing its job
// when the ratio is within 0.5-2 and the range holds the measured time. Nothing is asserted: the machine
// is shared, so read the numbers with the load average printed in the header.
// BENCH_SANDBOX_URL=postgres://… runs the same on a PostgreSQL server (the server engine's rehearsal).
import { loadavg } from 'node:os';
import { estimateAt, formatRange } from '../src/rehearsal/fit.js';
import { measureLockTime, timeRolledBack } from '../src/rehearsal/lock-time.js';
import { createSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createPostgresSandbox } from '../src/sandbox/postgres/index.js';
import { parseMigrationSql } from '../src/sql/parse.js';
import { fillSynthetic } from '../src/synthetic/index.js';
import { table } from './table.js';

const SAMPLE_ROWS = Number(process.env.BENCH_SAMPLE_ROWS ?? 50_000);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) || 3);
const options = { statementTimeoutMs: 600_000, memoryMb: 4096 };
const STATEMENTS = [
  { name: 'index build', sql: 'CREATE INDEX orders_note_idx ON orders (note, total);', growth: 'n-log-n' as const },
  { name: 'table rewrite', sql: 'ALTER TABLE orders ALTER COLUMN total TYPE bigint;', growth: 'linear' as const },
];

const SERVER = process.env.BENCH_SANDBOX_URL;
const TABLE = `CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint, note text, total int, created_at timestamptz DEFAULT now());`;
const base = SERVER ? await createPostgresSandbox({ ...options, url: SERVER }) : await createSandbox(options);
await base.exec(TABLE);
const catalog = await base.catalog();
const engine = `${base.engine.name} ${base.engine.version}`;
const start = SERVER ? undefined : await base.snapshot();
await base.close();
// The server takes no snapshot: each sandbox is a new database with the table made again.
const open = async (): Promise<Sandbox> => {
  if (start) return createSandbox({ ...options, tarball: start });
  const db = await createPostgresSandbox({ ...options, url: SERVER! });
  await db.exec(TABLE);
  return db;
};

console.log(`Lock time at 10x the largest measured size — ${engine}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, sample rows ${SAMPLE_ROWS}, ${RUNS} runs\n`);
const rows: (string | number)[][] = [];
for (const statement of STATEMENTS) {
  const parsed = await parseMigrationSql(statement.sql, 'bench.sql');
  for (let run = 1; run <= RUNS; run++) {
    const measured = await measureLockTime({
      path: 'bench.sql',
      inTransaction: true,
      statements: parsed.statements,
      at: 0,
      table: 'public.orders',
      sampleRows: SAMPLE_ROWS,
      catalog,
      open,
      signal: new AbortController().signal,
      deadline: Number.POSITIVE_INFINITY,
    });
    if (measured.samples.length < 2) throw new Error(`not measured: ${measured.skipped}`);
    const largest = Math.max(...measured.samples.map((s) => s.rows));
    const target = largest * 10;
    const estimate = estimateAt(measured.samples, target, statement.growth);
    const db = await open();
    let actual: number;
    try {
      await fillSynthetic(db, catalog, (t) => (t === 'public.orders' ? target : 0));
      actual = await timeRolledBack(db, statement.sql);
    } finally {
      await db.close();
    }
    const ratio = estimate.ms / actual;
    rows.push([
      statement.name,
      run,
      measured.samples.map((s) => `${s.rows}: ${s.ms.toFixed(1)} ms`).join(', '),
      `${estimate.ms.toFixed(0)} ms (${formatRange(estimate.lowMs, estimate.highMs)})`,
      `${target}: ${actual.toFixed(0)} ms`,
      ratio.toFixed(2),
      ratio >= 0.5 && ratio <= 2 ? 'yes' : 'NO',
      estimate.lowMs <= actual && actual <= estimate.highMs ? 'yes' : 'NO',
    ]);
  }
}
console.log(table('Estimate at 10x vs measured at 10x', ['statement', 'run', 'samples', 'estimate (range)', 'measured at 10x', 'ratio', 'within 2x', 'in range'], rows));
process.exit(0);
