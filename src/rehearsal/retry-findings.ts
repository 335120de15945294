// What a retry after a failure halfway hits, said as findings on the statement the retry trips on, and
// the files that are safe to retry said in one line each.
import { fingerprint } from '../finding.js';
import type { HazardFinding } from '../hazards/types.js';
import { writtenData, ALL_TABLES } from '../proof/data.js';
import { transactionControl, needsAutocommit } from '../sandbox/statements.js';
import { formatNumber, noun, plural } from '../text/grammar.js';
import type { Fix, ParsedStatement, Severity } from '../types.js';
import { retryPlan, type CommitPoint } from './points.js';
import { isClean, type RetryFailure, type RetryFile, type RetryRehearsal, type RetryResult } from './retry.js';

export const RETRY_RULES = {
  fails: 'retry-fails',
  invalidIndex: 'retry-invalid-index',
  notIdempotent: 'retry-not-idempotent',
} as const;

const SEVERITY: Record<string, Severity> = {
  // A retry that stops with an error is loud: someone repairs it by hand.
  [RETRY_RULES.fails]: 'info',
  // These report success and leave the database different: nobody is told.
  [RETRY_RULES.invalidIndex]: 'warning',
  [RETRY_RULES.notIdempotent]: 'warning',
};

const ALREADY_EXISTS = new Set(['42P07', '42701', '42710', '42723', '42P06', '42P04', '42712']);
const DOES_NOT_EXIST = new Set(['42P01', '42703', '42704', '3F000', '42883']);

interface Group {
  rule: string;
  statement: ParsedStatement;
  stops: CommitPoint[];
  /** What the retry did at this statement (the first stop's result). */
  failure?: RetryFailure;
  result: RetryResult;
}

export function retryFindings(file: RetryFile, rehearsal: RetryRehearsal): HazardFinding[] {
  const groups = new Map<string, Group>();
  const add = (rule: string, statement: ParsedStatement, key: string, point: CommitPoint, result: RetryResult, failure?: RetryFailure) => {
    const id = `${rule}\0${statement.index}\0${key}`;
    const group = groups.get(id) ?? { rule, statement, stops: [], result, ...(failure ? { failure } : {}) };
    group.stops.push(point);
    groups.set(id, group);
  };
  for (const { point, result } of rehearsal.outcomes) {
    if (isClean(result)) continue;
    const build = point.kind === 'during' ? point.at : undefined;
    if (build !== undefined) {
      const failure = result.failures.find((f) => f.at === build);
      add(RETRY_RULES.invalidIndex, file.statements[build]!, failure ? 'fails' : 'kept', point, result, failure);
    }
    for (const failure of result.failures) {
      if (failure.at === build) continue;
      add(RETRY_RULES.fails, file.statements[failure.at]!, `${failure.sqlstate ?? ''}\0${failure.message}`, point, result, failure);
    }
    if (build === undefined && result.invalid.length > 0) add(RETRY_RULES.invalidIndex, file.statements[point.at]!, 'kept', point, result);
    for (const difference of result.data) {
      add(RETRY_RULES.notIdempotent, writerOf(file.statements, point.at, difference.table), `data\0${difference.table}`, point, result);
    }
    if (result.schema.length > 0 && build === undefined) {
      add(RETRY_RULES.notIdempotent, mentioning(file.statements, point.at, result.schema[0]!), 'schema', point, result);
    }
  }
  return [...groups.values()].map((group) => toFinding(file, group));
}

/** One line per file that is safe to retry; a line for a rehearsal that did not finish. */
export function retryNotes(file: RetryFile, rehearsal: RetryRehearsal, findings: number): string[] {
  const notes: string[] = [];
  if (rehearsal.mode === 'one-transaction' && file.statements.length > 0) {
    notes.push(`Retry rehearsal: ${file.path} runs in one transaction, so a failure anywhere rolls all of it back and running it again is safe.`);
  } else if (rehearsal.outcomes.length > 0 && findings === 0 && !rehearsal.incomplete) {
    const stops = rehearsal.outcomes.length;
    notes.push(
      `Retry rehearsal: ${file.path} was stopped after each of its ${stops} statement${stops === 1 ? '' : 's'} that commit on their own and run again: every retry applied and left the schema and rows of a single run.`,
    );
  }
  if (rehearsal.incomplete) {
    notes.push(`Retry rehearsal of ${file.path} did not finish (${rehearsal.incomplete}): ${rehearsal.outcomes.length} stop${rehearsal.outcomes.length === 1 ? '' : 's'} rehearsed.`);
  }
  return notes;
}

function toFinding(file: RetryFile, group: Group): HazardFinding {
  const { rule, statement } = group;
  const text = describe(file, group);
  return {
    rule,
    severity: SEVERITY[rule]!,
    source: 'trace',
    file: file.path,
    line: statement.line,
    endLine: statement.endLine,
    message: text.message,
    evidence: `rehearsed in the sandbox: ${stopPhrase(file, group.stops)}, then the whole file ran again: ${resultPhrase(file, group.result)}`,
    ...(text.fix ? { fix: text.fix } : {}),
    fingerprint: fingerprint(rule, file.path, statement.text),
  };
}

function describe(file: RetryFile, group: Group): { message: string; fix?: Fix } {
  const { rule, statement, stops, result, failure } = group;
  const transactionStep = canBeOneTransaction(file)
    ? ["Or run the whole file in one transaction (BEGIN … COMMIT, or your tool's transaction mode): a failure then leaves nothing behind."]
    : [];
  if (rule === RETRY_RULES.invalidIndex) {
    const index = indexOf(statement);
    const leftover = index ? `the index ${index}` : 'its index';
    const retry = failure
      ? `running the migration again stops here: ${failure.message}${failure.sqlstate ? ` (SQLSTATE ${failure.sqlstate})` : ''}`
      : result.schema.some((d) => d.startsWith('extra: index'))
        ? 'running the migration again builds a second index beside it and reports success, while the INVALID one stays: never used by queries, yet updated on every write'
        : 'running the migration again skips it (IF NOT EXISTS) and reports success, while the index stays INVALID: never used by queries, yet updated on every write';
    return {
      message: `If this concurrent index build fails or is cancelled (a duplicate key, a deadlock, a lock_timeout), it leaves ${leftover} behind, INVALID; ${retry}.`,
      fix: {
        title: 'Drop a leftover invalid index before building it',
        ...(index
          ? { sql: `DROP INDEX CONCURRENTLY IF EXISTS ${index};\n${statement.text.trim().replace(/;?$/, ';')}` }
          : { steps: ['Name the index, and drop it (DROP INDEX CONCURRENTLY IF EXISTS <name>) before building it, so that a retry replaces an INVALID leftover.'] }),
      },
    };
  }
  const where = stopPhrase(file, stops, statement);
  if (rule === RETRY_RULES.fails && failure) {
    const code = failure.sqlstate ?? '';
    const guard = ALREADY_EXISTS.has(code)
      ? 'Guard it with IF NOT EXISTS (CREATE … IF NOT EXISTS, ADD COLUMN IF NOT EXISTS), so that a retry passes over what the failed run already did.'
      : DOES_NOT_EXIST.has(code)
        ? 'Guard it with IF EXISTS, or check the catalog in a DO block before renaming, so that a retry passes over what the failed run already did.'
        : code === '23505'
          ? 'Make the INSERT safe to repeat: INSERT … ON CONFLICT DO NOTHING.'
          : 'Make the statement safe to run twice.';
    return {
      // The error first: a one-line view (the Claude review's info lines) keeps the first sentence.
      message:
        `A retry fails here with ${failure.message}${code ? ` (SQLSTATE ${code})` : ''}. ` +
        `That is what running the migration again meets ${where}; what ran before the stop stays applied, so the database is left half migrated until someone repairs it by hand.`,
      fix: { title: 'Make the migration safe to run again', steps: [guard, ...transactionStep] },
    };
  }
  if (result.data.length > 0 && group.rule === RETRY_RULES.notIdempotent && !result.schema.length) {
    const d = result.data.find((x) => writtenData([statement]).tables.has(x.table)) ?? result.data[0]!;
    const rows =
      d.rowsOnce !== d.rowsRetried
        ? `${d.table} holds ${plural(d.rowsRetried, 'row')} after the retry where a single run leaves ${formatNumber(d.rowsOnce)}`
        : `the rows of ${d.table} differ from what a single run leaves`;
    return {
      message: `${capitalize(where)}, running the migration again runs this statement a second time and reports success: ${rows}.`,
      fix: {
        title: 'Make the data change safe to run twice',
        steps: [
          'Restrict it to the rows not yet changed (a WHERE that excludes rows already done), or use INSERT … ON CONFLICT DO NOTHING.',
          ...transactionStep,
        ],
      },
    };
  }
  return {
    message: `${capitalize(where)}, running the migration again succeeds but leaves a schema different from a single run's: ${result.schema.slice(0, 3).join('; ')}.`,
    fix: { title: 'Make the statement safe to run twice', steps: ['Name what it creates and guard it with IF NOT EXISTS.', ...transactionStep] },
  };
}

/** "if this migration stops after line 3 or 5 (each statement commits on its own)". */
function stopPhrase(file: RetryFile, stops: CommitPoint[], subject?: ParsedStatement): string {
  const during = stops.filter((p) => p.kind === 'during');
  const after = stops.filter((p) => p.kind === 'after');
  const parts: string[] = [];
  if (after.length > 0) {
    const committed = after.some((p) => transactionControl(file.statements[p.at]!.text) === 'end')
      ? 'its COMMIT made what ran before permanent'
      : 'each statement commits on its own';
    const first = Math.min(...after.map((p) => p.at));
    const everyLater = subject !== undefined && first === file.statements.indexOf(subject) && after.length === pointsFrom(file, first);
    const lines = after.map((p) => file.statements[p.at]!.endLine);
    parts.push(`if this migration stops ${everyLater ? 'after this statement or any later one' : `after ${linesOr(lines)}`} (${committed})`);
  }
  if (during.length > 0) parts.push(`if the concurrent index build at ${linesOr(during.map((p) => file.statements[p.at]!.line))} fails`);
  return parts.join(', or ');
}

/** How many stops after statements the file has from position `from` on. */
function pointsFrom(file: RetryFile, from: number): number {
  return retryPlan(file.inTransaction, file.statements).points.filter((p) => p.kind === 'after' && p.at >= from).length;
}

function resultPhrase(file: RetryFile, result: RetryResult): string {
  const parts = [
    ...result.failures.map((f) => `line ${file.statements[f.at]!.line} failed: ${f.message}${f.sqlstate ? ` (SQLSTATE ${f.sqlstate})` : ''}`),
    ...(result.invalid.length ? [`INVALID afterwards: ${result.invalid.join(', ')}`] : []),
    ...result.data.map((d) => (d.rowsOnce !== d.rowsRetried ? `${d.table}: ${formatNumber(d.rowsRetried)} rows (one run: ${formatNumber(d.rowsOnce)})` : `${d.table}: rows differ from one run's`)),
    ...result.schema.slice(0, 3),
  ];
  return parts.length ? parts.join('; ') : 'it applied and left the schema and rows of a single run';
}

/** The first statement up to the stop that writes `table`: the one a retry runs a second time. */
function writerOf(statements: readonly ParsedStatement[], upTo: number, table: string): ParsedStatement {
  for (const statement of statements.slice(0, upTo + 1)) {
    const written = writtenData([statement]).tables;
    if (written.has(table) || written.has(ALL_TABLES)) return statement;
  }
  return statements[upTo]!;
}

/** The first statement up to the stop that names the table of a schema difference. */
function mentioning(statements: readonly ParsedStatement[], upTo: number, difference: string): ParsedStatement {
  const table = /\b(?:ON |column |table |index |constraint )([a-z0-9_$"]+)\.([a-z0-9_$"]+)/i.exec(difference)?.[2]?.replace(/"/g, '').toLowerCase();
  if (table) {
    const found = statements.slice(0, upTo + 1).find((s) => wordsOf(s.text).has(table));
    if (found) return found;
  }
  return statements[upTo]!;
}

/** The identifiers and keywords of a statement, lower case. */
function wordsOf(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^a-z0-9_$]+/).filter(Boolean));
}

function indexOf(statement: ParsedStatement): string | undefined {
  const node = (statement.ast as { IndexStmt?: { idxname?: string; relation?: { schemaname?: string } } }).IndexStmt;
  if (!node?.idxname) return undefined;
  return node.relation?.schemaname ? `${node.relation.schemaname}.${node.idxname}` : node.idxname;
}

/** A file without statements that refuse a transaction block could run in one. */
function canBeOneTransaction(file: RetryFile): boolean {
  return !file.statements.some((s) => needsAutocommit(s.text));
}

/** "line 3", "lines 3 or 5", "lines 3, 5 or 9". */
function linesOr(lines: number[]): string {
  const distinct = [...new Set(lines)].sort((a, b) => a - b).map(String);
  const items = distinct.length <= 1 ? (distinct[0] ?? '') : `${distinct.slice(0, -1).join(', ')} or ${distinct.at(-1)}`;
  return `${noun(distinct.length, 'line')} ${items}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
