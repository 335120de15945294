// A statement that fails only because of the synthetic rows pgpro put in the existing tables is not the
// migration's error: it is re-run on the same state without them. If it then applies, the review goes
// on and the finding says it fails if production has rows like those (with the query to find them).
import { fingerprint } from '../finding.js';
import type { PreparedStatement } from '../sandbox/index.js';
import type { SyntheticRowsRerun } from '../sandbox/runner.js';
import { quoteIdent } from '../sql/quote.js';
import type { Finding, ParsedFile, ParsedStatement, StatementOutcome } from '../types.js';
import { dataErrorFix } from './data-errors.js';

/** Data exceptions (22) and integrity violations (23): what rows, not the schema, can cause. */
function isDataError(sqlstate: string | undefined): boolean {
  return sqlstate !== undefined && (sqlstate.startsWith('22') || sqlstate.startsWith('23'));
}

/** Statements that may write rows into any table without naming it as their target. */
const OPAQUE_WRITERS = new Set(['DoStmt', 'CallStmt', 'SelectStmt', 'ExecuteStmt', 'CreateTrigStmt']);

interface RelationRef {
  schema?: string;
  name: string;
}

/** Every relation the statement names (RangeVar nodes, wrapped or not). */
export function relationsOf(ast: unknown): RelationRef[] {
  const out: RelationRef[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (typeof record.relname === 'string') {
      out.push({ name: record.relname, ...(typeof record.schemaname === 'string' ? { schema: record.schemaname } : {}) });
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(ast);
  return out;
}

function quoteQualified(qualified: string): string {
  const dot = qualified.indexOf('.');
  return `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}

/**
 * One per review: knows which tables hold only synthetic rows (`schema.name`, none from the history) and
 * follows what the new migrations write, so that rows a migration inserted itself are never taken for
 * pgpro's (a table the change writes into is not emptied).
 */
export class SyntheticRerunPlanner {
  private readonly writtenByChange = new Set<string>();
  /** Columns earlier statements added without a default, by table: every existing row holds NULL in them. */
  private readonly nullColumnsByChange = new Map<string, Set<string>>();
  private opaqueWrite = false;
  /** The statement about to run: its own writes count from the next statement on (a failed one wrote nothing). */
  private pending: ParsedStatement | undefined;

  constructor(private readonly syntheticTables: ReadonlySet<string>) {}

  /** The hook for one file's apply, or undefined when no table holds synthetic rows. */
  forFile(parsed: ParsedFile): SyntheticRowsRerun | undefined {
    if (this.syntheticTables.size === 0) return undefined;
    const byIndex = new Map(parsed.statements.map((s) => [s.index, s]));
    return {
      mayNeed: (prepared: PreparedStatement) => {
        const statement = byIndex.get(prepared.index);
        if (!statement) return false;
        if (this.pending) this.noteWrites(this.pending);
        this.pending = statement;
        return this.tablesOf(statement).length > 0;
      },
      plan: (prepared, error) => {
        const statement = byIndex.get(prepared.index);
        if (!statement || !isDataError(error.sqlstate) || this.opaqueWrite || failsOnAnyRow(statement, error)) return undefined;
        if (this.namesColumnAddedEarlier(statement, error)) return undefined;
        const tables = this.tablesOf(statement).filter((t) => !this.writtenByChange.has(t));
        if (tables.length === 0) return undefined;
        return { tables, sql: [...leftovers(statement), `TRUNCATE ${tables.map(quoteQualified).join(', ')} CASCADE`].join(';\n') };
      },
    };
  }

  private resolve(ref: RelationRef): string | undefined {
    if (ref.schema) {
      const name = `${ref.schema}.${ref.name}`;
      return this.syntheticTables.has(name) ? name : undefined;
    }
    const matches = [...this.syntheticTables].filter((t) => t.slice(t.indexOf('.') + 1) === ref.name);
    return matches.find((t) => t.startsWith('public.')) ?? matches[0];
  }

  private tablesOf(statement: ParsedStatement): string[] {
    const names = relationsOf(statement.ast).map((r) => this.resolve(r)).filter((t): t is string => t !== undefined);
    return [...new Set(names)];
  }

  /**
   * A failure naming a column an earlier statement added without a default (`SET NOT NULL` on it, say)
   * happens on any non-empty table: every existing row holds NULL there, whatever pgpro seeded.
   */
  private namesColumnAddedEarlier(statement: ParsedStatement, error: { message: string; detail?: string }): boolean {
    const text = `${error.message}\n${error.detail ?? ''}`;
    return this.tablesOf(statement).some((table) =>
      [...(this.nullColumnsByChange.get(table) ?? [])].some((col) => text.includes(`"${col}"`) || text.includes(`(${col})`)),
    );
  }

  private noteAddedColumns(statement: ParsedStatement): void {
    if (statement.kind === 'UpdateStmt') {
      for (const table of this.tablesOf(statement)) this.nullColumnsByChange.delete(table);
      return;
    }
    if (statement.kind !== 'AlterTableStmt') return;
    const cmds = ((statement.ast.AlterTableStmt as { cmds?: unknown[] } | undefined)?.cmds ?? []).map(
      (c) => (c as { AlterTableCmd?: { subtype?: string; def?: { ColumnDef?: { colname?: string; constraints?: unknown[] } } } }).AlterTableCmd,
    );
    const withoutDefault = cmds
      .filter((c) => c?.subtype === 'AT_AddColumn')
      .map((c) => c?.def?.ColumnDef)
      .filter((col) => col?.colname && !(col.constraints ?? []).some((k) => (k as { Constraint?: { contype?: string } }).Constraint?.contype === 'CONSTR_DEFAULT'))
      .map((col) => col!.colname!);
    if (withoutDefault.length === 0) return;
    for (const table of this.tablesOf(statement)) {
      const set = this.nullColumnsByChange.get(table) ?? new Set<string>();
      for (const col of withoutDefault) set.add(col);
      this.nullColumnsByChange.set(table, set);
    }
  }

  /** Rows the change writes itself must stay: its INSERT and COPY targets, and anything after opaque code. */
  private noteWrites(statement: ParsedStatement): void {
    this.noteAddedColumns(statement);
    if (OPAQUE_WRITERS.has(statement.kind)) {
      this.opaqueWrite = true;
      return;
    }
    if (statement.kind !== 'InsertStmt' && statement.kind !== 'CopyStmt') return;
    const body = statement.ast[statement.kind] as { relation?: { relname?: string; schemaname?: string } } | undefined;
    const target = body?.relation?.relname ? this.resolve({ name: body.relation.relname, ...(body.relation.schemaname ? { schema: body.relation.schemaname } : {}) }) : undefined;
    if (target) this.writtenByChange.add(target);
  }
}

/**
 * A column the statement adds holds the same value (NULL, or its default) in every existing row: a
 * failure about it happens on any non-empty table, whatever its rows hold. That is the migration's
 * error (ADD COLUMN … NOT NULL without a default), not something synthetic rows invented.
 */
function failsOnAnyRow(statement: ParsedStatement, error: { message: string; sqlstate?: string; detail?: string }): boolean {
  if (statement.kind !== 'AlterTableStmt') return false;
  const cmds = ((statement.ast.AlterTableStmt as { cmds?: unknown[] } | undefined)?.cmds ?? []).map(
    (c) => (c as { AlterTableCmd?: { subtype?: string; def?: { ColumnDef?: { colname?: string; constraints?: unknown[] } } } }).AlterTableCmd,
  );
  const added = cmds.filter((c) => c?.subtype === 'AT_AddColumn').map((c) => c?.def?.ColumnDef);
  if (added.length === 0) return false;
  const text = `${error.message}\n${error.detail ?? ''}`;
  if (added.some((col) => col?.colname && (text.includes(`"${col.colname}"`) || text.includes(`(${col.colname})`)))) return true;
  // A CHECK on a new column is checked against its default in every row.
  return error.sqlstate === '23514' && added.some((col) => (col?.constraints?.length ?? 0) > 0);
}

/** A failed CREATE INDEX CONCURRENTLY leaves its invalid index behind: drop it before the re-run. */
function leftovers(statement: ParsedStatement): string[] {
  if (statement.kind !== 'IndexStmt') return [];
  const body = statement.ast.IndexStmt as { concurrent?: boolean; idxname?: string; relation?: { schemaname?: string } } | undefined;
  if (!body?.concurrent || !body.idxname) return [];
  const name = body.relation?.schemaname ? `${quoteIdent(body.relation.schemaname)}.${quoteIdent(body.idxname)}` : quoteIdent(body.idxname);
  return [`DROP INDEX IF EXISTS ${name}`];
}

export const FAILS_ON_EXISTING_ROWS = 'fails-on-existing-rows';

/** The finding for a statement that failed on synthetic rows and applied without them. */
export function existingRowsFinding(file: string, statement: ParsedStatement | undefined, outcome: StatementOutcome): Finding | undefined {
  const failure = outcome.failedOnSyntheticRows;
  if (!failure) return undefined;
  const { cleared, ...error } = failure;
  const fix = dataErrorFix(error, statement?.text ?? '');
  const evidence = [
    error.sqlstate ? `SQLSTATE ${error.sqlstate}` : undefined,
    error.detail ? `DETAIL: ${error.detail}` : undefined,
    `Re-run on the same state with the synthetic rows of ${cleared.join(', ')} removed: it applied.`,
    fix?.sql ? `Find such rows on production: ${fix.sql}` : undefined,
  ]
    .filter(Boolean)
    .join('\n');
  return {
    rule: FAILS_ON_EXISTING_ROWS,
    severity: 'warning',
    source: 'apply',
    file,
    line: outcome.line,
    endLine: outcome.endLine,
    message:
      `This fails if production has rows like the sandbox's synthetic ones: ${error.message}${error.detail ? ` (${error.detail})` : ''}. ` +
      'Without those rows it applied, and the review went on.',
    evidence,
    ...(fix ? { fix } : {}),
    fingerprint: fingerprint(FAILS_ON_EXISTING_ROWS, file, statement?.text ?? String(outcome.line)),
  };
}
