// The memory bound, measured from outside: one PGlite sandbox per process, a memory bomb in it, and the
// process's peak RSS (VmHWM) over its RSS before the sandbox started, against the bound. Each case needs
// a fresh process (VmHWM only grows): `npx tsx bench/sandbox-memory.ts <memory-mb> <case>`, one line of
// JSON out. The counters are the bound's own view (Postgres' heap and files); the RSS is the truth.
import { readFileSync } from 'node:fs';
import { createSandbox } from '../src/sandbox/index.js';

const CASES: Record<string, string> = {
  rcte: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r',
  sort: 'SELECT count(*) FROM (SELECT md5(g::text) m FROM generate_series(1, 30000000) g ORDER BY 1 DESC) s',
  agg: 'SELECT count(*) FROM (SELECT array_agg(md5(g::text)) FROM generate_series(1, 100000000) g) s',
  hashagg: 'SELECT count(*) FROM (SELECT md5(g::text), count(*) FROM generate_series(1, 30000000) g GROUP BY 1) s',
  wide: "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 2000000)",
  table: 'CREATE TABLE hog AS SELECT g, repeat(md5(g::text), 30) AS filler FROM generate_series(1, 20000000) g',
};

function statusMb(): { rss: number; hwm: number } {
  const lines = readFileSync('/proc/self/status', 'utf8').split('\n');
  const field = (name: string) => Math.round(Number.parseInt(lines.find((l) => l.startsWith(`${name}:`))!.slice(name.length + 1), 10) / 1024);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

const memoryMb = Number(process.argv[2] ?? 512);
const name = process.argv[3] ?? 'wide';
const sql = CASES[name];
if (!sql) throw new Error(`unknown case ${name}; one of ${Object.keys(CASES).join(', ')}`);

// The compiled WASM and the fresh cluster are the process's, not the sandbox's: load them first.
await (await createSandbox({ statementTimeoutMs: 60_000, memoryMb: 512 })).close();
const before = statusMb();
const sandbox = await createSandbox({ statementTimeoutMs: 3_600_000, memoryMb });
const ready = statusMb();
const readyCounted = sandbox.memory!.usedBytes;
const started = performance.now();
let outcome = 'completed';
try {
  await sandbox.exec(sql);
} catch (error) {
  outcome = (error as Error).message;
}
const ms = Math.round(performance.now() - started);
const after = statusMb();
const MB = 1024 * 1024;
console.log(
  JSON.stringify({
    memoryMb,
    case: name,
    ms,
    stopped: sandbox.stopped?.reason ?? null,
    outcome,
    countedReadyMb: Math.round(readyCounted / MB),
    countedPeakMb: Math.round(sandbox.memory!.peakBytes / MB),
    rssReadyOverBeforeMb: ready.rss - before.rss,
    peakRssOverBeforeMb: after.hwm - before.rss,
  }),
);
await sandbox.close();
