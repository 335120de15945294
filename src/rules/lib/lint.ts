import { parseSync } from '../../sql/pg-query.js';
import type { PgproConfig } from '../../config/schema.js';
import { fingerprint } from '../../finding.js';
import type { CatalogSnapshot, Finding, MigrationFile, ParsedFile, ParsedStatement, Severity } from '../../types.js';
import { nameList, isZeroDuration, setValueText } from './ast.js';
import { runsInTransaction, transactionKey } from './common.js';
import { CreatedObjects } from './created.js';
import { disablesAssumedTransaction } from '../../sql/ignores.js';
import { rules as allRules } from '../index.js';
import type { FileState, Located, ReportDescriptor, Rule, RuleContext, RuleSettings, Visitors } from '../types.js';
import { firstLocation, unwrapNode, walk } from './walk.js';
import { withCatalogIndex } from './helpers.js';

export interface LintInput {
  migration: MigrationFile;
  parsed: ParsedFile;
}

export interface LintOptions {
  config: PgproConfig;
  catalog?: CatalogSnapshot;
  /** Defaults to the registry; tests pass a subset. */
  rules?: readonly Rule[];
}

/**
 * Runs the static rules over the new migrations in order. Objects created by earlier statements
 * (of this file or an earlier new file) are known to later ones, so operations on them are exempt.
 */
export function lintMigrations(inputs: readonly LintInput[], options: LintOptions): Finding[] {
  // The rules only read the catalog: its tables are looked up by key for the whole run.
  return withCatalogIndex(options.catalog, () => lintWith(inputs, options));
}

function lintWith(inputs: readonly LintInput[], options: LintOptions): Finding[] {
  const { config, catalog } = options;
  const active = (options.rules ?? allRules)
    .map((rule) => ({ rule, severity: effectiveSeverity(rule, config) }))
    .filter((r): r is { rule: Rule; severity: Severity } => r.severity !== undefined);
  const created = new CreatedObjects();
  const findings: Finding[] = [];
  // Asked only by CREATE … IF NOT EXISTS: built on first use, not for every file `pgpro lint` lints
  // one by one on a catalog of hundreds of tables.
  let existing: Set<string> | undefined;
  const existed = (key: string) => (existing ??= new Set(catalog?.tables.map((t) => `${t.schema}.${t.name}`.toLowerCase()))).has(key);

  for (const { migration, parsed } of inputs) {
    const settings: RuleSettings = {
      postgresVersion: config['postgres-version'],
      inTransaction:
        config['assume-in-transaction'] === true && disablesAssumedTransaction(migration.sql)
          ? migration.inTransaction
          : (config['assume-in-transaction'] ?? migration.inTransaction),
    };
    const fileState: FileState = { lockTimeoutSet: false, explicitTransaction: false, toolTransactionEnded: false, transactionIndex: 0 };
    const memos = new Map<string, Map<string, unknown>>();
    const fileMemo = (ruleId: string) => {
      let memo = memos.get(ruleId);
      if (!memo) memos.set(ruleId, (memo = new Map()));
      return memo;
    };
    for (const statement of parsed.statements) {
      runRules(active, { settings, statement, migration, created, catalog, fileState, fileMemo }, findings);
      created.record(statement.ast, migration.path, transactionKey({ settings, fileState, file: migration }), existed);
      advanceFileState(fileState, settings, statement.ast);
    }
    created.endFile();
  }
  return findings;
}

function effectiveSeverity(rule: Rule, config: PgproConfig): Severity | undefined {
  const setting = config.rules[rule.meta.id];
  if (setting === 'off') return undefined;
  return setting ?? rule.meta.defaultSeverity;
}

interface RunInput {
  settings: RuleSettings;
  statement: ParsedStatement;
  migration: MigrationFile;
  created: CreatedObjects;
  catalog?: CatalogSnapshot;
  fileState: FileState;
  fileMemo: (ruleId: string) => Map<string, unknown>;
}

/** The node types a rule's visitors take, learnt from its first `create` (which returns the same types every time). */
interface VisitedTypes {
  types: readonly string[];
  /** It has a `Statement` visitor, called before the walk. */
  statement: boolean;
}
const visitedTypes = new WeakMap<Rule, VisitedTypes>();

function learnTypes(rule: Rule, visitors: Visitors): void {
  if (visitedTypes.has(rule)) return;
  const types = Object.keys(visitors).filter((type) => type !== 'Statement' && visitors[type]);
  visitedTypes.set(rule, { types, statement: Boolean(visitors.Statement) });
}

interface Running {
  rule: Rule;
  severity: Severity;
  visitors?: Visitors;
  found: Finding[];
  failed?: Error;
}

/**
 * Runs every active rule on one statement with a single walk of its tree: each node goes to the rules
 * that visit its type. A rule is created for the statement only when it has something to visit there (a
 * `Statement` visitor, or a node of a type it visits), so the usual statement creates a few rules, not
 * all of them. A rule that throws is reported and left out for the rest of the statement, so one broken
 * rule never hides the others' findings. Findings come out in rule order.
 */
function runRules(active: readonly { rule: Rule; severity: Severity }[], input: RunInput, out: Finding[]): void {
  const { statement, migration } = input;
  const { lineOf, textOffset } = locator(statement);
  const create = (entry: Running): void => {
    const { rule, severity, found } = entry;
    const report = (d: ReportDescriptor): void => {
      const line = d.line ?? statement.line;
      found.push({
        rule: rule.meta.id,
        severity,
        source: 'lint',
        file: migration.path,
        line,
        endLine: d.endLine ?? (d.line === undefined ? statement.endLine : line),
        message: d.message,
        ...(d.fix ? { fix: d.fix } : {}),
        ...(d.evidence ? { evidence: d.evidence } : {}),
        fingerprint: fingerprint(rule.meta.id, migration.path, statement.text),
      });
    };
    const ctx: RuleContext = {
      settings: input.settings,
      statement,
      file: migration,
      created: input.created,
      catalog: input.catalog,
      fileState: { ...input.fileState },
      fileMemo: input.fileMemo(rule.meta.id),
      lineOf,
      textOffset,
      report,
    };
    entry.visitors = {};
    try {
      entry.visitors = rule.create(ctx);
      learnTypes(rule, entry.visitors);
      entry.visitors.Statement?.(statement);
    } catch (error) {
      entry.failed = error as Error;
    }
  };
  const running: Running[] = [];
  const byType = new Map<string, Running[]>();
  for (const { rule, severity } of active) {
    const entry: Running = { rule, severity, found: [] };
    running.push(entry);
    let known = visitedTypes.get(rule);
    if (!known || known.statement) {
      create(entry);
      known = visitedTypes.get(rule);
    }
    if (entry.failed || !known) continue;
    for (const type of known.types) {
      const list = byType.get(type);
      if (list) list.push(entry);
      else byType.set(type, [entry]);
    }
  }
  if (byType.size > 0) {
    walk(statement.ast, (type, node, ancestors) => {
      const entries = byType.get(type);
      if (!entries) return;
      for (const entry of entries) {
        if (!entry.visitors) create(entry);
        if (entry.failed) continue;
        const visit = entry.visitors![type];
        if (!visit) continue;
        try {
          visit(node, ancestors);
        } catch (error) {
          entry.failed = error as Error;
        }
      }
    });
  }
  for (const { rule, found, failed } of running) {
    out.push(...found);
    if (!failed) continue;
    out.push({
      rule: rule.meta.id,
      severity: 'info',
      source: 'lint',
      file: migration.path,
      line: statement.line,
      endLine: statement.endLine,
      message: `Rule ${rule.meta.id} failed on this statement: ${failed.message}`,
      fingerprint: fingerprint(rule.meta.id, migration.path, statement.text),
    });
  }
}

/**
 * Maps a node's `location` (UTF-8 bytes) into the statement text. The statement's AST may carry
 * offsets relative to the whole file or to the statement; re-parsing the statement text (only when
 * a rule asks) gives the shift between the two.
 */
function locator(statement: ParsedStatement) {
  let shift: number | null | undefined;
  let bytes: Buffer | undefined;
  const byteOffset = (node: Located | undefined): number | undefined => {
    const location = node?.location;
    if (typeof location !== 'number' || location < 0) return undefined;
    if (shift === undefined) {
      try {
        const reparsed = parseSync(statement.text).stmts?.[0]?.stmt;
        const own = firstLocation(statement.ast);
        const fresh = firstLocation(reparsed);
        shift = own !== undefined && fresh !== undefined ? own - fresh : null;
      } catch {
        shift = null;
      }
      bytes = Buffer.from(statement.text, 'utf8');
    }
    if (shift === null || !bytes) return undefined;
    const offset = location - shift;
    return offset >= 0 && offset <= bytes.length ? offset : undefined;
  };
  const textOffset = (node: Located | undefined): number | undefined => {
    const offset = byteOffset(node);
    if (offset === undefined) return undefined;
    // ASCII text (the usual statement): bytes and characters are the same offsets.
    return bytes!.length === statement.text.length ? offset : bytes!.subarray(0, offset).toString('utf8').length;
  };
  // Offsets of the statement's newlines, found once: rules ask the line of every column of a wide table.
  let newlines: number[] | undefined;
  const lineOf = (node: Located | undefined): number => {
    if (statement.line === statement.endLine) return statement.line;
    const at = textOffset(node);
    if (at === undefined) return statement.line;
    if (!newlines) {
      newlines = [];
      for (let i = statement.text.indexOf('\n'); i !== -1; i = statement.text.indexOf('\n', i + 1)) newlines.push(i);
    }
    // How many newlines lie before `at`.
    let low = 0;
    let high = newlines.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (newlines[mid]! < at) low = mid + 1;
      else high = mid;
    }
    return statement.line + low;
  };
  return { lineOf, textOffset };
}

/** What a statement changes for the statements after it in the same file. */
function advanceFileState(state: FileState, settings: RuleSettings, ast: Record<string, unknown>): void {
  const wrapped = unwrapNode(ast);
  if (!wrapped) return;
  const node = wrapped.node as any;
  if (wrapped.type === 'TransactionStmt') {
    const open = runsInTransaction({ settings, fileState: state });
    // A BEGIN inside an open block is a no-op (PostgreSQL warns); the first COMMIT ends the block,
    // whoever opened it, and a COMMIT outside any block changes nothing.
    if ((node.kind === 'TRANS_STMT_BEGIN' || node.kind === 'TRANS_STMT_START') && !open) state.explicitTransaction = true;
    if (['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE'].includes(node.kind) && open) {
      if (state.explicitTransaction) state.explicitTransaction = false;
      else state.toolTransactionEnded = true;
      state.transactionIndex++;
    }
    return;
  }
  if (wrapped.type === 'VariableSetStmt' && node.name?.toLowerCase() === 'lock_timeout') {
    state.lockTimeoutSet = node.kind === 'VAR_SET_VALUE' && !isZeroDuration(setValueText(node.args));
    return;
  }
  // SELECT set_config('lock_timeout', '5s', …)
  walk(ast, (type, call) => {
    if (type !== 'FuncCall' || nameList(call.funcname).pop()?.toLowerCase() !== 'set_config') return;
    const [name, value] = (call.args ?? []).map((a: any) => a?.A_Const?.sval?.sval);
    if (typeof name === 'string' && name.toLowerCase() === 'lock_timeout' && typeof value === 'string') {
      state.lockTimeoutSet = !isZeroDuration(value);
    }
  });
}
