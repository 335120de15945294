// Failure halfway: stop a migration after a statement that committed on its own, then run the whole file
// again as an operator retrying would, and see what the retry hits. Each stop starts from the state
// before the file. Files of ordinary statements are rehearsed in one sandbox, inside a transaction where
// the statements before each stop are kept under nested savepoints and each retry is rolled back (cheap;
// a concurrent index build runs there without CONCURRENTLY); files with their own BEGIN/COMMIT, COPY data or other statements that refuse a
// transaction block (VACUUM) get a fresh sandbox per stop.
import { prepareMigration, SandboxQueryError, type Sandbox } from '../sandbox/index.js';
import { copyFromBlob, needsAutocommit, transactionControl } from '../sandbox/statements.js';
import { tableChecksums, writtenData, type TableChecksum, type WrittenData } from '../proof/data.js';
import { schemaDifferences } from '../proof/schema.js';
import { schemaObjects } from '../trace/index.js';
import type { ParsedStatement } from '../types.js';
import { retryPlan, type CommitPoint, type RetryMode } from './points.js';

export interface RetryFile {
  path: string;
  inTransaction: boolean;
  statements: readonly ParsedStatement[];
}

/** What the retry did. Empty lists: it applied and left the schema and rows of a single run. */
export interface RetryResult {
  /** Statements that failed when run again (by position in the file), in order. */
  failures: RetryFailure[];
  /** Indexes INVALID after the retry that a single run leaves valid. */
  invalid: string[];
  /** How the schema differs from a single run's (only when no statement failed). */
  schema: string[];
  /** Tables whose rows differ from a single run's. */
  data: DataDifference[];
}

export interface RetryFailure {
  at: number;
  message: string;
  sqlstate?: string;
}

export interface DataDifference {
  table: string;
  rowsOnce: number;
  rowsRetried: number;
}

export interface PointOutcome {
  point: CommitPoint;
  result: RetryResult;
}

export interface RetryRehearsal {
  file: string;
  mode: RetryMode;
  outcomes: PointOutcome[];
  /** Why some stops were not rehearsed (the budget, the sandbox stopped, the file did not apply). */
  incomplete?: string;
}

export interface RetryOptions {
  /** A sandbox in the state before the file. The rehearsal closes it. */
  open(): Promise<Sandbox>;
  signal: AbortSignal;
}

interface Observed {
  schema: Map<string, string>;
  data: Map<string, TableChecksum>;
  invalid: Set<string>;
}

/** The file stopped before a point was reached, or a sandbox failed: the rest is reported as incomplete. */
class Incomplete extends Error {}

export async function rehearseRetry(file: RetryFile, options: RetryOptions): Promise<RetryRehearsal> {
  const plan = retryPlan(file.inTransaction, file.statements);
  const base = { file: file.path, mode: plan.mode };
  if (plan.points.length === 0) return { ...base, outcomes: [] };
  const outcomes: PointOutcome[] = [];
  try {
    if (fitsOneBlock(file)) {
      const done = await inOneBlock(file, plan.points, options, outcomes);
      if (done) return { ...base, outcomes };
      outcomes.length = 0; // the file behaves differently inside a transaction block: rehearse it for real
    }
    await inFreshSandboxes(file, plan.points, options, outcomes);
    return { ...base, outcomes };
  } catch (error) {
    const why = options.signal.aborted ? 'the rehearsal ran out of time' : error instanceof Error ? error.message : String(error);
    return { ...base, outcomes, incomplete: why };
  }
}

/** Ordinary statements only: each can run under a savepoint inside one transaction. */
function fitsOneBlock(file: RetryFile): boolean {
  return file.statements.every(
    (s) => !transactionControl(s.text) && (!needsAutocommit(s.text) || blockable(s.text) !== undefined) && copyFromBlob(s.text) === undefined && s.copyData === undefined,
  );
}

const CONCURRENT_INDEX_DDL = /^(\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(?:create\s+(?:unique\s+)?index|drop\s+index|reindex\s+(?:\([^)]*\)\s*)?(?:index|table))\s+)concurrently\b/i;

/**
 * A concurrent index build or drop, as the same statement without CONCURRENTLY, which a transaction
 * block accepts: what a retry meets ("already exists", IF NOT EXISTS skipping, a second unnamed index)
 * does not depend on how the index was built.
 */
function blockable(text: string): string | undefined {
  return CONCURRENT_INDEX_DDL.test(text) ? text.replace(CONCURRENT_INDEX_DDL, '$1') : undefined;
}

async function inOneBlock(file: RetryFile, points: CommitPoint[], options: RetryOptions, outcomes: PointOutcome[]): Promise<boolean> {
  return withSandbox(options, async (db) => {
    const wanted = await watchedData(db, file.statements);
    await db.exec('BEGIN');
    await db.exec('SAVEPOINT pgpro_retry_start');
    if ((await runEach(db, file.statements)).length > 0) return false;
    const reference = await observe(db, wanted);
    await db.exec('ROLLBACK TO SAVEPOINT pgpro_retry_start');
    // The stops come in file order: the statements before each stop are run once, kept, and the next
    // stop's run on from there. Each retry runs under a savepoint of its own and is rolled back to it.
    let applied = 0;
    for (const point of points) {
      checkSignal(options.signal);
      const upTo = point.at + (point.kind === 'after' ? 1 : 0);
      if ((await runEach(db, file.statements.slice(applied, upTo))).length > 0) return false;
      applied = upTo;
      await db.exec('SAVEPOINT pgpro_retry_stop');
      if (point.kind === 'during') {
        const before = await indexOids(db);
        if ((await runEach(db, [file.statements[point.at]!])).length > 0) return false;
        await markInvalid(db, before);
      }
      const failures = await runEach(db, file.statements);
      outcomes.push({ point, result: judge(reference, await observe(db, wanted), failures) });
      await db.exec('ROLLBACK TO SAVEPOINT pgpro_retry_stop');
      await db.exec('RELEASE SAVEPOINT pgpro_retry_stop');
    }
    await db.exec('ROLLBACK');
    return true;
  });
}

/**
 * Runs statements each under a savepoint, as separate commits would. A failure is rolled back to its
 * savepoint and the rest still runs (as `psql -f` does without ON_ERROR_STOP), so one retry shows every
 * statement that cannot run twice.
 */
async function runEach(db: Sandbox, statements: readonly ParsedStatement[]): Promise<RetryFailure[]> {
  const failures: RetryFailure[] = [];
  for (const [at, statement] of statements.entries()) {
    await db.exec('SAVEPOINT pgpro_retry_statement');
    try {
      await db.exec(blockable(statement.text) ?? statement.text);
    } catch (error) {
      if (!(error instanceof SandboxQueryError)) throw new Incomplete(`the sandbox stopped: ${(error as Error).message}`);
      await db.exec('ROLLBACK TO SAVEPOINT pgpro_retry_statement');
      failures.push({ at, message: error.message, ...(error.sqlstate ? { sqlstate: error.sqlstate } : {}) });
      continue;
    }
    await db.exec('RELEASE SAVEPOINT pgpro_retry_statement');
  }
  return failures;
}

async function inFreshSandboxes(file: RetryFile, points: CommitPoint[], options: RetryOptions, outcomes: PointOutcome[]): Promise<void> {
  const whole = prepareMigration(file.path, file.inTransaction, file.statements);
  const reference = await withSandbox(options, async (db) => {
    const wanted = await watchedData(db, file.statements);
    const run = await db.apply(whole, { trace: false });
    if (run.status.status !== 'applied') throw new Incomplete(`${file.path} did not apply in the rehearsal sandbox`);
    return { wanted, observed: await observe(db, wanted) };
  });
  for (const point of points) {
    checkSignal(options.signal);
    const result = await withSandbox(options, async (db) => {
      await stopAt(db, file, point);
      const run = await db.apply(whole, { trace: false });
      if (db.stopped) throw new Incomplete(`the sandbox stopped: ${db.stopped.message}`);
      // The runner stops a file at its first error, as a migration tool does.
      const failures = run.outcomes.flatMap((o, at) =>
        o.status === 'error' && o.error ? [{ at, message: o.error.message, ...(o.error.sqlstate ? { sqlstate: o.error.sqlstate } : {}) }] : [],
      );
      // A file stopped by its error did not run its later data changes: its rows say nothing more.
      const observed = await observe(db, reference.wanted);
      return judge(reference.observed, failures.length > 0 ? { ...observed, data: reference.observed.data } : observed, failures);
    });
    outcomes.push({ point, result });
  }
}

/** Leaves the sandbox as the stop would: statements up to the point committed, or a concurrent build died. */
async function stopAt(db: Sandbox, file: RetryFile, point: CommitPoint): Promise<void> {
  const upTo = point.kind === 'after' ? point.at + 1 : point.at;
  if (upTo > 0) {
    const run = await db.apply(prepareMigration(file.path, file.inTransaction, file.statements.slice(0, upTo)), { trace: false });
    if (run.status.status !== 'applied') throw new Incomplete(`${file.path} did not apply up to the stop in the rehearsal sandbox`);
  }
  if (point.kind === 'during') {
    // A CREATE INDEX CONCURRENTLY that fails or is cancelled leaves its index in the catalog, marked
    // INVALID. Build it, then mark it so: the state a failed build leaves.
    const before = await indexOids(db);
    const run = await db.apply(prepareMigration(file.path, false, [file.statements[point.at]!]), { trace: false });
    if (run.status.status !== 'applied') throw new Incomplete(`the concurrent index build at line ${file.statements[point.at]!.line} did not apply in the rehearsal sandbox`);
    await markInvalid(db, before);
  }
}

/** Marks the indexes built since `before` INVALID: the state a failed concurrent build leaves. */
async function markInvalid(db: Sandbox, before: Set<string>): Promise<void> {
  const built = [...(await indexOids(db))].filter((oid) => !before.has(oid));
  if (built.length > 0) await db.query(`UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = ANY($1::oid[])`, [built]);
}

async function indexOids(db: Sandbox): Promise<Set<string>> {
  const { rows } = await db.query<{ oid: string }>(`SELECT indexrelid::text AS oid FROM pg_catalog.pg_index`);
  return new Set(rows.map((r) => r.oid));
}

function judge(reference: Observed, after: Observed, failures: RetryFailure[]): RetryResult {
  const invalid = [...after.invalid].filter((name) => !reference.invalid.has(name));
  const data: DataDifference[] = [];
  for (const [table, once] of reference.data) {
    const retried = after.data.get(table);
    if (retried && (retried.rows !== once.rows || retried.hash !== once.hash)) data.push({ table, rowsOnce: once.rows, rowsRetried: retried.rows });
  }
  // After a failed statement the schema differs for that reason alone: say the failure, not its echo.
  const schema = failures.length === 0 ? schemaDifferences(reference.schema, after.schema) : [];
  return { failures, invalid, schema, data };
}

export function isClean(result: RetryResult): boolean {
  return result.failures.length === 0 && result.invalid.length === 0 && result.schema.length === 0 && result.data.length === 0;
}

/**
 * The tables the file writes, with the columns a second run cannot repeat: volatile values, and values
 * drawn from a sequence (a retry draws new ones) compared by nullness.
 */
async function watchedData(db: Sandbox, statements: readonly ParsedStatement[]): Promise<WrittenData> {
  const wanted = writtenData(statements);
  if (wanted.tables.size === 0) return wanted;
  const { rows } = await db.query<{ col: string }>(
    `SELECT n.nspname || '.' || c.relname || '.' || a.attname AS col
       FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
        AND (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')`,
  );
  for (const row of rows) wanted.volatileColumns.add(row.col);
  return wanted;
}

async function observe(db: Sandbox, wanted: WrittenData): Promise<Observed> {
  const schema = await schemaObjects(db);
  const data = wanted.tables.size > 0 ? await tableChecksums(db, wanted) : new Map<string, TableChecksum>();
  const { rows } = await db.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  return { schema, data, invalid: new Set(rows.map((r) => r.name)) };
}

/** Runs work on a fresh sandbox; the end of the budget closes it, which ends a statement still running. */
async function withSandbox<T>(options: RetryOptions, work: (db: Sandbox) => Promise<T>): Promise<T> {
  checkSignal(options.signal);
  const db = await options.open();
  const close = () => void db.close().catch(() => undefined);
  options.signal.addEventListener('abort', close, { once: true });
  try {
    checkSignal(options.signal);
    return await work(db);
  } catch (error) {
    throw options.signal.aborted ? new Incomplete('the rehearsal ran out of time') : error;
  } finally {
    options.signal.removeEventListener('abort', close);
    await db.close().catch(() => undefined);
  }
}

function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw new Incomplete('the rehearsal ran out of time');
}
