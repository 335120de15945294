// The text of `pgpro --help`, in a module of its own: `pgpro --help` loads nothing else (src/cli/main.ts).
export const HELP = `pgpro — review PostgreSQL migrations by running them

Usage:
  pgpro review [paths…] [options]
  pgpro lint [paths…] [options]
                          static mode (pre-commit, editors): parse and lint only, with the schema
                          read from the files' own DDL; nothing is run, so nothing is observed
  pgpro ci [options]      the GitHub Action's entry: review the pull request of GITHUB_EVENT_PATH,
                          write the job summary, the sticky PR comment (PGPRO_GITHUB_TOKEN or
                          GITHUB_TOKEN), annotations and pgpro.sarif
  pgpro rules             list the rules: id, default severity, what each flags
  pgpro explain <rule>    a rule's page: the problem, what it blocks, the safe alternative
  pgpro worker            run GitHub review jobs from the Redis queue (REDIS_URL, APP_ID, PRIVATE_KEY)

  With --base, the migrations that differ from the git ref are new and the ref's are the history.
  With paths, the named files are new and the earlier files of their convention are history
  (a directory: every migration in it is new). With neither, every migration found under the
  current directory is applied and reviewed.

Options:
  --base <git-ref>        compare with this ref (e.g. origin/main)
  --format <f>[=<file>]   text (default), json, markdown, sarif, github (Actions annotations),
                          gitlab (Code Quality), compact (file:line: severity rule message);
                          repeat it to write several: --format text --format sarif=pgpro.sarif
                          (with GITHUB_ACTIONS set and no --format: text and github annotations)
  --config <file>         config file (default: pgpro.yml or .github/pgpro.yml)
  --fail-on <severity>    error (default), warning, info, none
  --agent / --no-agent    force the Claude review on, or off (default: on when ANTHROPIC_API_KEY is set)
  --sandbox-url <url>     run in a scratch database on this PostgreSQL server instead of PGlite
  --stats-url <url>       read production table sizes from this read-only replica's statistics
                          (better: PGPRO_STATS_URL, which keeps a password out of the process list)
  --fix                   write the fixes the proof verified into the files (passes repeat until none is left)
  --dry-run               with --fix: print them as a unified diff instead of writing
  --no-cache              do not reuse or save history snapshots (lint: linted files)
  --color / --no-color    force colours on or off (default: on for a terminal, off with NO_COLOR)
  -C, --cwd <dir>         run as if started in <dir>
  --stdin-filepath <p>    with the path "-", read the migration from stdin as if it were file <p>
  -h, --help              this text
  -v, --version           the version

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 pgpro could not run.
`;
