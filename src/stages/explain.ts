import picomatch from 'picomatch';
import type { PgproConfig } from '../config/schema.js';
import { collectQueries, explainFindings, explainQueries, type ExplainedQuery, type QuerySource } from '../explain/index.js';
import { quoteIdent } from '../sql/quote.js';
import { fillSynthetic } from '../synthetic/index.js';
import { mentionsName } from '../text/mentions.js';
import type { CatalogSnapshot, FileTree, Finding, Queryable } from '../types.js';
import { budgetLeft, messageOf, progress, timed, type ReviewState, type ReviewedMigration as Reviewed } from './state.js';

export interface ExplainPrepared {
  queries: QuerySource[];
  before: ExplainedQuery[];
  notes: string[];
  /** Tables holding only synthetic rows (src/stages/synthetic-rerun.ts). */
  syntheticTables: string[];
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

/**
 * Before the new migrations run: put rows into the tables that already exist, so that scans and
 * rewrites are real and a constraint that existing rows violate fails; the tables the change or the
 * queries touch get the EXPLAIN volume, the others a modest seed. Then plan the queries as they are.
 */
export async function prepareData(input: {
  db: Queryable;
  config: PgproConfig;
  head: FileTree;
  fresh: Reviewed[];
  catalogBefore: CatalogSnapshot;
  /** How long the fill and the first plans may take. */
  budgetMs: number;
  /**
   * Rows every table already holds from the seeding (a seeded snapshot or this review's own): only
   * the rest is added. `syntheticOnly`: the tables the seeding filled that held no row before it.
   */
  seeded?: { rows: number; syntheticOnly: string[] };
}): Promise<ExplainPrepared> {
  const { config, db } = input;
  const queryFiles = config.explain.enabled ? await readQueryFiles(input.head, config.explain.queries) : [];
  const queries = collectQueries(queryFiles);
  const relevant = mentions([...input.fresh.map((f) => f.migration.sql), ...queries.map((q) => q.sql)]);
  const explainRows = (table: string) =>
    config.explain.rows[table] ?? config.explain.rows[table.replace(/^public\./, '')] ?? config.explain['default-rows'];
  const seedRows = config.sandbox['seed-rows'];
  const wanted = (table: string) =>
    config.explain.enabled && relevant(table) ? Math.max(seedRows, explainRows(table)) : seedRows;
  const rowsFor = (table: string) => Math.max(0, wanted(table) - (input.seeded?.rows ?? 0));
  const started = Date.now();
  const needed = input.catalogBefore.tables.some((t) => rowsFor(`${t.schema}.${t.name}`) > 0);
  const fill = needed
    ? await fillSynthetic(db, input.catalogBefore, rowsFor, { deadline: started + input.budgetMs })
    : { notes: [], syntheticOnly: [] };
  const budgetMs = Math.max(0, input.budgetMs - (Date.now() - started));
  const before = queries.length > 0 ? await explainQueries(db, queries, { budgetMs }) : [];
  const syntheticTables = [...new Set([...(input.seeded?.syntheticOnly ?? []), ...fill.syntheticOnly])];
  return { queries, before, notes: fill.notes, syntheticTables };
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
}): Promise<{ findings: Finding[]; notes: string[]; dataNotes: string[]; after: ExplainedQuery[] }> {
  const { db, config, prepared } = input;
  const existed = new Set(input.catalogBefore.tables.map((t) => `${t.schema}.${t.name}`));
  const started = Date.now();
  const fill = await fillSynthetic(
    db,
    input.catalogAfter,
    (table) => (existed.has(table) ? 0 : config.explain.rows[table] ?? config.explain['default-rows']),
    { deadline: started + input.budgetMs },
  );
  // The statistics of every user table, not only the ones just filled: the migrations rewrote and
  // updated existing tables too, and stale statistics would misstate what the plans below read.
  const tables = input.catalogAfter.tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
  if (tables.length > 0) await db.exec(`ANALYZE ${tables.join(', ')}`);
  const remaining = () => Math.max(0, input.budgetMs - (Date.now() - started));
  const after = prepared.queries.length > 0 ? await explainQueries(db, prepared.queries, { budgetMs: remaining() }) : [];
  const outcome = await explainFindings({
    before: prepared.before,
    after,
    queries: prepared.queries,
    newStatements: input.fresh.flatMap(({ migration, parsed }) =>
      parsed.statements.map((statement) => ({ file: migration.path, statement })),
    ),
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
