// Stage 3a: review without history. A new migration that refers to a table, column, type, function or
// schema that neither the history nor the setup created (a single file, a partial checkout, a schema
// managed elsewhere) must not be blamed for the sandbox's blind spot. A dry run of the new migrations,
// rolled back, learns from each "does not exist" what to stub; the stubs are then created for real, so
// the catalog, the synthetic rows, the trace and the rules all see them as existing objects. Findings on
// them say they were made on an inferred object, and a note lists what was inferred.
import { SandboxQueryError, type Sandbox } from '../sandbox/index.js';
import { needsAutocommit, transactionControl } from '../sandbox/statements.js';
import { isInferable, namesCreatedBy, planStub, type InferredObject, type StubContext } from '../infer/stubs.js';
import type { Finding, ParsedStatement } from '../types.js';
import { relationsOf } from './synthetic-rerun.js';
import { messageOf, progress, timed, type ReviewState } from './state.js';

/** Statements the dry run does not execute: they may run user code, loop or sleep, or cannot run in a transaction. */
const NOT_DRY_RUN = new Set(['DoStmt', 'CallStmt', 'SelectStmt', 'ExecuteStmt', 'CopyStmt', 'VacuumStmt', 'TransactionStmt', 'ClusterStmt']);
/** Stubs for one statement before pgpro gives up on it. */
const MAX_ROUNDS = 12;
const SAVEPOINT = 'pgpro_infer';

export interface Inferred {
  objects: (InferredObject & { file: string; line: number })[];
  /** Lower-case table names (`schema.name` and `name`) that are stubs, for marking findings. */
  tables: Set<string>;
  /** Names the change creates itself (namesCreatedBy). */
  created: Set<string>;
  /** The SQL that made the stubs, for a sandbox rebuilt without a snapshot (the server engine's rehearsal). */
  sql?: string[];
}

const UNDEFINED = new Set(['42P01', '42703', '42704', '42883', '3F000']);
/** Statements whose bodies pgpro does not infer objects from. */
const OPAQUE = new Set(['DoStmt', 'CreateFunctionStmt', 'CallStmt']);

/**
 * After inference ran, a statement that still fails for an object neither the history, the setup nor
 * the change creates (inside a DO block or function body, or one pgpro could not stub) is the sandbox's
 * blind spot: a note, not the migration's error. Returns the note, or undefined for a real error.
 */
export function blindSpot(
  state: ReviewState,
  file: string,
  statement: ParsedStatement | undefined,
  error: { message: string; sqlstate?: string; line: number },
): { note: string; reason: string } | undefined {
  if (!error.sqlstate || !UNDEFINED.has(error.sqlstate) || !statement) return undefined;
  if (!state.inferred && !OPAQUE.has(statement.kind)) return undefined;
  const named = /^(?:relation|type|schema) "([^"]+)" does not exist$/.exec(error.message)?.[1] ?? /^function ([^(]+)\(/.exec(error.message)?.[1];
  const created = state.inferred?.created ?? namesCreatedBy(state.reviewable.flatMap((i) => i.parsed.statements));
  if (named && (created.has(named.toLowerCase()) || created.has(named.slice(named.lastIndexOf('.') + 1).toLowerCase()))) return undefined;
  const where = OPAQUE.has(statement.kind) ? 'pgpro does not infer objects from inside DO blocks and function bodies' : 'pgpro could not infer it from the statement';
  return {
    note: `${file}:${error.line} uses an object that neither the history nor the setup creates (${error.message}); ${where}, so ${file} was not reviewed from there on. Give pgpro the history or a schema dump (sandbox.schema) to review it.`,
    reason: `line ${error.line} uses an object that neither the history nor the setup creates (${error.message}) and ${where}; give pgpro the history or a schema dump (sandbox.schema)`,
  };
}

export async function inferStage(state: ReviewState): Promise<void> {
  const sandbox = state.sandbox!;
  if (state.reviewable.length === 0 || sandbox.stopped) return;
  const statements = state.reviewable.flatMap((item) => item.parsed.statements.map((statement) => ({ file: item.migration.path, statement })));
  const created = namesCreatedBy(statements.map((s) => s.statement));
  // A replayed history that creates every relation the change uses leaves nothing to infer: a missing
  // column or type there is the migration's own error. A history that did not replay may lack anything.
  const historyFailed = [...state.historyStatuses.values()].some((s) => s.status === 'failed');
  if (!historyFailed && !(await someRelationMissing(sandbox, statements.map((s) => s.statement), created))) return;
  state.inferred = { objects: [], tables: new Set(), created };
  progress(state, 'infer', 'Inferring objects the history does not create');
  await timed(state, 'infer', async () => {
    try {
      const plans = await dryRun(sandbox, statements, created);
      if (plans.length === 0) return;
      await sandbox.exec(['BEGIN', ...plans.flatMap((p) => p.sql), 'COMMIT'].join(';\n'));
      const objects = plans.flatMap((p) => p.objects.map((o) => ({ ...o, file: p.file, line: p.line })));
      state.inferred = { objects, tables: tableNames(objects), created, sql: plans.flatMap((p) => p.sql) };
      state.notes.push(inferredNote(objects));
    } catch (error) {
      await sandbox.exec('ROLLBACK').catch(() => undefined);
      state.notes.push(`pgpro could not infer the objects the history does not create: ${messageOf(error)}`);
    } finally {
      await sandbox.exec('RESET ALL').catch(() => undefined);
    }
  });
}

/** Whether a relation the change uses, and does not create, is missing: only then is a dry run worth it. */
async function someRelationMissing(sandbox: Sandbox, statements: ParsedStatement[], created: Set<string>): Promise<boolean> {
  const names = new Set<string>();
  for (const statement of statements) {
    for (const rv of relationsOf(statement.ast)) {
      const plain = rv.name.toLowerCase();
      const qualified = rv.schema ? `${rv.schema.toLowerCase()}.${plain}` : undefined;
      if (created.has(plain) || (qualified && created.has(qualified))) continue;
      names.add(JSON.stringify(rv.schema ? [rv.schema, rv.name] : [rv.name]));
    }
  }
  if (names.size === 0) return false;
  const result = await sandbox.query<{ missing: number }>(
    `SELECT count(*)::int AS missing FROM jsonb_array_elements($1::jsonb) AS n(parts)
      WHERE to_regclass(array_to_string(ARRAY(SELECT quote_ident(p) FROM jsonb_array_elements_text(n.parts) AS p), '.')) IS NULL`,
    [JSON.stringify([...names].map((n) => JSON.parse(n) as string[]))],
  );
  return (result.rows[0]?.missing ?? 0) > 0;
}

interface LocatedPlan {
  file: string;
  line: number;
  sql: string[];
  objects: InferredObject[];
}

/**
 * Runs the new statements in one transaction that is rolled back, each under a savepoint; a statement
 * that fails for a missing object gets a stub and runs again. Returns the stubs, in order.
 */
async function dryRun(sandbox: Sandbox, statements: { file: string; statement: ParsedStatement }[], created: Set<string>): Promise<LocatedPlan[]> {
  const plans: LocatedPlan[] = [];
  const stubs = new Set<string>();
  const ctx: StubContext = {
    stubs,
    createdByChange: created,
    columnType: async (table, column) => {
      const r = await sandbox.query<{ type: string | null }>(
        `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
          WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
        [quoteQualifiedLiteral(table), column],
      );
      return r.rows[0]?.type ?? undefined;
    },
    resolveTable: async ({ schema, name }) => {
      const r = await sandbox.query<{ name: string | null }>(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = to_regclass($1)`,
        [schema ? `${quoteIdentLiteral(schema)}.${quoteIdentLiteral(name)}` : quoteIdentLiteral(name)],
      );
      return r.rows[0]?.name ?? undefined;
    },
  };
  await sandbox.exec('BEGIN');
  try {
    for (const { file, statement } of statements) {
      if (sandbox.stopped) break;
      if (!dryRunnable(statement)) continue;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const error = await tryUnderSavepoint(sandbox, SAVEPOINT, statement.text);
        if (!error || !isInferable(error.sqlstate)) break;
        const plan = await planStub(statement, error, ctx);
        if (!plan || (await tryRun(sandbox, plan.sql.join(';\n')))) break;
        plans.push({ file, line: statement.line, ...plan });
        for (const o of plan.objects) if (o.kind === 'table' || o.kind === 'type') stubs.add(o.name);
      }
    }
  } finally {
    await sandbox.exec('ROLLBACK').catch(() => undefined);
  }
  return plans;
}

/** Whether a dry run (in a transaction rolled back) may execute the statement. */
export function dryRunnable(statement: ParsedStatement): boolean {
  return !(NOT_DRY_RUN.has(statement.kind) || transactionControl(statement.text) || needsAutocommit(statement.text) || callsSleep(statement.ast));
}

/** Runs SQL; a query error is returned, not thrown. */
export async function tryRun(sandbox: Sandbox, sql: string): Promise<{ message: string; sqlstate?: string } | undefined> {
  try {
    await sandbox.exec(sql);
    return undefined;
  } catch (error) {
    if (error instanceof SandboxQueryError) return { message: error.message, ...(error.sqlstate ? { sqlstate: error.sqlstate } : {}) };
    throw error;
  }
}

/**
 * Runs SQL under a savepoint inside the caller's transaction: kept if it succeeds, rolled back to the
 * savepoint if it fails (so the transaction stays usable), the query error returned, not thrown.
 */
export async function tryUnderSavepoint(sandbox: Sandbox, savepoint: string, sql: string): Promise<{ message: string; sqlstate?: string } | undefined> {
  await sandbox.exec(`SAVEPOINT ${savepoint}`);
  const error = await tryRun(sandbox, sql);
  await sandbox.exec(error ? `ROLLBACK TO SAVEPOINT ${savepoint}` : `RELEASE SAVEPOINT ${savepoint}`);
  return error;
}

function callsSleep(ast: unknown): boolean {
  return JSON.stringify(ast).includes('"pg_sleep');
}

/** For to_regclass: an identifier quoted as a literal's content (doubles any double quote). */
function quoteIdentLiteral(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteQualifiedLiteral(qualified: string): string {
  const dot = qualified.indexOf('.');
  return `${quoteIdentLiteral(qualified.slice(0, dot))}.${quoteIdentLiteral(qualified.slice(dot + 1))}`;
}

function tableNames(objects: InferredObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'table') continue;
    out.add(o.name.toLowerCase());
    out.add(o.name.slice(o.name.indexOf('.') + 1).toLowerCase());
  }
  return out;
}

function describe(o: InferredObject): string {
  return o.kind === 'key' ? `unique key ${o.name}` : `${o.kind} ${o.name}`;
}

export function inferredNote(objects: readonly InferredObject[]): string {
  return (
    `Inferred from how the new migrations use them, since neither the history nor the setup creates them: ${objects.map(describe).join(', ')}. ` +
    'Findings on them were made on an inferred object; to review against the real schema, give pgpro the history or a schema dump (sandbox.schema).'
  );
}

const MARK = 'Made on an inferred object';

/** Findings on statements that use an inferred table say so in their evidence. */
export function markInferred(state: ReviewState, findings: Finding[]): Finding[] {
  const inferred = state.inferred;
  if (!inferred || inferred.objects.length === 0) return findings;
  const byFile = new Map(state.reviewable.map((item) => [item.migration.path, item.parsed.statements]));
  return findings.map((finding) => {
    const statement = byFile.get(finding.file)?.find((s) => finding.line >= s.line && finding.line <= s.endLine);
    if (!statement) return finding;
    const used = [...new Set(relationsOf(statement.ast).map((r) => (r.schema ? `${r.schema}.${r.name}` : r.name)))].filter((n) =>
      inferred.tables.has(n.toLowerCase()),
    );
    const columns = inferred.objects.filter((o) => o.kind === 'column' && used.length === 0 && o.file === finding.file && o.line === statement.line);
    if (used.length === 0 && columns.length === 0) return finding;
    const what = used.length > 0 ? used.join(', ') : columns.map((c) => c.name).join(', ');
    const mark = `${MARK} (${what}): it is not in the history or setup, so pgpro stubbed it from how the migration uses it; its size, rows and other columns are guesses.`;
    return { ...finding, evidence: finding.evidence ? `${finding.evidence}\n${mark}` : mark };
  });
}
