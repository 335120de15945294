import { parseArgs } from 'node:util';
import { FORMATS, isFormat, type Format } from '../report/formats.js';
import type { Severity } from '../types.js';

export type { Format };

/** One report of a run: to stdout, or to a file (relative to the working directory). */
export interface Output {
  format: Format;
  path?: string;
}

const FAIL_ON = ['error', 'warning', 'info', 'none'] as const;

export interface CliArgs {
  command: 'review' | 'lint' | 'ci' | 'rules' | 'explain' | 'worker' | 'help' | 'version';
  paths: string[];
  base?: string;
  /** The format printed on stdout ('text' when every output goes to a file). */
  format: Format;
  /** Every report to write; `--format` was not given when `formatGiven` is false. */
  outputs: Output[];
  formatGiven: boolean;
  config?: string;
  failOn?: Severity | 'none';
  agent: 'auto' | 'force' | 'off';
  sandboxUrl?: string;
  /** A read-only replica to read production sizes from (rehearsal.stats-url). */
  statsUrl?: string;
  fix: boolean;
  /** With --fix: print the fixes as a unified diff instead of writing them. */
  dryRun: boolean;
  cache: boolean;
  color?: boolean;
  cwd: string;
  /** With the path `-`: the path the migration read from stdin has (editors lint unsaved buffers). */
  stdinFilepath?: string;
}

/** A mistake in how pgpro was called: exit code 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export { HELP } from './help.js';

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        base: { type: 'string' },
        format: { type: 'string', short: 'f', multiple: true },
        config: { type: 'string', short: 'c' },
        'fail-on': { type: 'string' },
        agent: { type: 'boolean' },
        'no-agent': { type: 'boolean' },
        'sandbox-url': { type: 'string' },
        'stats-url': { type: 'string' },
        fix: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        'no-cache': { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        cwd: { type: 'string', short: 'C' },
        'stdin-filepath': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const base = {
    paths: [] as string[],
    format: 'text' as Format,
    outputs: [{ format: 'text' as Format }] as Output[],
    formatGiven: false,
    agent: 'auto' as const,
    fix: false,
    dryRun: false,
    cache: true,
    cwd: values.cwd ?? process.cwd(),
  };
  if (values.help) return { ...base, command: 'help' };
  if (values.version) return { ...base, command: 'version' };
  const [command, ...paths] = positionals;
  if (command === undefined || command === 'help') return { ...base, command: 'help' };
  if (command === 'worker') return { ...base, command: 'worker' };
  if (command === 'rules') return { ...base, command: 'rules' };
  if (command === 'explain') return { ...base, command: 'explain', paths };
  if (command !== 'review' && command !== 'lint' && command !== 'ci') {
    throw new UsageError(`Unknown command "${command}". The commands are "review", "lint", "ci", "worker", "rules" and "explain".`);
  }
  const stdinFilepath = values['stdin-filepath'];
  if (paths.includes('-') && (command === 'ci' || stdinFilepath === undefined)) {
    throw new UsageError(command === 'ci' ? 'The path "-" (stdin) is for "pgpro review" and "pgpro lint".' : 'The path "-" (stdin) needs --stdin-filepath <path> to say which migration it is.');
  }
  if (stdinFilepath !== undefined && !paths.includes('-')) throw new UsageError('--stdin-filepath goes with the path "-" (stdin).');
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('The path "-" (stdin) can be given once.');
  if (paths.includes('-') && values.fix && !values['dry-run']) {
    throw new UsageError('--fix would write the migration read from stdin to disk: use --fix --dry-run to print the fixes as a diff.');
  }
  if (command === 'lint') {
    const reviewOnly = (['base', 'agent', 'no-agent', 'sandbox-url', 'stats-url', 'fix'] as const).filter((name) => values[name] !== undefined);
    if (reviewOnly.length > 0) {
      throw new UsageError(`${reviewOnly.map((name) => `--${name}`).join(', ')}: only for "pgpro review"; "pgpro lint" runs nothing.`);
    }
  }

  const outputs = (values.format ?? ['text']).map(parseOutput);
  // GitHub annotations are log lines: they may follow the one report printed on stdout.
  const toStdout = outputs.filter((o) => o.path === undefined && o.format !== 'github');
  if (toStdout.length > 1) {
    throw new UsageError(`Only one --format can print to stdout; give the others a file, e.g. --format ${toStdout[1]!.format}=pgpro.${toStdout[1]!.format}.`);
  }
  const failOn = values['fail-on'];
  if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn)) {
    throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')}; got "${failOn}".`);
  }
  if (values.agent && values['no-agent']) throw new UsageError('--agent and --no-agent contradict each other.');
  if (values['dry-run'] && !values.fix) throw new UsageError('--dry-run only goes with --fix.');
  return {
    ...base,
    command,
    paths,
    ...(values.base !== undefined ? { base: values.base } : {}),
    format: toStdout[0]?.format ?? outputs.find((o) => o.path === undefined)?.format ?? 'text',
    outputs,
    formatGiven: values.format !== undefined,
    ...(stdinFilepath !== undefined ? { stdinFilepath } : {}),
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(failOn !== undefined ? { failOn: failOn as Severity | 'none' } : {}),
    agent: values.agent ? 'force' : values['no-agent'] ? 'off' : 'auto',
    ...(values['sandbox-url'] !== undefined ? { sandboxUrl: values['sandbox-url'] } : {}),
    ...(values['stats-url'] !== undefined ? { statsUrl: values['stats-url'] } : {}),
    fix: values.fix === true,
    dryRun: values['dry-run'] === true,
    cache: values['no-cache'] !== true,
    ...(values.color ? { color: true } : values['no-color'] ? { color: false } : {}),
  };
}

/** `name` or `name=path`. */
function parseOutput(value: string): Output {
  const at = value.indexOf('=');
  const name = at === -1 ? value : value.slice(0, at);
  const path = at === -1 ? undefined : value.slice(at + 1);
  if (!isFormat(name)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, optionally with =<file>; got "${value}".`);
  if (path === '') throw new UsageError(`--format ${name}= needs a file name after "=".`);
  return path === undefined ? { format: name } : { format: name, path };
}
