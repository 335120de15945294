// The config a run without a config file uses: what configSchema.parse({}) gives (a test keeps them
// equal), written out so that such a run (a pre-commit `pgpro lint`) does not load zod.
import type { PgproConfig } from './schema.js';

const DEFAULTS: PgproConfig = {
  migrations: {
    paths: [],
    convention: 'auto',
    order: 'auto',
  },
  'postgres-version': 16,
  'fail-on': 'error',
  rules: {},
  sandbox: {
    engine: 'pglite',
    preset: 'none',
    setup: [],
    'statement-timeout-seconds': 20,
    'start-timeout-seconds': 60,
    'memory-mb': 2048,
    'seed-rows': 200,
  },
  limits: {
    'review-timeout-seconds': 600,
    'max-files': 200,
    'max-file-bytes': 2000000,
    'max-statements-per-file': 10000,
    'fix-proof-seconds': 120,
    'sandbox-seconds': 900,
  },
  trace: {
    enabled: true,
  },
  explain: {
    enabled: true,
    queries: [],
    'default-rows': 20000,
    rows: {},
    'time-budget-seconds': 60,
  },
  agent: {
    enabled: 'auto',
    'on-pull-request': true,
    model: 'claude-sonnet-5-5',
    'max-tokens': 8000,
    'input-token-budget': 60000,
    'max-tool-calls': 8,
    'timeout-seconds': 120,
    severity: 'warning',
  },
  rehearsal: {
    retry: true,
    'lock-time': true,
    'sample-rows': 50000,
    'time-budget-seconds': 60,
  },
  github: {
    drafts: false,
    'summary-comment': true,
    'inline-comments': true,
    'max-inline-comments': 25,
  },
};

/** A fresh copy of the defaults (callers may change theirs). */
export function defaultsWithoutSchema(): PgproConfig {
  return structuredClone(DEFAULTS);
}
