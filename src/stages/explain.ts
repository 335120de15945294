import picomatch from 'picomatch';
import type { PgproConfig } from '../config/schema.js';
import { collectQueries, explainFindings, explainQueries, explainReadsData, type ExplainedQuery, type QuerySource } from '../explain/index.js';
import { readsNoRows } from '../explain/volume.js';
import { quoteIdent } from '../sql/quote.js';
import { fillSynthetic, type ColumnFacts } from '../synthetic/index.js';
import { mentionsName } from '../text/mentions.js';
import type { CatalogSnapshot, FileTree, Finding, Queryable } from '../types.js';
import { agentWillCall } from './agent.js';
import { budgetLeft, messageOf, progress, timed, type ReviewState, type ReviewedMigration as Reviewed } from './state.js';

export interface ExplainPrepared {
  queries: QuerySource[];
  before: ExplainedQuery[];
  notes: string[];
  /** Tables holding only synthetic rows (src/stages/synthetic-rerun.ts). */
  syntheticTables: string[];
  /** What this fill alone noted and filled from empty (beside the seeding's): kept with a filled snapshot. */
  fillPlan: [string, number][];
  fillNotes: string[];
  fillSyntheticOnly: string[];
}

/** Query files named by config `explain.queries`, read from the head tree. */
export async function readQueryFiles(head: FileTree, globs: string[]): Promise<{ path: string; content: string }[]> {
  if (globs.length === 0) return [];
  const match = picomatch(globs, { dot: true });
  const paths = head.paths.filter((p) => match(p));
  const files = await Promise.all(paths.map(async (path) => ({ path, content: (await head.read(path)) ?? '' })));
  return files.filter((f) => f.content.length > 0);
}

function mentions(texts: string[]): (table: string) => boolean {
  const haystack = texts.join('\n').toLowerCase();
  return (table) => {
    const name = (table.split('.').pop() ?? table).replace(/"/g, '').toLowerCase();
    return mentionsName(haystack, name);
  };
}

interface FillInput {
  config: PgproConfig;
  head: FileTree;
  fresh: Reviewed[];
  catalogBefore: CatalogSnapshot;
  /**
   * Rows every table already holds from the seeding (a seeded snapshot or this review's own): only
   * the rest is added. `syntheticOnly`: the tables the seeding filled that held no row before it.
   */
  seeded?: { rows: number; syntheticOnly: string[] };
  /** Claude will query the database after the change: it reads the tables' rows and sizes too. */
  agentQueries: boolean;
}

/**
 * Whether anything the review does reads the rows of the tables the change names: the queries of
 * `explain.queries`, Claude's tools, or a statement of a new migration (or of its down) that
 * src/explain/volume.ts cannot show reads none. When nothing does, the EXPLAIN volume would change no
 * finding, scan, plan or note: the seed rows are enough.
 */
function volumeRead(input: FillInput, queries: QuerySource[]): boolean {
  if (queries.length > 0 || input.agentQueries) return true;
  for (const { migration, parsed, parsedDown } of input.fresh) {
    if (parsed.errors.length > 0 || !parsed.statements.every(readsNoRows)) return true;
    if (!migration.down) continue;
    if (!parsedDown || parsedDown.errors.length > 0 || !parsedDown.statements.every(readsNoRows)) return true;
  }
  return false;
}

/**
 * The rows the data stage adds to each existing table: the tables the change or the queries touch get
 * the EXPLAIN volume, the others a modest seed (less what the seeding put there). `plan` lists the
 * tables that get rows, in catalog order: with the seeded state, it names the state the fill leaves.
 */
export async function explainFill(input: FillInput): Promise<{ queries: QuerySource[]; rowsFor: (table: string) => number; plan: [string, number][] }> {
  const { config } = input;
  const queryFiles = config.explain.enabled ? await readQueryFiles(input.head, config.explain.queries) : [];
  const queries = collectQueries(queryFiles);
  const relevant = mentions([...input.fresh.map((f) => f.migration.sql), ...queries.map((q) => q.sql)]);
  const explainRows = (table: string) =>
    config.explain.rows[table] ?? config.explain.rows[table.replace(/^public\./, '')] ?? config.explain['default-rows'];
  const seedRows = config.sandbox['seed-rows'];
  const volume = config.explain.enabled && volumeRead(input, queries);
  const wanted = (table: string) => (volume && relevant(table) ? Math.max(seedRows, explainRows(table)) : seedRows);
  const rowsFor = (table: string) => Math.max(0, wanted(table) - (input.seeded?.rows ?? 0));
  const plan = input.catalogBefore.tables
    .map((t): [string, number] => [`${t.schema}.${t.name}`, Math.floor(rowsFor(`${t.schema}.${t.name}`))])
    .filter(([, rows]) => rows > 0);
  return { queries, rowsFor, plan };
}

/**
 * Before the new migrations run: put rows into the tables that already exist, so that scans and
 * rewrites are real and a constraint that existing rows violate fails (explainFill says how many).
 * Then plan the queries as they are. `restored`: the sandbox was restored with this fill already made
 * (src/stages/filled.ts), so only the plans are left to do.
 */
export async function prepareData(
  input: FillInput & {
    db: Queryable;
    /** How long the fill and the first plans may take. */
    budgetMs: number;
    restored?: { notes: string[]; syntheticOnly: string[] };
    /** Column facts of this schema, when the seeding just read them. */
    facts?: ColumnFacts;
  },
): Promise<ExplainPrepared> {
  const { db } = input;
  const { queries, rowsFor, plan } = await explainFill(input);
  const started = Date.now();
  const fill = input.restored
    ? input.restored
    : plan.length > 0
      ? await fillSynthetic(db, input.catalogBefore, rowsFor, { deadline: started + input.budgetMs, ...(input.facts ? { facts: input.facts } : {}) })
      : { notes: [], syntheticOnly: [] };
  const budgetMs = Math.max(0, input.budgetMs - (Date.now() - started));
  const before = queries.length > 0 ? await explainQueries(db, queries, { budgetMs }) : [];
  const syntheticTables = [...new Set([...(input.seeded?.syntheticOnly ?? []), ...fill.syntheticOnly])];
  return { queries, before, notes: fill.notes, syntheticTables, fillPlan: plan, fillNotes: fill.notes, fillSyntheticOnly: fill.syntheticOnly };
}

/** After the new migrations: fill the tables they created, plan again, and judge. */
export async function finishExplain(input: {
  db: Queryable;
  config: PgproConfig;
  prepared: ExplainPrepared;
  fresh: Reviewed[];
  catalogBefore: CatalogSnapshot;
  catalogAfter: CatalogSnapshot;
  budgetMs: number;
  /** Something after these checks queries the database as they leave it (Claude's tools). */
  queriedAfter?: boolean;
}): Promise<{ findings: Finding[]; notes: string[]; dataNotes: string[]; after: ExplainedQuery[] }> {
  const { db, config, prepared } = input;
  const existed = new Set(input.catalogBefore.tables.map((t) => `${t.schema}.${t.name}`));
  const started = Date.now();
  const newStatements = input.fresh.flatMap(({ migration, parsed }) => parsed.statements.map((statement) => ({ file: migration.path, statement })));
  // Rows in the new tables and fresh statistics only for what reads them: most of a small change's
  // EXPLAIN time when nothing does (a lone file that creates a table and its index).
  const readsData =
    input.queriedAfter === true ||
    explainReadsData({ queries: prepared.queries, newStatements, catalogBefore: input.catalogBefore, catalogAfter: input.catalogAfter });
  const fill = readsData
    ? await fillSynthetic(
        db,
        input.catalogAfter,
        (table) => (existed.has(table) ? 0 : config.explain.rows[table] ?? config.explain['default-rows']),
        { deadline: started + input.budgetMs },
      )
    : { notes: [] };
  // The statistics of every user table, not only the ones just filled: the migrations rewrote and
  // updated existing tables too, and stale statistics would misstate what the plans below read.
  const tables = input.catalogAfter.tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
  if (readsData && tables.length > 0) await db.exec(`ANALYZE ${tables.join(', ')}`);
  const remaining = () => Math.max(0, input.budgetMs - (Date.now() - started));
  const after = prepared.queries.length > 0 ? await explainQueries(db, prepared.queries, { budgetMs: remaining() }) : [];
  const outcome = await explainFindings({
    before: prepared.before,
    after,
    queries: prepared.queries,
    newStatements,
    catalogBefore: input.catalogBefore,
    catalogAfter: input.catalogAfter,
    db,
    budgetMs: remaining(),
  });
  return { findings: outcome.findings, notes: outcome.notes, dataNotes: fill.notes, after };
}

/** Stage 5: plans after the change, and the EXPLAIN checks. Optional: a failure is a note. */
export async function explainStage(state: ReviewState): Promise<void> {
  const { config } = state;
  const sandbox = state.sandbox!;
  const prepared = state.explainPrepared;
  if (!config.explain.enabled || !prepared || sandbox.stopped || !state.catalogBefore || !state.catalogAfter) return;
  progress(state, 'explain', 'Checking query plans on synthetic data');
  await timed(state, 'explain', async () => {
    try {
      const result = await finishExplain({
        db: sandbox,
        config,
        prepared,
        // Plans of a migration that failed (and may have been rolled back) would judge a schema
        // that never existed.
        fresh: state.reviewable.filter((item) => state.statuses.get(item.migration.path)?.status === 'applied'),
        catalogBefore: state.catalogBefore!,
        catalogAfter: state.catalogAfter!,
        budgetMs: budgetLeft(state, config.explain['time-budget-seconds'] * 1000),
        queriedAfter: agentWillCall(config, state.options.agent ?? 'auto', state.deps.env),
      });
      state.findings.push(...result.findings);
      state.notes.push(...result.notes);
      state.syntheticNotes.push(...result.dataNotes);
      state.plansAfter = result.after;
    } catch (error) {
      state.notes.push(`EXPLAIN checks did not complete: ${messageOf(error)}`);
    }
  });
}
