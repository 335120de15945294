import type { PgproConfig } from '../config/schema.js';
import type { AgentCache, AgentQueryPlan, AgentResult, AgentStatement, AgentTools, TableSize } from '../agent/index.js';
import { quotedPlainText } from '../agent/plain.js';
import { productionSizes, statsUrl, type ProductionSizes } from '../rehearsal/sizes.js';
import type { ExplainedQuery } from '../explain/index.js';
import type { FixProver } from '../proof/index.js';
import type {
  CatalogSnapshot,
  ChangeSet,
  Finding,
  MigrationFile,
  ParsedFile,
  ParsedStatement,
  Queryable,
  StatementOutcome,
} from '../types.js';
import { describeTable } from './describe.js';
import { quoteIdentifier } from '../sql/quote.js';
import { messageOf, proofBudget, timed, type ReviewState } from './state.js';
import { settledFindings } from './finish.js';
import { NO_PROVER, proveFindingFixes, recordProof } from './verify-fix.js';
import { rehearsalSizes } from './rehearsal.js';

export interface AgentStageDeps {
  /** Where ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL come from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  agentCache?: AgentCache;
}

export interface AgentStageInput {
  config: PgproConfig;
  /** 'force' runs even when config turns it off (the `/pgpro review` command); 'off' never runs. */
  mode: 'auto' | 'force' | 'off';
  migrations: { migration: MigrationFile; parsed: ParsedFile }[];
  catalog: CatalogSnapshot | undefined;
  findings: Finding[];
  sandbox: (Queryable & { readonly stopped: unknown; catalog(): Promise<CatalogSnapshot> }) | undefined;
  /** The traced outcomes of each new migration's apply, by path. */
  outcomes?: ReadonlyMap<string, readonly StatementOutcome[]>;
  /** The configured queries' plans before and after the new migrations. */
  plans?: { before: readonly ExplainedQuery[]; after?: readonly ExplainedQuery[] };
  /** The catalog after the new migrations: the synthetic rows the sandbox held. */
  catalogAfter?: CatalogSnapshot;
  /** The change: its head tree (for the production stats file) and the pull request's patches. */
  change?: ChangeSet;
  /** Proves Claude's fixes; without it no fix is shown as verified. */
  prover?: FixProver;
  /** Time for the proofs (limits.fix-proof-seconds, within what is left of the review). */
  proofBudgetMs?: number;
  /** Production sizes already read for this review (by the lock-time rehearsal). */
  sizes?: ProductionSizes;
}

/** Whether the agent stage will call the model (so work for it, like a fix-proof snapshot, pays off). */
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
  const stats = await agentSizes(config, input.change, env, input.sizes);
  const sandboxRows = syntheticRows(input.catalog, input.catalogAfter);
  // Loaded when the agent runs: Anthropic's SDK is ~1 MB of code a review without Claude never calls.
  const { runAgentReview } = await import('../agent/review.js');
  const result = await runAgentReview(
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
      statements: statementRows(input.migrations, input.outcomes),
      touched: touchedRelations(input.migrations.flatMap(({ parsed }) => parsed.statements)),
      sizes: stats.sizes,
      sandboxRows,
      plans: queryPlans(input.plans),
      ...(input.change?.patches ? { patches: otherPatches(input.change.patches, input.migrations) } : {}),
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
      ...(sandbox ? { tools: sandboxTools(sandbox, stats.sizes) } : {}),
      ...(deps.agentCache ? { cache: deps.agentCache } : {}),
    },
  );
  result.notes.unshift(...stats.notes);
  if (result.summary?.trim()) result.summary = quotedPlainText(result.summary);
  await proveAgentFixes(result, input);
  return result;
}

/** Claude's fixes go through the same proof as every other fix; one that fails says why in its title. */
async function proveAgentFixes(result: AgentResult, input: AgentStageInput): Promise<void> {
  const withSql = result.findings.filter((f) => f.fix?.sql);
  if (withSql.length === 0) return;
  if (!input.prover) {
    for (const f of withSql) recordProof(f, NO_PROVER, { dropIn: false });
    return;
  }
  await proveFindingFixes(withSql, input.prover, { budgetMs: input.proofBudgetMs ?? 60_000 });
}

/**
 * The production sizes Claude is told, from the same sources as the lock-time rehearsal (explain.rows, the
 * stats file, a replica's statistics): the rehearsal's when it read them, so a replica is asked once
 * and its notes said once; else read here, with notes of their own.
 */
export async function agentSizes(
  config: PgproConfig,
  change: ChangeSet | undefined,
  env: NodeJS.ProcessEnv,
  read?: ProductionSizes,
): Promise<{ sizes: Record<string, TableSize>; notes: string[] }> {
  if (read) return { sizes: Object.fromEntries(read.sizes), notes: [] };
  const own = await productionSizes(config, change?.head, statsUrl(config, env), 'Claude review');
  return { sizes: Object.fromEntries(own.sizes), notes: own.notes };
}

function syntheticRows(before: CatalogSnapshot | undefined, after: CatalogSnapshot | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const existed = new Set(before?.tables.map((t) => `${t.schema}.${t.name}`));
  for (const table of after?.tables ?? []) {
    const key = `${table.schema}.${table.name}`;
    if (existed.has(key) && table.estimatedRows >= 0) out[key] = Math.round(table.estimatedRows);
  }
  return out;
}

function statementRows(
  migrations: AgentStageInput['migrations'],
  outcomes: AgentStageInput['outcomes'],
): AgentStatement[] {
  if (!outcomes) return [];
  const rows: AgentStatement[] = [];
  for (const { migration, parsed } of migrations) {
    const run = outcomes.get(migration.path);
    if (!run) continue;
    const byIndex = new Map(run.map((o) => [o.index, o]));
    for (const statement of parsed.statements) {
      const outcome = byIndex.get(statement.index);
      rows.push({
        file: migration.path,
        line: statement.line,
        endLine: statement.endLine,
        status: outcome?.status ?? 'not-run',
        durationMs: outcome?.durationMs ?? 0,
        ...(outcome?.error ? { error: `${outcome.error.message}${outcome.error.sqlstate ? ` (${outcome.error.sqlstate})` : ''}` } : {}),
        ...(outcome?.observation ? { observation: outcome.observation } : {}),
      });
    }
  }
  return rows;
}

/** Every relation the statements name (`schema.name`, unqualified names in public). */
export function touchedRelations(statements: readonly ParsedStatement[]): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.relname === 'string') {
      found.add(`${typeof record.schemaname === 'string' ? record.schemaname : 'public'}.${record.relname}`);
    }
    Object.values(record).forEach(visit);
  };
  for (const statement of statements) {
    visit(statement.ast);
    const drop = (statement.ast as { DropStmt?: { removeType?: string; objects?: unknown[] } }).DropStmt;
    if (drop?.removeType === 'OBJECT_TABLE') {
      for (const object of drop.objects ?? []) {
        const names = ((object as { List?: { items?: { String?: { sval?: string } }[] } }).List?.items ?? []).map((i) => i.String?.sval ?? '');
        if (names.length === 1) found.add(`public.${names[0]}`);
        if (names.length === 2) found.add(`${names[0]}.${names[1]}`);
      }
    }
  }
  return [...found];
}

function queryPlans(plans: AgentStageInput['plans']): AgentQueryPlan[] {
  if (!plans) return [];
  return plans.before.map((before, i) => {
    const after = plans.after?.[i];
    return {
      file: before.query.file,
      line: before.query.line,
      ...(before.query.name ? { name: before.query.name } : {}),
      sql: before.query.sql,
      ...(before.plan ? { before: before.plan.text } : {}),
      ...(after?.plan ? { after: after.plan.text } : {}),
      ...(after?.error ? { error: after.error } : {}),
    };
  });
}

function otherPatches(patches: Readonly<Record<string, string>>, migrations: AgentStageInput['migrations']): Record<string, string> {
  const excluded = new Set(migrations.flatMap(({ migration }) => [migration.path, ...(migration.down ? [migration.down.path] : [])]));
  return Object.fromEntries(Object.entries(patches).filter(([path]) => !excluded.has(path)));
}

/** The role the agent's queries run as in a PGlite sandbox: it reads every table and can do nothing else. */
export const AGENT_READER_ROLE = 'pgpro_agent_reader';

/**
 * Each tool query runs in a transaction that is rolled back, so the sandbox keeps no trace of it. In a
 * PGlite sandbox, whose one session is a superuser's, that transaction first creates a role with only
 * pg_read_all_data (SELECT on tables, USAGE on schemas), takes EXECUTE from PUBLIC on the functions the
 * migrations wrote in SQL or a procedural language (their code could SET ROLE back: a superuser
 * session may always), switches to that role and makes the transaction READ ONLY. A tool query is one
 * SELECT (readonly.ts): it cannot RESET ROLE or call set_config. A server sandbox has its own reader
 * role for this (serverReaderSetup).
 */
const READER_SETUP = [
  'BEGIN',
  `CREATE ROLE ${AGENT_READER_ROLE} NOLOGIN`,
  `GRANT pg_read_all_data TO ${AGENT_READER_ROLE}`,
  `DO $pgpro$ DECLARE f regprocedure; BEGIN
     FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
       JOIN pg_catalog.pg_language l ON l.oid = p.prolang
       JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE l.lanname NOT IN ('c', 'internal') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
     LOOP EXECUTE format('REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC', f); END LOOP;
   END $pgpro$`,
  `SET LOCAL ROLE ${AGENT_READER_ROLE}`,
  'SET TRANSACTION READ ONLY',
].join(';\n');

/**
 * The same on a server sandbox, whose session is the migration role's (the owner of everything the
 * migrations made, and able to signal its own role's sessions, pgpro's included). The reader role
 * pgpro made for the sandbox (postgres/admin.ts createReaderRole: no login, no attribute, granted to
 * the migration role) gets, for this transaction only, USAGE on the schemas and SELECT on the relations
 * the migration role may grant; EXECUTE on the migrations' SQL and PL functions is taken from PUBLIC;
 * then the session SETs LOCAL ROLE to it, READ ONLY. The grants run with pg_catalog alone on the
 * search_path, so a migration's function or operator cannot stand in for a catalog one; a reader that
 * was granted any role (a migration could try) makes the tools refuse.
 */
export function serverReaderSetup(reader: string): string {
  const role = quoteIdentifier(reader);
  return [
    'BEGIN',
    `DO $pgpro$ DECLARE
       previous text := pg_catalog.current_setting('search_path');
       reader oid := pg_catalog.to_regrole(${quoteLiteral(quoteIdentifier(reader))});
       target record;
     BEGIN
       PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
       IF reader IS NULL THEN RAISE EXCEPTION 'the agent reader role % is missing', ${quoteLiteral(reader)}; END IF;
       IF EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.member OPERATOR(pg_catalog.=) reader) THEN
         RAISE EXCEPTION 'the agent reader role % was granted another role; the tools do not run as it', ${quoteLiteral(reader)};
       END IF;
       FOR target IN SELECT n.oid::regnamespace AS name FROM pg_catalog.pg_namespace n
        WHERE n.nspname OPERATOR(pg_catalog.!~) '^(pg_catalog|information_schema|pg_toast|pg_temp_|pg_toast_temp_)'
          AND pg_catalog.has_schema_privilege(n.oid, 'USAGE WITH GRANT OPTION')
       LOOP EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %s TO ${role}', target.name); END LOOP;
       FOR target IN SELECT c.oid::regclass AS name FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
        WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,v,m,f,S}'::"char"[])
          AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{pg_catalog,information_schema}'::name[])
          AND pg_catalog.has_table_privilege(c.oid, 'SELECT WITH GRANT OPTION')
       LOOP EXECUTE pg_catalog.format('GRANT SELECT ON %s TO ${role}', target.name); END LOOP;
       FOR target IN SELECT p.oid::regprocedure AS name FROM pg_catalog.pg_proc p
         JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang
         JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
        WHERE l.lanname OPERATOR(pg_catalog.<>) ALL ('{c,internal}'::name[])
          AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{pg_catalog,information_schema}'::name[])
          AND pg_catalog.pg_has_role(p.proowner, 'USAGE')
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::regclass
                          AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
       LOOP EXECUTE pg_catalog.format('REVOKE EXECUTE ON ROUTINE %s FROM PUBLIC', target.name); END LOOP;
       PERFORM pg_catalog.set_config('search_path', previous, true);
     END $pgpro$`,
    `SET LOCAL ROLE ${role}`,
    'SET TRANSACTION READ ONLY',
  ].join(';\n');
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Why a server sandbox's tools cannot query: pgpro had no role to make the reader. */
export const NO_SERVER_READER =
  "the sandbox server's role cannot create roles, so pgpro has no read-only role to run this query as; the query was not run (grant the role in sandbox.url CREATEROLE, see docs/config.md)";

/** The agent's read-only window on the sandbox; the agent has already checked the SQL is a SELECT. */
export function sandboxTools(
  db: Queryable & { catalog(): Promise<CatalogSnapshot>; readonly engine?: { name: string }; readonly readerRole?: string | undefined },
  sizes: Record<string, TableSize> = {},
): AgentTools {
  const setup = db.engine?.name === 'pglite' ? READER_SETUP : db.readerRole ? serverReaderSetup(db.readerRole) : undefined;
  const readOnly = async <T>(work: () => Promise<T>): Promise<T> => {
    if (!setup) throw new Error(NO_SERVER_READER);
    try {
      await db.exec(setup);
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
    describe: async (table) => {
      const text = describeTable(await db.catalog(), table);
      // The sandbox's count is synthetic: say so, next to the production size the user stated, if any.
      return text.replace(/^Table (\S+) \(~(\d+) rows\)/, (_m, name: string, count: string) => {
        const size = sizes[name];
        const production = size ? `production: ~${size.rows.toLocaleString('en-US')} rows, assumed from ${size.source}` : 'production size unknown';
        return `Table ${name} (sandbox: ${Number(count).toLocaleString('en-US')} synthetic rows; ${production})`;
      });
    },
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
        // Claude sees what the review would report: one finding per hazard.
        findings: settledFindings(state),
        // A sandbox lent to the rehearsals no longer holds the change's state.
        sandbox: state.sandboxLent ? undefined : state.sandbox,
        outcomes: new Map([...state.runs].map(([path, run]) => [path, run.outcomes])),
        ...(state.explainPrepared ? { plans: { before: state.explainPrepared.before, ...(state.plansAfter ? { after: state.plansAfter } : {}) } } : {}),
        ...(state.catalogAfter ? { catalogAfter: state.catalogAfter } : {}),
        change: state.change,
        ...(state.prover ? { prover: state.prover } : {}),
        proofBudgetMs: proofBudget(state),
        ...(rehearsalSizes(state) ? { sizes: rehearsalSizes(state)! } : {}),
      },
      deps,
    ),
  ).catch((error: unknown) => {
    state.notes.push(`Claude review did not complete: ${messageOf(error)}`);
    return undefined;
  });
  if (stats) {
    state.findings.push(...stats.findings);
    state.notes.push(...stats.notes);
    // Model-written: shown as Claude's words, never as the verdict (the conclusion comes from findings).
    if (stats.summary?.trim()) state.notes.push(`Claude's overall assessment (its words, not checked): ${stats.summary.trim()}`);
  }
  return stats;
}
