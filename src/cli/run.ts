// The `pgpro` command line: parses the arguments and loads only the command it runs, so `--help`,
// `--version` and `lint` never load the sandbox (PGlite) or the GitHub App's stack.
import { HELP, parseCliArgs } from './args.js';
import { EXIT_CANNOT_RUN, EXIT_OK, type CliIo } from './io.js';
import { AppStackMissingError, loadAppModule } from '../app-stack.js';
import { VERSION } from '../version.js';
import { sampleMachine } from './spare-core.js';
import { preferBaselineWasmForShortRuns } from '../wasm-tiering.js';

export { EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, type CliIo } from './io.js';

/** Runs the CLI and returns its exit code; never calls process.exit itself. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.stderr.write(`pgpro: ${(error as Error).message}\nRun "pgpro --help" for usage.\n`);
    return EXIT_CANNOT_RUN;
  }
  // lint keeps WebAssembly on the baseline compiler only, and only when it parses (lint-command.ts).
  if (args.command === 'review' || args.command === 'ci') preferBaselineWasmForShortRuns();
  switch (args.command) {
    case 'help':
      io.stdout.write(HELP);
      return EXIT_OK;
    case 'version':
      io.stdout.write(`${VERSION}\n`);
      return EXIT_OK;
    case 'worker': {
      let worker;
      try {
        worker = await loadAppModule('pgpro worker', () => import('./worker.js'));
      } catch (error) {
        if (!(error instanceof AppStackMissingError)) throw error;
        io.stderr.write(`pgpro: ${error.message}\n`);
        return EXIT_CANNOT_RUN;
      }
      return worker.runWorker(io);
    }
    case 'lint':
      return (await import('./lint-command.js')).runLint(args, io);
    case 'review':
      prewarm(args.sandboxUrl, io.env);
      return (await import('./review-command.js')).runReview(args, io);
    case 'rules':
      return (await import('./rules-command.js')).runRules(io);
    case 'explain':
      return (await import('./rules-command.js')).runExplain(args, io);
    case 'ci':
      prewarm(args.sandboxUrl, io.env);
      return (await import('./ci-command.js')).runCi(args, io);
  }
}

/**
 * A review on PGlite unpacks the fresh cluster: started now, off this thread, it overlaps loading the
 * review's modules and reading the change instead of following them. Not with --sandbox-url (the server
 * engine needs none).
 */
function prewarm(sandboxUrl: string | undefined, env: NodeJS.ProcessEnv): void {
  if (sandboxUrl) return;
  sampleMachine();
  import('../sandbox/prewarm.js').then(({ prewarmSandbox }) => prewarmSandbox(env), () => undefined);
}
