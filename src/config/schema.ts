import { z } from 'zod';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export const CONVENTIONS = [
  'auto',
  'plain',
  'prisma',
  'diesel',
  'golang-migrate',
  'flyway',
  'dbmate',
  'supabase',
  'sqlx',
  'sqitch',
] as const;

const severity = z.enum(SEVERITIES);
const ruleSetting = z.union([z.literal('off'), severity]);

const setupEntry = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ sql: z.string().min(1) }),
]);

export const DEFAULT_AGENT_MODEL = 'claude-sonnet-5-5';

export const configSchema = z.strictObject({
  migrations: z
    .strictObject({
      /** Globs of migration files or directories; empty means detect. */
      paths: z.array(z.string().min(1)).default([]),
      convention: z.enum(CONVENTIONS).default('auto'),
      /** How files sort when the convention does not decide: by name, or by the leading number. */
      order: z.enum(['auto', 'lexical', 'numeric']).default('auto'),
    })
    .prefault({}),
  'postgres-version': z.number().int().min(10).max(19).default(16),
  'fail-on': z.enum(['error', 'warning', 'info', 'none']).default('error'),
  /** Force the transaction mode of every file instead of the convention's. */
  'assume-in-transaction': z.boolean().optional(),
  rules: z.record(z.string(), ruleSetting).default({}),
  sandbox: z
    .strictObject({
      engine: z.enum(['pglite', 'postgres']).default('pglite'),
      url: z.string().optional(),
      preset: z.enum(['none', 'supabase']).default('none'),
      setup: z.array(setupEntry).default([]),
      /** A schema dump (pg_dump --schema-only, Rails structure.sql) that replaces the history as the starting state. */
      schema: z.string().min(1).optional(),
      'statement-timeout-seconds': z.number().positive().max(3600).default(20),
      /** Deadline for a sandbox to start, before scaling by the machine's load (src/sandbox/limits.ts). */
      'start-timeout-seconds': z.number().positive().max(3600).default(60),
      /** The sandbox's own memory, absolute (memory-bound.ts): a ready PGlite sandbox holds ~300 MB. */
      'memory-mb': z.number().int().min(512).max(16384).default(2048),
      'seed-rows': z.number().int().min(0).max(100000).default(200),
    })
    .prefault({}),
  limits: z
    .strictObject({
      'review-timeout-seconds': z.number().positive().max(7200).default(600),
      'max-files': z.number().int().positive().default(200),
      'max-file-bytes': z.number().int().positive().default(2_000_000),
      'max-statements-per-file': z.number().int().positive().default(10_000),
      /** Time for proving fixes in fresh sandboxes, in parallel; a proof not finished is "not verified (budget)". */
      'fix-proof-seconds': z.number().positive().max(1800).default(120),
      /** SQL time all sandboxes of one review may run together (history, apply, EXPLAIN, fix proofs, agent tools). */
      'sandbox-seconds': z.number().positive().max(14400).default(900),
    })
    .prefault({}),
  trace: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  explain: z
    .strictObject({
      enabled: z.boolean().default(true),
      queries: z.array(z.string().min(1)).default([]),
      'default-rows': z.number().int().min(0).max(1_000_000).default(20_000),
      rows: z.record(z.string(), z.number().int().min(0).max(5_000_000)).default({}),
      'time-budget-seconds': z.number().positive().max(600).default(60),
    })
    .prefault({}),
  agent: z
    .strictObject({
      /** auto: run when ANTHROPIC_API_KEY is set. */
      enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      /** Automatic PR runs; `/pgpro review` always runs the agent when a key is set. */
      'on-pull-request': z.boolean().default(true),
      model: z.string().min(1).default(DEFAULT_AGENT_MODEL),
      'max-tokens': z.number().int().positive().max(64000).default(8000),
      'input-token-budget': z.number().int().positive().default(60_000),
      'max-tool-calls': z.number().int().min(0).max(50).default(8),
      'timeout-seconds': z.number().positive().max(900).default(120),
      severity: severity.default('warning'),
      /** A file in the repository with production table sizes (CSV or JSON): stated to Claude as assumptions. */
      'production-stats': z.string().min(1).optional(),
    })
    .prefault({}),
  rehearsal: z
    .strictObject({
      /** Failure halfway: stop each new migration after each statement that commits on its own, and run it again. */
      retry: z.boolean().default(true),
      /** Lock time at production size: time blocking rewrites, scans and index builds at growing sizes, scale to production's. */
      'lock-time': z.boolean().default(true),
      /** Production table sizes (CSV or JSON, docs/production-stats.md); unset: agent.production-stats. */
      'production-stats': z.string().min(1).optional(),
      /**
       * A read-only URL of a replica whose statistics give the production sizes (docs/production-stats.md).
       * It may hold a password: prefer PGPRO_STATS_URL or --stats-url to writing it in the repository.
       */
      'stats-url': z.string().min(1).optional(),
      /** The smallest synthetic size measured; the others are twice and four times it. */
      'sample-rows': z.number().int().min(100).max(1_000_000).default(50_000),
      /** A finding whose estimated lock time reaches this many seconds becomes an error. */
      'fail-on-lock-seconds': z.number().positive().optional(),
      /** Time for the rehearsals of one review; what does not fit is skipped with a note. */
      'time-budget-seconds': z.number().positive().max(1800).default(60),
    })
    .prefault({}),
  github: z
    .strictObject({
      drafts: z.boolean().default(false),
      'summary-comment': z.boolean().default(true),
      'inline-comments': z.boolean().default(true),
      /** Inline comments per review, most severe first; the rest stay in the summary and the annotations. */
      'max-inline-comments': z.number().int().min(0).max(200).default(25),
    })
    .prefault({}),
  /** Base URL of the rule pages that reports link to (a rule's page is `<docs-url>/<rule-id>`). */
  'docs-url': z.url().optional(),
});

export type PgproConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
