// How long WebAssembly code runs on V8's baseline compiler (Liftoff) before a function is compiled
// again by the optimizing one (TurboFan), for a CLI run. A review runs Postgres (pglite.wasm) and the
// parser (libpg-query) for a second or a few: at V8's default budget, hundreds of their functions are
// recompiled in that time, on background threads that take the same two cores the review needs, and the
// optimized code is mostly used after the work is done. A hundred times the budget leaves tier-up to
// the functions that stay hot over a long run (a cold replay of a long history). Measured on the
// bench's generated history (warm CLI review: ~0.2 s less CPU, ~30 MB less peak RSS) and on Lemmy's
// cold review (no slower). The App and the queue worker keep V8's default: they live long enough for
// optimized code to pay. A review with a lock-time rehearsal goes back to the default before PGlite
// compiles (cli/review-command.ts): its timings are scaled to production sizes and reported, and were
// calibrated on optimized code (a function tiering up between two sizes bent the fitted growth).
import { createRequire } from 'node:module';

/** V8's default (roughly bytes of code executed per function before tier-up). */
const DEFAULT_TIERING_BUDGET = 1_800_000;
const SHORT_RUN_TIERING_BUDGET = 100 * DEFAULT_TIERING_BUDGET;

let shortRun = false;

/** node:v8 loaded here, not by every command's start (`--help` compiles no WebAssembly). */
function setV8Flag(flag: string): void {
  (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(flag);
}

function setTieringBudget(budget: number): void {
  setV8Flag(`--wasm-tiering-budget=${budget}`);
}

/**
 * WebAssembly on V8's baseline compiler only, no tier-up at all: for a run that will not time statements
 * (lint; a review without a lock-time rehearsal). Before the module it is for is compiled.
 */
export function baselineWasmOnly(): void {
  setV8Flag('--liftoff-only');
}

/** Call before any WebAssembly module is compiled: V8 reads the budget when a module is instantiated. */
export function preferBaselineWasmForShortRuns(): void {
  if (shortRun) return;
  shortRun = true;
  setTieringBudget(SHORT_RUN_TIERING_BUDGET);
}

/** V8's default budget again, for instances made from now on (a no-op unless a short run set another). */
export function restoreDefaultWasmTiering(): void {
  if (!shortRun) return;
  shortRun = false;
  setTieringBudget(DEFAULT_TIERING_BUDGET);
}
