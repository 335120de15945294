#!/usr/bin/env node
// The `pgpro` command. Asked only for help, it prints the text without loading the CLI's modules (the
// argument parser, the config and version readers): `pgpro --help` costs little more than Node's start.
const argv = process.argv.slice(2);
if (isHelpOnly(argv)) {
  process.stdout.write((await import('./help.js')).HELP);
} else {
  const { runCli } = await import('./run.js');
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin });
}

/** Arguments that `parseCliArgs` can only read as the help command: none, `help`, `--help`, `-h`. */
function isHelpOnly(args: readonly string[]): boolean {
  return args.length === 0 || (args.length === 1 && (args[0] === '--help' || args[0] === '-h' || args[0] === 'help'));
}
