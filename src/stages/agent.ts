import type { PgproConfig } from '../config/schema.js';
import { runAgentReview, type AgentCache, type AgentResult, type AgentTools } from '../agent/index.js';
import type { CatalogSnapshot, Finding, MigrationFile, ParsedFile, Queryable } from '../types.js';
import { describeTable } from './describe.js';
import { messageOf, timed, type ReviewState } from './state.js';

export interface AgentStageDeps {
  /** Where ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL come from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  agentCache?: AgentCache;
  /** Applies a proposed fix in a fresh sandbox; true when it applies and the hazard is gone. */
  verifyFix?: (finding: Finding) => Promise<boolean>;
}

export interface AgentStageInput {
  config: PgproConfig;
  /** 'force' runs even when config turns it off (the `/pgpro review` command); 'off' never runs. */
  mode: 'auto' | 'force' | 'off';
  migrations: { migration: MigrationFile; parsed: ParsedFile }[];
  catalog: CatalogSnapshot | undefined;
  findings: Finding[];
  sandbox: (Queryable & { readonly stopped: unknown; catalog(): Promise<CatalogSnapshot> }) | undefined;
}

/** Whether the agent stage will call the model (so work for it, like a fix-check snapshot, pays off). */
export function agentWillCall(config: PgproConfig, mode: AgentStageInput['mode'], env: NodeJS.ProcessEnv = process.env): boolean {
  return agentEnabled(config, mode) && Boolean(env.ANTHROPIC_API_KEY);
}

function agentEnabled(config: PgproConfig, mode: AgentStageInput['mode']): boolean {
  return mode === 'force' || (mode === 'auto' && config.agent.enabled !== false);
}

/** Runs the Claude review when the mode and config allow it. Never throws for API trouble: notes. */
export async function runAgentStage(input: AgentStageInput, deps: AgentStageDeps): Promise<AgentResult | undefined> {
  const { config, mode } = input;
  if (!agentEnabled(config, mode) || input.migrations.length === 0) return undefined;
  const env = deps.env ?? process.env;
  const sandbox = input.sandbox && !input.sandbox.stopped ? input.sandbox : undefined;
  return runAgentReview(
    {
      migrations: input.migrations.map(({ migration }) => ({
        file: migration.path,
        sql: migration.sql,
        lineOffset: migration.lineOffset,
        convention: migration.convention,
        inTransaction: migration.inTransaction,
      })),
      ...(input.catalog ? { catalog: input.catalog } : {}),
      findings: input.findings,
      postgresVersion: config['postgres-version'],
    },
    {
      model: config.agent.model,
      maxTokens: config.agent['max-tokens'],
      inputTokenBudget: config.agent['input-token-budget'],
      maxToolCalls: config.agent['max-tool-calls'],
      timeoutMs: config.agent['timeout-seconds'] * 1000,
      severity: config.agent.severity,
      ...(env.ANTHROPIC_API_KEY ? { apiKey: env.ANTHROPIC_API_KEY } : {}),
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    },
    {
      ...(sandbox ? { tools: sandboxTools(sandbox) } : {}),
      ...(deps.agentCache ? { cache: deps.agentCache } : {}),
      ...(deps.verifyFix ? { verifyFix: deps.verifyFix } : {}),
    },
  );
}

/** The agent's read-only window on the sandbox; the agent has already checked the SQL is a SELECT. */
export function sandboxTools(db: Queryable & { catalog(): Promise<CatalogSnapshot> }): AgentTools {
  const readOnly = async <T>(work: () => Promise<T>): Promise<T> => {
    await db.exec('BEGIN READ ONLY');
    try {
      return await work();
    } finally {
      await db.exec('ROLLBACK');
    }
  };
  return {
    query: (sql) => readOnly(() => db.query(sql)),
    explain: (sql) =>
      readOnly(async () => {
        const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      }),
    describe: async (table) => describeTable(await db.catalog(), table),
  };
}

/** Stage 6: the Claude review, grounded in everything the stages before it found. Optional. */
export async function agentStage(state: ReviewState): Promise<AgentResult | undefined> {
  const { config, deps } = state;
  const stats = await timed(state, 'agent', () =>
    runAgentStage(
      {
        config,
        mode: state.options.agent ?? 'auto',
        migrations: state.reviewable,
        catalog: state.catalogBefore,
        findings: state.findings,
        sandbox: state.sandbox,
      },
      { ...deps, ...(state.verifyFix && !deps.verifyFix ? { verifyFix: state.verifyFix } : {}) },
    ),
  ).catch((error: unknown) => {
    state.notes.push(`Claude review did not complete: ${messageOf(error)}`);
    return undefined;
  });
  if (stats) {
    state.findings.push(...stats.findings);
    state.notes.push(...stats.notes);
    // Model-written: shown as Claude's words, never as the verdict (the conclusion comes from findings).
    if (stats.summary?.trim()) state.notes.push(`Claude's overall assessment: ${stats.summary.trim()}`);
  }
  return stats;
}
