import { parseArgs } from 'node:util';
import type { Severity } from '../types.js';

export type Format = 'text' | 'json' | 'markdown' | 'sarif';
const FORMATS: readonly Format[] = ['text', 'json', 'markdown', 'sarif'];
const FAIL_ON = ['error', 'warning', 'info', 'none'] as const;

export interface CliArgs {
  command: 'review' | 'lint' | 'worker' | 'help' | 'version';
  paths: string[];
  base?: string;
  format: Format;
  config?: string;
  failOn?: Severity | 'none';
  agent: 'auto' | 'force' | 'off';
  sandboxUrl?: string;
  fix: boolean;
  cache: boolean;
  color?: boolean;
  cwd: string;
}

/** A mistake in how pgpro was called: exit code 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const HELP = `pgpro — review PostgreSQL migrations by running them

Usage:
  pgpro review [paths…] [options]
  pgpro lint [paths…] [options]
                          static mode (pre-commit, editors): parse and lint only, with the schema
                          read from the files' own DDL; nothing is run, so nothing is observed
  pgpro worker            run GitHub review jobs from the Redis queue (REDIS_URL, APP_ID, PRIVATE_KEY)

  With --base, the migrations that differ from the git ref are new and the ref's are the history.
  With paths, the named files are new and the earlier files of their convention are history
  (a directory: every migration in it is new). With neither, every migration found under the
  current directory is applied and reviewed.

Options:
  --base <git-ref>        compare with this ref (e.g. origin/main)
  --format <f>            text (default), json, markdown, sarif
  --config <file>         config file (default: pgpro.yml or .github/pgpro.yml)
  --fail-on <severity>    error (default), warning, info, none
  --agent / --no-agent    force the Claude review on, or off (default: on when ANTHROPIC_API_KEY is set)
  --sandbox-url <url>     run in a scratch database on this PostgreSQL server instead of PGlite
  --fix                   rewrite mechanical fixes into the files in place
  --no-cache              do not reuse or save history snapshots (lint: linted files)
  --color / --no-color    force colours on or off (default: on for a terminal, off with NO_COLOR)
  -C, --cwd <dir>         run as if started in <dir>
  -h, --help              this text
  -v, --version           the version

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 pgpro could not run.
`;

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        base: { type: 'string' },
        format: { type: 'string', short: 'f' },
        config: { type: 'string', short: 'c' },
        'fail-on': { type: 'string' },
        agent: { type: 'boolean' },
        'no-agent': { type: 'boolean' },
        'sandbox-url': { type: 'string' },
        fix: { type: 'boolean' },
        'no-cache': { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        cwd: { type: 'string', short: 'C' },
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
    agent: 'auto' as const,
    fix: false,
    cache: true,
    cwd: values.cwd ?? process.cwd(),
  };
  if (values.help) return { ...base, command: 'help' };
  if (values.version) return { ...base, command: 'version' };
  const [command, ...paths] = positionals;
  if (command === undefined || command === 'help') return { ...base, command: 'help' };
  if (command === 'worker') return { ...base, command: 'worker' };
  if (command !== 'review' && command !== 'lint') {
    throw new UsageError(`Unknown command "${command}". The commands are "review", "lint" and "worker".`);
  }
  if (command === 'lint') {
    const reviewOnly = (['base', 'agent', 'no-agent', 'sandbox-url', 'fix'] as const).filter((name) => values[name] !== undefined);
    if (reviewOnly.length > 0) {
      throw new UsageError(`${reviewOnly.map((name) => `--${name}`).join(', ')}: only for "pgpro review"; "pgpro lint" runs nothing.`);
    }
  }

  const format = values.format ?? 'text';
  if (!FORMATS.includes(format as Format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got "${format}".`);
  }
  const failOn = values['fail-on'];
  if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn)) {
    throw new UsageError(`--fail-on must be one of ${FAIL_ON.join(', ')}; got "${failOn}".`);
  }
  if (values.agent && values['no-agent']) throw new UsageError('--agent and --no-agent contradict each other.');
  return {
    ...base,
    command,
    paths,
    ...(values.base !== undefined ? { base: values.base } : {}),
    format: format as Format,
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(failOn !== undefined ? { failOn: failOn as Severity | 'none' } : {}),
    agent: values.agent ? 'force' : values['no-agent'] ? 'off' : 'auto',
    ...(values['sandbox-url'] !== undefined ? { sandboxUrl: values['sandbox-url'] } : {}),
    fix: values.fix === true,
    cache: values['no-cache'] !== true,
    ...(values.color ? { color: true } : values['no-color'] ? { color: false } : {}),
  };
}
