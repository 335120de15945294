import type { AgentUsage, CatalogSnapshot, Finding, Severity, StatementObservation } from '../types.js';

/**
 * Read-only access to the sandbox the migrations ran in. Implemented over the sandbox worker by the
 * pipeline; the agent validates every SQL text it passes (see readonly.ts) before calling these.
 */
export interface AgentTools {
  /** Runs one SELECT (or EXPLAIN of a SELECT), in a READ ONLY transaction. */
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
  /** EXPLAIN (no ANALYZE) of one SELECT; returns the plan as text. */
  explain(sql: string): Promise<string>;
  /** Columns, indexes, constraints and row estimate of one table, as text. */
  describe(table: string): Promise<string>;
}

export interface AgentMigration {
  file: string;
  sql: string;
  /** File lines before `sql` starts: line N of `sql` is line N + lineOffset of the file. */
  lineOffset: number;
  convention: string;
  inTransaction: boolean;
}

/** What the sandbox saw one statement of a new migration do. */
export interface AgentStatement {
  file: string;
  line: number;
  endLine: number;
  status: 'ok' | 'error' | 'not-run';
  durationMs: number;
  error?: string;
  observation?: StatementObservation;
}

/** A table's size in production, as the user stated it: an assumption, never a measurement of ours. */
export interface TableSize {
  rows: number;
  bytes?: number;
  /** Where the number comes from: 'production stats file db/stats.csv', 'explain.rows in the config'. */
  source: string;
}

/** One configured application query, planned before and after the change (EXPLAIN on synthetic data). */
export interface AgentQueryPlan {
  file: string;
  line: number;
  name?: string;
  sql: string;
  before?: string;
  after?: string;
  /** Why it could not be planned after the change (it names a dropped column…). */
  error?: string;
}

export interface AgentInput {
  migrations: AgentMigration[];
  catalog?: CatalogSnapshot;
  /** Every deterministic finding (parse, apply, lint, trace, explain): shown to the model, never changed. */
  findings: Finding[];
  postgresVersion: number;
  /** Per statement of the new migrations, what the sandbox observed. */
  statements?: AgentStatement[];
  /** Relations (`schema.name`) the new migrations name; their schema and FK neighbours are shown. */
  touched?: string[];
  /** Production sizes by `schema.name`, from config or a stats file. */
  sizes?: Record<string, TableSize>;
  /** Synthetic rows the sandbox held, by `schema.name`. */
  sandboxRows?: Record<string, number>;
  plans?: AgentQueryPlan[];
  /** The pull request's diff of files that are not migrations, by path. */
  patches?: Record<string, string>;
}

export interface AgentOptions {
  model: string;
  maxTokens: number;
  /** Rough cap on the prompt size; the user message is trimmed by priority to fit (≈4 chars a token). */
  inputTokenBudget: number;
  maxToolCalls: number;
  /** Wall-clock limit for the whole agent stage, retries and tool calls included. */
  timeoutMs: number;
  /** Severity of every agent finding (the configured policy; the model cannot change it). */
  severity: Severity;
  apiKey?: string;
  /** Defaults to ANTHROPIC_BASE_URL, then the SDK's default. */
  baseURL?: string;
  /** HTTP retries of one request on 408/409/429/5xx/529 (SDK backoff); default 2. */
  maxRetries?: number;
}

/** What the agent spent: the same shape a review's stats report. */
export type { AgentUsage } from '../types.js';

export interface AgentResult {
  findings: Finding[];
  notes: string[];
  usage: AgentUsage;
  /** The model's overall assessment. Model-written: show it as Claude's words, never as the verdict. */
  summary?: string;
}

export interface AgentCache {
  get(key: string): Promise<AgentResult | undefined>;
  set(key: string, value: AgentResult): Promise<void>;
}

export interface AgentDeps {
  tools?: AgentTools;
  cache?: AgentCache;
  fetch?: typeof fetch;
}
