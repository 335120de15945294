// Load: starts the fake GitHub and the real server on loopback, sends N signed pull_request webhooks at once,
// and prints webhook ack latency (p50/p99) and completed reviews per minute.
// Usage: npm run load -- [N=20] [--timeout-seconds=120] [--no-migrations]
import { baseEnv, deliver, fakeGitHub, openedPayload, pullRequest, startServer } from '../test/production/harness.js';

const args = process.argv.slice(2);
const n = Math.min(200, Math.max(1, Number(args.find((a) => /^\d+$/.test(a)) ?? 20)));
const timeoutMs = Math.min(600, Number(args.find((a) => a.startsWith('--timeout-seconds='))?.split('=')[1] ?? 120)) * 1000;
const migration = !args.includes('--no-migrations');

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const numbers = Array.from({ length: n }, (_, i) => i + 1);
const fake = await fakeGitHub(numbers.map((i) => ({ n: i, migration })));
const server = await startServer(baseEnv(fake, { LOG_LEVEL: 'warn' }));
try {
  const started = performance.now();
  const acks = await Promise.all(
    numbers.map(async (i) => {
      const t0 = performance.now();
      const response = await deliver(server.url, 'pull_request', openedPayload(i));
      if (!response.ok) throw new Error(`delivery ${i} answered ${response.status}`);
      return performance.now() - t0;
    }),
  );
  const heads = new Set(numbers.map((i) => pullRequest(i, migration).pull.headSha));
  const done = () => fake.checkRuns.filter((r) => heads.has(r.head_sha) && r.status === 'completed').length;
  while (done() < n && performance.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 250));
  const elapsedMin = (performance.now() - started) / 60_000;
  acks.sort((a, b) => a - b);
  const conclusions: Record<string, number> = {};
  for (const run of fake.checkRuns) if (run.status === 'completed') conclusions[run.conclusion ?? '?'] = (conclusions[run.conclusion ?? '?'] ?? 0) + 1;
  console.log(`webhooks: ${n} (${migration ? 'each adds a migration: full reviews' : 'no migrations'})`);
  console.log(`ack latency: p50 ${percentile(acks, 50).toFixed(0)} ms, p99 ${percentile(acks, 99).toFixed(0)} ms`);
  console.log(`completed: ${done()}/${n} in ${(elapsedMin * 60).toFixed(1)} s → ${(done() / elapsedMin).toFixed(1)} reviews/min ${JSON.stringify(conclusions)}`);
  if (done() < n) process.exitCode = 1;
} finally {
  await server.stop();
  await fake.close();
}
