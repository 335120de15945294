import type { CatalogSnapshot, Finding, Severity } from '../types.js';

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

export interface AgentInput {
  migrations: AgentMigration[];
  catalog?: CatalogSnapshot;
  /** Every deterministic finding (parse, apply, lint, trace, explain): shown to the model, never changed. */
  findings: Finding[];
  postgresVersion: number;
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

export interface AgentUsage {
  inputTokens: number;
  outputTokens: number;
  cached: boolean;
  toolCalls: number;
}

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
  /** Applies `finding.fix.sql` in a fresh sandbox; true when it applies and the hazard is gone. */
  verifyFix?: (finding: Finding) => Promise<boolean>;
  fetch?: typeof fetch;
}
