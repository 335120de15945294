// One scenario in a process of its own: `node --import tsx bench/child.ts <scenario>` with the context
// as JSON in BENCH_CONTEXT; the result goes back over the IPC channel.
import { scenarios } from './scenarios.js';

const name = process.argv[2] ?? '';
const scenario = scenarios[name];
const context = JSON.parse(process.env.BENCH_CONTEXT ?? '{}') as never;

try {
  if (!scenario) throw new Error(`unknown scenario "${name}"; known: ${Object.keys(scenarios).join(', ')}`);
  const result = await scenario(context);
  process.send?.({ ok: true, result });
} catch (error) {
  process.send?.({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
// A sandbox worker or PGlite left open must not keep the bench waiting.
process.disconnect?.();
process.exit(0);
