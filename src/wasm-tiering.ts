// How long WebAssembly code runs on V8's baseline compiler (Liftoff) before a function is compiled
// again by the optimizing one (TurboFan), for a CLI run. A review runs Postgres (pglite.wasm) and the
// parser (libpg-query) for a second or a few: at V8's default budget, hundreds of their functions are
// recompiled in that time, on background threads that take the same two cores the review needs, and the
// optimized code is mostly used after the work is done. A hundred times the budget leaves tier-up to
// the functions that stay hot over a long run (a cold replay of a long history). Measured on the
// bench's generated history (warm CLI review: ~0.2 s less CPU, ~30 MB less peak RSS) and on Lemmy's
// cold review (no slower). The App and the queue worker keep V8's default: they live long enough for
// optimized code to pay.
import { createRequire } from 'node:module';

/** V8's default is 1,800,000 (roughly bytes of code executed per function before tier-up). */
const SHORT_RUN_TIERING_BUDGET = 180_000_000;

let applied = false;

/** Call before any WebAssembly module is compiled (V8 reads the budget when a module is instantiated). */
export function preferBaselineWasmForShortRuns(): void {
  if (applied) return;
  applied = true;
  // node:v8 loaded here, not by every command's start (`--help` compiles no WebAssembly).
  (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(`--wasm-tiering-budget=${SHORT_RUN_TIERING_BUDGET}`);
}
