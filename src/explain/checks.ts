import { fingerprint } from '../finding.js';
import type { HazardFinding } from '../hazards/types.js';
import { formatNumber, plural } from '../text/grammar.js';
import { mentionsName } from '../text/mentions.js';
import { BoundedMemo } from '../bounded-memo.js';
import type { CatalogSnapshot, CatalogTable, Finding, ParsedStatement, Queryable } from '../types.js';
import { foreignKeys, qualifiedName, type ForeignKey } from '../synthetic/order.js';
import { quoteIdent, quoteTable } from '../synthetic/plan.js';
import { describeNode, explainQuery, type PlanSummary } from './plan.js';
import type { QuerySource } from './queries.js';

export interface ExplainedQuery {
  query: QuerySource;
  plan?: PlanSummary;
  /** Why the query could not be explained (it names a dropped column, a missing type…). */
  error?: string;
  /** Not explained because the time budget ran out. */
  skipped?: boolean;
}

export interface NewStatement {
  file: string;
  statement: ParsedStatement;
}

export interface ExplainInput {
  /** Plans of the query files before the new migrations (after history replay and synthetic fill). */
  before: ExplainedQuery[];
  /** Plans of the same queries after the new migrations. */
  after: ExplainedQuery[];
  queries: QuerySource[];
  newStatements: NewStatement[];
  catalogBefore: CatalogSnapshot;
  catalogAfter: CatalogSnapshot;
  /** The database after the new migrations, filled with synthetic rows. */
  db: Queryable;
  budgetMs?: number;
  /** Foreign keys to check: only those the change adds or weakens (default), or all. */
  foreignKeys?: 'changed' | 'all';
  /** Rows per batch in the suggested batched backfill. */
  batchSize?: number;
}

export interface ExplainOutcome {
  findings: Finding[];
  notes: string[];
}

class Budget {
  private readonly deadline: number;
  cut = false;
  constructor(ms: number | undefined, readonly notes: string[]) {
    this.deadline = ms === undefined ? Infinity : Date.now() + ms;
  }
  /** False (and a note, once) when the time is up. */
  allows(what: string): boolean {
    if (Date.now() < this.deadline) return true;
    if (!this.cut) this.notes.push(`explain: time budget reached; stopped before ${what} and the checks after it`);
    this.cut = true;
    return false;
  }
}

/** Explain each query; one failing query becomes an `error` entry, not a failure of the stage. */
export async function explainQueries(
  db: Queryable,
  queries: QuerySource[],
  options: { budgetMs?: number } = {},
): Promise<ExplainedQuery[]> {
  const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
  const out: ExplainedQuery[] = [];
  for (const query of queries) {
    if (Date.now() > deadline) {
      out.push({ query, skipped: true });
      continue;
    }
    try {
      out.push({ query, plan: await explainQuery(db, query.sql) });
    } catch (error) {
      out.push({ query, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Catalog and AST helpers

function tableIndex(catalog: CatalogSnapshot): Map<string, CatalogTable> {
  return new Map(catalog.tables.map((t) => [qualifiedName(t), t]));
}

/** schema.name of a RangeVar, resolving an unqualified name against the catalog (public first). */
function resolveRangeVar(node: unknown, catalog: CatalogSnapshot): string | undefined {
  const rv = node as { schemaname?: string; relname?: string } | undefined;
  if (!rv?.relname) return undefined;
  if (rv.schemaname) return `${rv.schemaname}.${rv.relname}`;
  const matches = catalog.tables.filter((t) => t.name === rv.relname);
  const pick = matches.find((t) => t.schema === 'public') ?? matches[0];
  return pick ? qualifiedName(pick) : `public.${rv.relname}`;
}

function astBody(statement: ParsedStatement): Record<string, unknown> {
  return (statement.ast[statement.kind] ?? {}) as Record<string, unknown>;
}

function mentions(statement: ParsedStatement, word: string): boolean {
  return mentionsName(statement.text.toLowerCase(), word.toLowerCase());
}

function makeFinding(
  rule: string,
  severity: Finding['severity'],
  at: NewStatement,
  message: string,
  evidence: string,
  fix?: Finding['fix'],
  identity = '',
): HazardFinding {
  return {
    rule,
    severity,
    source: 'explain',
    file: at.file,
    line: at.statement.line,
    endLine: at.statement.endLine,
    message,
    ...(fix ? { fix } : {}),
    evidence,
    fingerprint: fingerprint(rule, at.file, `${at.statement.text}${identity ? `\n${identity}` : ''}`),
    ...(identity ? { hazard: { object: identity } } : {}),
  };
}

function primaryKey(table: CatalogTable | undefined): string[] | undefined {
  return table?.constraints.find((c) => c.type === 'p')?.columns;
}

async function tableRows(db: Queryable, table: string): Promise<number> {
  try {
    const r = await db.query<{ n: number }>(`SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = $1::regclass`, [quoteTable(table)]);
    return Number(r.rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// 1. The migration's own DML

/** The text from the statement's top-level WHERE on, found with a light scan (strings and parens skipped). */
function splitWhere(sql: string): { head: string; where?: string; tail: string } {
  let depth = 0;
  let whereAt = -1;
  let tailAt = sql.length;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'") {
      i = sql.indexOf("'", i + 1);
      if (i < 0) break;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /[A-Za-z]/.test(ch ?? '') && !/[\w]/.test(sql[i - 1] ?? '')) {
      const word = /^[A-Za-z_]+/.exec(sql.slice(i))?.[0].toUpperCase();
      if (word === 'WHERE' && whereAt < 0) whereAt = i;
      if (word === 'RETURNING' && tailAt === sql.length) tailAt = i;
    }
  }
  if (whereAt < 0) return { head: sql.slice(0, tailAt).trimEnd(), tail: sql.slice(tailAt) };
  return { head: sql.slice(0, whereAt).trimEnd(), where: sql.slice(whereAt + 5, tailAt).trim(), tail: sql.slice(tailAt) };
}

function batchedFix(statement: ParsedStatement, target: string, key: string | undefined, batch: number): Finding['fix'] {
  const steps = [
    'Run the backfill outside the migration transaction, in batches that each commit, so locks are short and replicas keep up.',
    'Ship the schema change first; backfill in a separate migration or job; add constraints (NOT NULL, FK) as NOT VALID + VALIDATE afterwards.',
  ];
  if (!key || !/^(UpdateStmt|DeleteStmt)$/.test(statement.kind)) {
    steps.splice(1, 0, `Walk ${target} by its key in ranges of ${batch} rows (WHERE key > last AND key <= last + ${batch}), committing after each range.`);
    return { title: 'Backfill in batches', steps };
  }
  const { head, where, tail } = splitWhere(statement.text.trim());
  const k = quoteIdent(key);
  const range = `${k} > last_key AND ${k} <= last_key + ${batch}`;
  const batched = `${head}\n      WHERE ${where ? `(${where}) AND ` : ''}${range}${tail ? ` ${tail.trim()}` : ''}`;
  const sql = [
    '-- Run outside a transaction block: each batch commits on its own.',
    'DO $$',
    'DECLARE',
    '  last_key bigint := 0;',
    '  max_key bigint;',
    'BEGIN',
    `  SELECT coalesce(max(${k}), 0) INTO max_key FROM ${quoteTable(target)};`,
    '  WHILE last_key < max_key LOOP',
    `    ${batched.replace(/\n/g, '\n    ')};`,
    `    last_key := last_key + ${batch};`,
    '    COMMIT;',
    '  END LOOP;',
    'END $$;',
  ].join('\n');
  return { title: `Backfill ${target} in batches of ${batch} rows`, sql, steps };
}

async function backfillFindings(input: ExplainInput, budget: Budget): Promise<Finding[]> {
  const findings: Finding[] = [];
  const before = tableIndex(input.catalogBefore);
  const batch = input.batchSize ?? 10_000;
  for (const item of input.newStatements) {
    const { statement } = item;
    if (!/^(UpdateStmt|DeleteStmt|InsertStmt)$/.test(statement.kind)) continue;
    const body = astBody(statement);
    const target = resolveRangeVar(body.relation, input.catalogBefore);
    let sourceTables: string[] = [];
    if (statement.kind === 'InsertStmt') {
      const select = (body.selectStmt as { SelectStmt?: Record<string, unknown> } | undefined)?.SelectStmt;
      if (!select || select.valuesLists) continue; // INSERT … VALUES is not a backfill
    }
    if (statement.kind !== 'InsertStmt' && (!target || !before.has(target))) continue;
    if (!budget.allows(`explaining ${item.file}:${statement.line}`)) break;

    let plan: PlanSummary | undefined;
    let explainError: string | undefined;
    try {
      plan = await explainQuery(input.db, statement.text);
    } catch (error) {
      explainError = error instanceof Error ? error.message : String(error);
    }
    const noWhere = statement.kind !== 'InsertStmt' && !body.whereClause;
    if (plan) {
      // The scan that feeds the statement: the target for UPDATE/DELETE, a pre-existing source for INSERT … SELECT.
      const scanned =
        statement.kind === 'InsertStmt'
          ? plan.nodes.find((n) => n.relation && n.relation !== target && before.has(n.relation) && /Scan$/.test(n.type))
          : plan.nodes.find((n) => n.relation === target && /Scan$/.test(n.type) && n.depth > 0);
      if (!scanned?.relation) continue;
      if (statement.kind === 'InsertStmt') sourceTables = [scanned.relation];
      const table = statement.kind === 'InsertStmt' ? scanned.relation : (target as string);
      const total = await tableRows(input.db, table);
      // The rows the statement changes: what the plan feeds the modify node (its top), never what a scan
      // under a join reads (a dedupe DELETE … USING reads every row and deletes a few).
      const affected = Math.min(plan.estimatedRows, total > 0 ? total : plan.estimatedRows);
      const whole = noWhere || (total > 0 && affected >= 0.5 * total && affected >= 1000);
      if (!whole) continue;
      const what = statement.kind === 'UpdateStmt' ? 'updates' : statement.kind === 'DeleteStmt' ? 'deletes' : 'copies';
      const fed = plan.nodes.find((n) => n.depth === 1) ?? plan.nodes[0];
      findings.push(
        makeFinding(
          'backfill-in-one-statement',
          'warning',
          item,
          `This statement ${what} ${noWhere ? 'every row' : `about ${formatNumber(Math.round(affected))} of the ${plural(Math.round(total), 'row')} (planner estimate on synthetic data)`} of ${table} in one transaction: on a large table it holds row locks on all of them until commit, bloats the table and delays replicas.`,
          `${plan.topNode}: estimated rows ${Math.round(plan.estimatedRows)} (${describeNode(plan, fed)}); table holds ~${Math.round(total)} synthetic rows\n${plan.text}`,
          batchedFix(statement, table, pkColumn(input.catalogAfter, statement.kind === 'InsertStmt' ? sourceTables[0] : target), batch),
        ),
      );
    } else if (noWhere && target) {
      findings.push(
        makeFinding(
          'backfill-in-one-statement',
          'warning',
          item,
          `This statement ${statement.kind === 'UpdateStmt' ? 'updates' : 'deletes'} every row of ${target} in one transaction.`,
          `no WHERE clause (the plan could not be read: ${explainError ?? 'unknown'})`,
          batchedFix(statement, target, pkColumn(input.catalogAfter, target), batch),
        ),
      );
    }
  }
  return findings;
}

function pkColumn(catalog: CatalogSnapshot, table: string | undefined): string | undefined {
  if (!table) return undefined;
  const t = tableIndex(catalog).get(table);
  const pk = primaryKey(t);
  if (!pk || pk.length !== 1) return undefined;
  const column = t?.columns.find((c) => c.name === pk[0]);
  return column && /^(integer|bigint|smallint)$/.test(column.type) ? column.name : undefined;
}

// ---------------------------------------------------------------------------------------------
// 2. Foreign-key paths

function hasLeadingIndex(table: CatalogTable | undefined, columns: string[]): boolean {
  return leadingIndexes(table, columns).length > 0;
}

/** The top-level items of an index definition's column list: `(a, lower(b), "C")` → ['a', 'lower(b)', '"C"']. */
function definitionItems(definition: string): string[] | undefined {
  const open = definition.indexOf('(', definition.search(/\bUSING\b|\bON\b/i));
  if (open < 0) return undefined;
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of definition.slice(open + 1)) {
    if (ch === '(') depth++;
    if (ch === ')' && depth-- === 0) break;
    if (ch === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else current += ch;
  }
  items.push(current.trim());
  return items;
}

/**
 * The plain columns an index leads with, in order, up to its first expression. The catalog lists an
 * index's named columns only, so the definition says where an expression sits.
 */
function leadingColumns(index: CatalogTable['indexes'][number]): readonly string[] {
  return leadingNames(index.definition) ?? index.columns;
}

/**
 * The columns a definition leads with (undefined when it has no column list), remembered by definition:
 * the foreign-key checks ask for every index of a table once per foreign key, before and after.
 */
function leadingNames(definition: string): readonly string[] | undefined {
  return leadingByDefinition.get(definition, readLeadingNames);
}

// A long-running process reviews many schemas: the memo is bounded.
const leadingByDefinition = new BoundedMemo<string, readonly string[] | undefined>(10_000);

function readLeadingNames(definition: string): readonly string[] | undefined {
  const items = definitionItems(definition);
  let out: string[] | undefined;
  if (items) {
    out = [];
    for (const item of items) {
      const name = /^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(?:\s+(?:ASC|DESC|NULLS\s+(?:FIRST|LAST)|COLLATE\s+\S+|[a-z_][a-z0-9_]*_ops))*$/i.exec(item)?.[1];
      if (!name) break;
      out.push(name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name);
    }
  }
  return out;
}

/**
 * Indexes that serve a lookup on `columns` (in any order): valid, not partial, and leading with exactly
 * those columns. Unique indexes and primary keys count.
 */
function leadingIndexes(table: CatalogTable | undefined, columns: string[]): string[] {
  if (!table) return [];
  return table.indexes
    .filter((i) => {
      if (!i.valid || /\)\s+WHERE\s/i.test(i.definition)) return false;
      const leading = leadingColumns(i).slice(0, columns.length);
      return leading.length === columns.length && columns.every((c) => leading.includes(c));
    })
    .map((i) => i.name);
}

/** The statement to attach a foreign-key finding to: the one adding the key, or dropping its index. */
function fkStatement(input: ExplainInput, child: string, fk: ForeignKey, added: boolean, lostIndexes: string[]): NewStatement | undefined {
  const childName = child.split('.')[1] ?? child;
  const parentName = fk.parent.split('.')[1] ?? fk.parent;
  const byName = input.newStatements.find((s) => mentions(s.statement, fk.name));
  if (byName) return byName;
  if (added) {
    return input.newStatements.find(
      (s) => /REFERENCES/i.test(s.statement.text) && mentions(s.statement, childName) && mentions(s.statement, parentName),
    );
  }
  return (
    input.newStatements.find((s) => lostIndexes.some((name) => mentions(s.statement, name))) ??
    input.newStatements.find((s) => /^(DropStmt|AlterTableStmt|IndexStmt)$/.test(s.statement.kind) && mentions(s.statement, childName))
  );
}

/** The foreign keys whose parent-side path the check probes: those the change adds or takes the index of (or all). */
function* probedForeignKeys(input: Pick<ExplainInput, 'catalogBefore' | 'catalogAfter' | 'foreignKeys'>) {
  const before = tableIndex(input.catalogBefore);
  for (const child of input.catalogAfter.tables) {
    const childBefore = before.get(qualifiedName(child));
    for (const fk of foreignKeys(child)) {
      const existed = childBefore ? foreignKeys(childBefore).some((f) => f.name === fk.name) : false;
      const lostIndex = existed && hasLeadingIndex(childBefore, fk.columns) && !hasLeadingIndex(child, fk.columns);
      if (input.foreignKeys !== 'all' && existed && !lostIndex) continue;
      yield { child, childBefore, fk, existed, lostIndex };
    }
  }
}

/**
 * Whether any check would read the rows or plans of the database after the change: a query to plan, a
 * statement that writes rows (a backfill), a foreign key to probe. When none would, the synthetic rows of
 * the new tables and their statistics serve nothing.
 */
export function explainReadsData(input: Pick<ExplainInput, 'queries' | 'newStatements' | 'catalogBefore' | 'catalogAfter' | 'foreignKeys'>): boolean {
  if (input.queries.length > 0) return true;
  if (input.newStatements.some((s) => /^(UpdateStmt|DeleteStmt|InsertStmt)$/.test(s.statement.kind))) return true;
  return !probedForeignKeys(input).next().done;
}

async function foreignKeyFindings(input: ExplainInput, budget: Budget): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const { child, childBefore, fk, existed, lostIndex } of probedForeignKeys(input)) {
    const childName = qualifiedName(child);
    const lost = lostIndex ? leadingIndexes(childBefore, fk.columns) : [];
    const at = fkStatement(input, childName, fk, !existed, lost) ?? (input.foreignKeys === 'all' ? undefined : input.newStatements[0]);
    if (!at) continue;
    if (!budget.allows(`the foreign key path of ${fk.name}`)) return findings;
    // What the RI trigger runs when a parent row is deleted or its key changes.
    const probe = `SELECT 1 FROM ONLY ${quoteTable(childName)} x WHERE ${fk.columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(' AND ')} FOR KEY SHARE OF x`;
    let plan: PlanSummary;
    try {
      plan = await explainQuery(input.db, probe);
    } catch {
      continue;
    }
    if (!plan.seqScans.includes(childName)) continue;
    // A planner scans a small table even when an index exists: "has no index" is a claim about the
    // catalog after the change (indexes the same file or pull request creates count), checked here.
    if (hasLeadingIndex(child, fk.columns)) continue;
    const scan = plan.nodes.find((n) => n.type === 'Seq Scan' && n.relation === childName);
    const cols = fk.columns.map(quoteIdent).join(', ');
    const total = await tableRows(input.db, childName);
    findings.push(
      makeFinding(
        'fk-path-seq-scan',
        'warning',
        at,
        `Deleting a row of ${fk.parent} or changing its key scans all of ${childName} (~${plural(Math.round(total), 'synthetic row')}) to check foreign key ${fk.name}: no index of ${childName} leads with (${fk.columns.join(', ')})${lostIndex ? ' any more' : ''}.`,
        `${describeNode(plan, scan)}\nprobe: ${probe}\n${plan.text}`,
        {
          title: `Index ${childName}(${fk.columns.join(', ')})`,
          sql: `CREATE INDEX CONCURRENTLY ${quoteIdent(`${child.name}_${fk.columns.join('_')}_idx`.slice(0, 63))} ON ${quoteTable(childName)} (${cols});`,
          steps: ['Create the index in its own migration, outside a transaction (CONCURRENTLY).'],
        },
        fk.name,
      ),
    );
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// 3. Before/after plans

function queryKey(q: QuerySource): string {
  return `${q.file}\0${q.line}\0${q.sql}`;
}

function indexDefinedIn(catalog: CatalogSnapshot, qualifiedIndex: string): boolean {
  const [schema, name] = qualifiedIndex.includes('.') ? (qualifiedIndex.split('.') as [string, string]) : ['public', qualifiedIndex];
  return catalog.tables.some((t) => t.schema === schema && t.indexes.some((i) => i.name === name));
}

function regressionFindings(input: ExplainInput): Finding[] {
  const findings: Finding[] = [];
  const after = new Map(input.after.filter((e) => e.plan).map((e) => [queryKey(e.query), e]));
  for (const was of input.before) {
    const now = after.get(queryKey(was.query));
    if (!was.plan || !now?.plan) continue;
    for (const used of was.plan.indexes) {
      if (!now.plan.seqScans.includes(used.relation)) continue;
      if (now.plan.indexes.some((i) => i.relation === used.relation)) continue;
      const dropped = !indexDefinedIn(input.catalogAfter, used.index);
      const indexName = used.index.split('.').pop() as string;
      const tableName = used.relation.split('.').pop() as string;
      const at =
        input.newStatements.find((s) => mentions(s.statement, indexName)) ??
        input.newStatements.find((s) => mentions(s.statement, tableName)) ??
        input.newStatements[0];
      if (!at) continue;
      const scan = now.plan.nodes.find((n) => n.type === 'Seq Scan' && n.relation === used.relation);
      const label = `${was.query.file}:${was.query.line}${was.query.name ? ` (${was.query.name})` : ''}`;
      findings.push(
        makeFinding(
          'plan-regression',
          dropped ? 'error' : 'warning',
          at,
          `Query ${label} used ${used.index} (${used.node}) before this migration and scans all of ${used.relation} after it${dropped ? ': the index is dropped' : ''}.`,
          `before: ${describeNode(was.plan, was.plan.nodes.find((n) => n.index === used.index))}\nafter: ${describeNode(now.plan, scan)}\n\nbefore:\n${was.plan.text}\n\nafter:\n${now.plan.text}`,
          {
            title: dropped ? `Keep ${used.index}, or replace it before dropping it` : `Keep an index the query can use on ${used.relation}`,
            steps: [`Check the query at ${label} against the new schema, and create the replacement index (CONCURRENTLY) before removing the old one.`],
          },
          queryKey(was.query),
        ),
      );
      break;
    }
  }
  return findings;
}

function unusedIndexFindings(input: ExplainInput): Finding[] {
  const explained = input.after.filter((e) => e.plan);
  if (explained.length === 0) return [];
  const used = new Set(explained.flatMap((e) => e.plan?.indexes.map((i) => i.index) ?? []));
  const before = tableIndex(input.catalogBefore);
  const findings: Finding[] = [];
  for (const table of input.catalogAfter.tables) {
    const name = qualifiedName(table);
    const old = before.get(name);
    const fks = foreignKeys(table);
    for (const index of table.indexes) {
      if (index.primary || index.unique) continue; // they enforce a constraint
      if (old?.indexes.some((i) => i.name === index.name)) continue;
      if (used.has(`${table.schema}.${index.name}`)) continue;
      // An index leading with a foreign key's columns serves the parent's delete path.
      if (fks.some((fk) => fk.columns.every((c) => index.columns.slice(0, fk.columns.length).includes(c)))) continue;
      const at =
        input.newStatements.find((s) => s.statement.kind === 'IndexStmt' && mentions(s.statement, index.name)) ??
        input.newStatements.find((s) => s.statement.kind === 'IndexStmt' && mentions(s.statement, table.name)) ??
        input.newStatements.find((s) => mentions(s.statement, index.name));
      if (!at) continue;
      findings.push(
        makeFinding(
          'unused-new-index',
          'info',
          at,
          `No explained query uses the new index ${table.schema}.${index.name} on ${name}: it costs writes and space; check that a query needs it.`,
          `${explained.length} quer${explained.length === 1 ? 'y' : 'ies'} explained after the migration; indexes they use: ${[...used].join(', ') || 'none'}\n${index.definition}`,
          undefined,
          index.name,
        ),
      );
    }
  }
  return findings;
}

/**
 * The EXPLAIN stage's findings: whole-table backfills among the new statements, foreign keys whose
 * parent-side path scans the child, plans that lost their index, and new indexes no query uses.
 */
export async function explainFindings(input: ExplainInput): Promise<ExplainOutcome> {
  const notes: string[] = [];
  const budget = new Budget(input.budgetMs, notes);
  const findings: Finding[] = [];
  findings.push(...regressionFindings(input), ...unusedIndexFindings(input));
  findings.push(...(await backfillFindings(input, budget)));
  if (!budget.cut) findings.push(...(await foreignKeyFindings(input, budget)));
  const skipped = input.after.filter((e) => e.skipped).length + input.before.filter((e) => e.skipped).length;
  if (skipped > 0) notes.push(`explain: ${skipped} query plans were not computed within the time budget`);
  const failed = input.after.filter((e) => e.error);
  for (const e of failed.slice(0, 5)) notes.push(`explain: ${e.query.file}:${e.query.line} could not be explained after the migration: ${e.error}`);
  if (failed.length > 5) notes.push(`explain: ${failed.length - 5} more queries could not be explained`);
  return { findings, notes };
}
