// Where a CLI review's memory goes: the review the CLI runs (`pgpro review … --format json`), in this
// process, with the process's memory sampled every 10 ms and at every progress event, attributed to the
// stage running then. `[PGPRO_CACHE_DIR=dir] npx tsx bench/review-memory.ts <cwd> <config> <new file>…`: one line of
// JSON per phase (its peak RSS and the main thread's heap and array buffers then; the sandboxes'
// counted heap and files), then the process's peak (VmHWM). A fresh process per run: VmHWM only grows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCliConfig } from '../src/cli/config.js';
import { parseCliArgs } from '../src/cli/args.js';
import { localChangeSet } from '../src/cli/input.js';
import { review } from '../src/review.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { SnapshotCache } from '../src/sandbox/snapshot-cache.js';

const MB = 1024 * 1024;
const [cwd, configFile, ...newFiles] = process.argv.slice(2);
const cache = process.env.PGPRO_CACHE_DIR;
if (!cwd || !configFile || newFiles.length === 0) throw new Error('usage: [PGPRO_CACHE_DIR=dir] review-memory.ts <cwd> <config> <new file>…');

function status(): { rss: number; hwm: number } {
  const lines = readFileSync('/proc/self/status', 'utf8').split('\n');
  const field = (name: string) => Math.round(Number.parseInt(lines.find((l) => l.startsWith(`${name}:`))!.slice(name.length + 1), 10) / 1024);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

interface Phase { phase: string; peakRss: number; heapUsed: number; external: number; arrayBuffers: number; sandboxes: number; sandboxMb: number; ms: number }
const phases: Phase[] = [];
const sandboxes: Sandbox[] = [];
const t0 = performance.now();
let current: Phase | undefined;
function sample(): void {
  if (!current) return;
  const { rss } = status();
  if (rss >= current.peakRss) {
    const m = process.memoryUsage();
    const live = sandboxes.filter((s) => !s.stopped);
    Object.assign(current, {
      peakRss: rss,
      heapUsed: Math.round(m.heapUsed / MB),
      external: Math.round(m.external / MB),
      arrayBuffers: Math.round(m.arrayBuffers / MB),
      sandboxes: live.length,
      sandboxMb: Math.round(live.reduce((n, s) => n + (s.memory?.usedBytes ?? 0), 0) / MB),
    });
  }
}
function enter(phase: string): void {
  if (current?.phase === phase) return;
  sample();
  if (current) current.ms = Math.round(performance.now() - t0 - current.ms);
  current = { phase, peakRss: 0, heapUsed: 0, external: 0, arrayBuffers: 0, sandboxes: 0, sandboxMb: 0, ms: Math.round(performance.now() - t0) };
  phases.push(current);
  sample();
}
const timer = setInterval(sample, 10);

enter('load');
const args = parseCliArgs(['review', '--cwd', cwd, '--config', configFile, '--format', 'json', '--no-agent', '--fail-on', 'none', ...newFiles]);
const config = await loadCliConfig(args as never);
const { change } = await localChangeSet(cwd, newFiles, undefined);
const result = await review(
  change,
  { config, agent: 'off', onProgress: (e) => enter(e.stage) },
  {
    ...(cache ? { snapshotCache: new SnapshotCache({ dir: join(cache, 'snapshots') }) } : {}),
    createSandbox: async (options: SandboxOptions) => {
      const sandbox = await createSandbox(options);
      sandboxes.push(sandbox);
      return sandbox;
    },
  },
);
enter('done');
clearInterval(timer);
current!.ms = 0;
for (const p of phases) console.log(JSON.stringify(p));
console.log(JSON.stringify({ hwm: status().hwm, sandboxesStarted: sandboxes.length, stages: result.stats.stages, findings: result.findings.length }));
