// The second thread of a large `pgpro lint` run (engine.ts, lintInTwo): lints the targets it is given,
// replaying the migrations before the first of them, and posts the results back.
import { parentPort, workerData } from 'node:worker_threads';
import { lintTargets, targetsOf, type WorkerInput, type WorkerOutput } from './engine.js';

const input = workerData as WorkerInput;
const run = await lintTargets(input.migrations, targetsOf(input), input.config, {
  ...(input.from ? { from: input.from } : {}),
  ...(input.keep !== undefined ? { keep: input.keep } : {}),
});
parentPort!.postMessage({ linted: [...run.linted], ...(run.kept ? { kept: run.kept } : {}) } satisfies WorkerOutput);
