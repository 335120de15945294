// Turns what the sandbox observed per statement into findings (source 'trace'), each with the observed
// facts as evidence. One finding per hazard and statement: a rewrite or full scan already names its lock,
// so the lock alone is reported only when it is the whole story.
import { unwrapNode } from '../rules/lib/walk.js';
import { quoteIdent } from '../sql/quote.js';
import { fingerprint } from '../finding.js';
import type { HazardFinding } from '../hazards/types.js';
import { aLock, lineList, list, lockName, plural } from '../text/grammar.js';
import type { CatalogSnapshot, Fix, LockMode, ParsedStatement, Severity, StatementOutcome } from '../types.js';
import { observationEvidence } from './evidence.js';
import { indexName, unindexedForeignKeys } from './fk-index.js';
import { describeBlocking, strongest } from './locks.js';
import { dangerousByTable, lockTimelines, observedSteps, renderTimeline, type ObservedStep, type TableTimeline } from './timeline.js';

export const TRACE_RULES = {
  lockAccessExclusive: 'lock-access-exclusive',
  lockBlocksWrites: 'lock-blocks-writes',
  tableRewrite: 'table-rewrite',
  fullTableScan: 'full-table-scan',
  lockHeldAcrossStatements: 'lock-held-across-statements',
  missingLockTimeout: 'missing-lock-timeout',
  foreignKeyWithoutIndex: 'foreign-key-without-index',
} as const;

export interface TraceInput {
  file: string;
  statements: ParsedStatement[];
  outcomes: StatementOutcome[];
  inTransaction: boolean;
  catalogBefore: CatalogSnapshot;
}

export function traceFindings(input: TraceInput): HazardFinding[] {
  const steps = observedSteps(input.statements, input.outcomes);
  const findings: HazardFinding[] = [];
  for (const step of steps) findings.push(...statementFindings(input.file, step));
  findings.push(...heldAcrossStatements(input.file, steps));
  const timeout = missingLockTimeout(input.file, steps);
  if (timeout) findings.push(timeout);
  findings.push(...foreignKeysWithoutIndex(input));
  return findings;
}

function finding(
  rule: string,
  severity: Severity,
  file: string,
  statement: ParsedStatement,
  message: string,
  evidence: string,
  fix?: Fix,
  hazard?: HazardFinding['hazard'],
): HazardFinding {
  return {
    rule,
    severity,
    source: 'trace',
    file,
    line: statement.line,
    endLine: statement.endLine,
    message,
    ...(fix ? { fix } : {}),
    evidence,
    fingerprint: fingerprint(rule, file, statement.text),
    ...(hazard ? { hazard } : {}),
  };
}

function rowsRead(step: ObservedStep, table: string): number | undefined {
  return step.observation.scans.find((s) => s.relation === table)?.rowsRead;
}

function sandboxRows(step: ObservedStep, tables: string[]): string {
  const counts = tables.map((t) => [t, rowsRead(step, t)] as const).filter(([, n]) => n !== undefined);
  if (counts.length === 0) return '';
  return ` (${counts.map(([t, n]) => `${n!.toLocaleString('en-US')} rows of ${t} read in the sandbox`).join(', ')})`;
}

/** The lock held on a table after the step, strongest first (acquired here or earlier). */
function heldMode(step: ObservedStep, table: string): LockMode | undefined {
  return strongest(step.observation.locks.filter((l) => l.relation === table).map((l) => l.mode));
}

function statementFindings(file: string, step: ObservedStep): HazardFinding[] {
  const statement = step.statement;
  if (!statement) return [];
  const { observation } = step;
  const acquired = dangerousByTable(step.acquired);
  const tableKind = (relation: string) => observation.locks.find((l) => l.relation === relation)?.kind;
  const evidence = observationEvidence(observation, step.acquired);
  const out: HazardFinding[] = [];

  const rewritten = observation.rewrites.filter((r) => tableKind(r) === 'table');
  if (rewritten.length) {
    const mode = strongest(rewritten.map((t) => heldMode(step, t)!).filter(Boolean)) ?? 'AccessExclusiveLock';
    out.push(finding(
      'table-rewrite', 'error', file, statement,
      `Rewrites every row of ${list(rewritten)} (new relfilenode observed) under ${aLock(mode)}, which ` +
        `${describeBlocking(mode)}, for as long as the copy takes: time grows with the table's size in production.`,
      evidence, rewriteFix(observation.changes), { object: rewritten.join(',') },
    ));
  }

  const scanned = [...acquired.keys()].filter((t) => !rewritten.includes(t) && (rowsRead(step, t) !== undefined));
  if (scanned.length) {
    const mode = strongest(scanned.map((t) => acquired.get(t)!))!;
    out.push(finding(
      'full-table-scan', 'warning', file, statement,
      `Reads all of ${list(scanned)}${sandboxRows(step, scanned)} while holding ${aLock(mode)}, which ` +
        `${describeBlocking(mode)} until the scan ends (and, in a transaction, until COMMIT).`,
      evidence, scanFix(statement, observation.changes), { object: scanned.join(',') },
    ));
  }

  const lockOnly = [...acquired].filter(([t]) => !rewritten.includes(t) && !scanned.includes(t));
  for (const rule of ['lock-access-exclusive', 'lock-blocks-writes'] as const) {
    const tables = lockOnly.filter(([, m]) => (m === 'AccessExclusiveLock') === (rule === 'lock-access-exclusive'));
    if (tables.length === 0) continue;
    const mode = strongest(tables.map(([, m]) => m))!;
    out.push(finding(
      rule, 'info', file, statement,
      `Takes ${aLock(mode)} on ${list(tables.map(([t]) => t))}, which ${describeBlocking(mode)}. No rewrite or ` +
        `scan was observed, so it is held briefly; but it queues behind every running query on the table, and everything queues behind it.`,
      evidence,
      { title: 'Bound the wait with lock_timeout and retry', steps: [`SET lock_timeout = '5s'; before this statement, and retry the migration if it times out.`] },
      { object: tables.map(([t]) => t).join(',') },
    ));
  }
  return out;
}

function rewriteFix(changes: string[]): Fix {
  const typeChange = changes.find((c) => / type .* → /.test(c));
  if (typeChange) {
    return {
      title: 'Change the type without rewriting the table under lock',
      steps: [
        'Add a new column of the new type (no default).',
        'Keep it in sync with a trigger and backfill it in small batches, each in its own transaction.',
        'Switch the application to the new column, then drop the old one (or rename in one short transaction).',
      ],
    };
  }
  if (changes.some((c) => /^column .* added/.test(c))) {
    return {
      title: 'Add the column without a volatile default, then backfill',
      steps: [
        'ALTER TABLE … ADD COLUMN … with no default (or a constant one): a catalog-only change.',
        'ALTER TABLE … ALTER COLUMN … SET DEFAULT …: applies to new rows only.',
        'Backfill existing rows in small batches, each in its own transaction.',
      ],
    };
  }
  return { title: 'Avoid rewriting a live table', steps: ['Build the new shape alongside the old one and backfill in batches, or run this during a maintenance window.'] };
}

function scanFix(statement: ParsedStatement, changes: string[]): Fix | undefined {
  if (statement.kind === 'IndexStmt') {
    const sql = statement.text.replace(/^(\s*create\s+(?:unique\s+)?index)\s+/i, '$1 CONCURRENTLY ');
    return {
      title: 'Build the index without blocking writes',
      ...(sql !== statement.text ? { sql: `${sql};`, replacesStatement: true } : {}),
      steps: ['CREATE INDEX CONCURRENTLY cannot run inside a transaction block: put it in a migration that runs without one.'],
    };
  }
  const notNull = changes.find((c) => / set not null$/.test(c));
  if (notNull) {
    const qualified = notNull.replace(/^column /, '').replace(/ set not null$/, '');
    const dot = qualified.lastIndexOf('.');
    // Names as fix SQL writes them: quoted where Postgres needs it ("Document", "hintText").
    const table = qualified.slice(0, dot).split('.').map(quoteIdent).join('.');
    const column = qualified.slice(dot + 1);
    const name = quoteIdent(column);
    const check = quoteIdent(`${column}_not_null`);
    return {
      title: 'Prove NOT NULL with a validated CHECK first',
      steps: [
        `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${name} IS NOT NULL) NOT VALID;`,
        `ALTER TABLE ${table} VALIDATE CONSTRAINT ${check}; -- scans under SHARE UPDATE EXCLUSIVE: reads and writes continue`,
        `ALTER TABLE ${table} ALTER COLUMN ${name} SET NOT NULL; -- no scan: the CHECK proves it (PostgreSQL 12+)`,
        `ALTER TABLE ${table} DROP CONSTRAINT ${check};`,
      ],
    };
  }
  if (changes.some((c) => /^(check|foreign key) constraint .* added$/.test(c))) {
    return {
      title: 'Add the constraint NOT VALID, validate it separately',
      steps: [
        'ALTER TABLE … ADD CONSTRAINT … NOT VALID; -- brief lock, no scan',
        'ALTER TABLE … VALIDATE CONSTRAINT …; -- in its own transaction: scans under SHARE UPDATE EXCLUSIVE, reads and writes continue',
      ],
    };
  }
  if (changes.some((c) => /^(unique|primary key) constraint .* added$/.test(c))) {
    return {
      title: 'Build the unique index concurrently, then attach it',
      steps: ['CREATE UNIQUE INDEX CONCURRENTLY … ON … (…);', 'ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX …; -- brief lock'],
    };
  }
  return undefined;
}

function isTransactionControl(step: ObservedStep): boolean {
  return step.statement?.kind === 'TransactionStmt';
}

/** One lock window: the statement that takes blocking locks and the statements that run while they are held. */
interface LockWindow {
  taken: ObservedStep;
  later: ObservedStep[];
  timelines: TableTimeline[];
}

/**
 * Locks taken by one statement and held across the same later statements are one window (a DROP of a
 * foreign key locks both tables): one finding per window, naming each table's mode where it is taken.
 */
function lockWindows(steps: ObservedStep[]): LockWindow[] {
  const order = new Map(steps.map((step, i) => [step, i]));
  const windows = new Map<string, LockWindow>();
  for (const timeline of lockTimelines(steps)) {
    // A window is a run of consecutive statements of one open transaction block that hold the lock: a
    // statement without it, or one in autocommit, means the lock was released, and a later take (a
    // statement re-taking it on its own) starts a new window.
    const runs: (typeof timeline.entries)[] = [];
    for (const entry of timeline.entries) {
      const run = runs[runs.length - 1];
      const previous = run?.[run.length - 1];
      const continues =
        previous !== undefined &&
        order.get(entry.step) === order.get(previous.step)! + 1 &&
        previous.step.observation.inTransaction &&
        entry.step.observation.inTransaction;
      if (run && continues) run.push(entry);
      else runs.push([entry]);
    }
    for (const run of runs) {
      const taken = run[0]!;
      if (taken.state !== 'taken' || !taken.step.statement) continue;
      const later = run.slice(1).filter((e) => !isTransactionControl(e.step)).map((e) => e.step);
      if (later.length === 0) continue;
      const key = [taken.step.outcome.index, ...later.map((s) => s.outcome.index)].join(',');
      const window = windows.get(key) ?? { taken: taken.step, later, timelines: [] };
      window.timelines.push({ table: timeline.table, entries: run });
      windows.set(key, window);
    }
  }
  return [...windows.values()];
}

/** "The SHARE lock on a", "The ACCESS EXCLUSIVE locks on a and b", "The locks on a (SHARE) and b (EXCLUSIVE)". */
function locksPhrase(held: { table: string; mode: LockMode }[]): string {
  const modes = new Set(held.map((h) => h.mode));
  if (held.length === 1) return `The ${lockName(held[0]!.mode)} lock on ${held[0]!.table}`;
  if (modes.size === 1) return `The ${lockName(held[0]!.mode)} locks on ${list(held.map((h) => h.table))}`;
  return `The locks on ${list(held.map((h) => `${h.table} (${lockName(h.mode)})`))}`;
}

// Statements whose time the trace cannot bound by what it saw: they read or write rows, or run code.
const OPEN_ENDED = new Set([
  'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt', 'CopyStmt', 'DoStmt', 'CallStmt',
  'CreateTableAsStmt', 'RefreshMatViewStmt', 'VacuumStmt', 'ClusterStmt', 'ReindexStmt',
]);

// ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (src/rules/lib/locks.ts says the same).
const WEAKER_ALTER = new Set([
  'AT_ValidateConstraint', 'AT_SetStatistics', 'AT_ClusterOn', 'AT_DropCluster', 'AT_SetRelOptions', 'AT_ResetRelOptions',
  'AT_DetachPartitionFinalize', 'AT_AttachPartition', 'AT_DetachPartition',
]);

/** The statement is an ALTER TABLE of `table` that takes ACCESS EXCLUSIVE on it by itself. */
function takesAccessExclusiveOn(step: ObservedStep, table: string): boolean {
  const wrapped = unwrapNode(step.statement?.ast);
  const node = wrapped?.type === 'AlterTableStmt' ? (wrapped.node as any) : undefined;
  if (!node?.relation?.relname) return false;
  const [schema, name] = table.includes('.') ? [table.slice(0, table.indexOf('.')), table.slice(table.indexOf('.') + 1)] : [undefined, table];
  if (node.relation.relname !== name || (node.relation.schemaname && node.relation.schemaname !== schema)) return false;
  const cmds: any[] = (node.cmds ?? []).map((c: any) => c?.AlterTableCmd);
  return cmds.some((c) => !WEAKER_ALTER.has(c?.subtype) && c?.def?.Constraint?.contype !== 'CONSTR_FOREIGN');
}

/**
 * What a later statement of a window adds to the time the window's locks block others. `none`: it takes
 * no lock the transaction did not hold, reads and rewrites nothing, and runs no rows or code, so it ends
 * at once; `own`: its scan or rewrite is of the one locked table, under the ACCESS EXCLUSIVE lock it takes
 * itself (its own finding says how long); `more`: it waits for a lock, or works while the lock is held.
 */
function addedByLater(step: ObservedStep, held: { table: string; mode: LockMode }[]): 'none' | 'own' | 'more' {
  // A lock on an index comes with its table's (every use of an index locks the table first): the table's says it.
  if (step.acquired.some((l) => l.kind !== 'index') || OPEN_ENDED.has(step.statement?.kind ?? '')) return 'more';
  // Tables only (as the rewrite finding counts them): an index an ALTER TABLE rebuilds (a type or collation
  // change) is its own table's, and that table is what the statement locks and scans.
  const isTable = (relation: string) => step.observation.locks.find((l) => l.relation === relation)?.kind === 'table';
  const touched = [...step.observation.rewrites.filter(isTable), ...step.observation.scans.map((s) => s.relation)];
  if (touched.length === 0 && step.observation.rewrites.length > 0) return takesAccessExclusiveOn(step, held.length === 1 ? held[0]!.table : '') ? 'own' : 'more';
  if (touched.length === 0) return 'none';
  const only = held.length === 1 ? held[0]!.table : undefined;
  return only && touched.every((t) => t === only) && takesAccessExclusiveOn(step, only) ? 'own' : 'more';
}

function heldAcrossStatements(file: string, steps: ObservedStep[]): HazardFinding[] {
  const out: HazardFinding[] = [];
  for (const window of lockWindows(steps)) {
    const statement = window.taken.statement!;
    window.timelines.sort((a, b) => a.table.localeCompare(b.table));
    const held = window.timelines.map((t) => ({ table: t.table, mode: t.entries.find((e) => e.step === window.taken)!.mode }));
    // A later statement of the window may take a stronger lock on the same table: say where.
    const upgrades: string[] = [];
    for (const timeline of window.timelines) {
      let mode = held.find((h) => h.table === timeline.table)!.mode;
      for (const entry of timeline.entries) {
        if (entry.step === window.taken || !window.later.includes(entry.step)) continue;
        if (strongest([mode, entry.mode]) !== mode) {
          mode = entry.mode;
          upgrades.push(`${lockName(mode)} at line ${entry.step.outcome.line}${window.timelines.length > 1 ? ` on ${timeline.table}` : ''}`);
        }
      }
    }
    const strongestMode = strongest(window.timelines.flatMap((t) => t.entries.map((e) => e.mode)))!;
    const lines = window.later.map((s) => s.outcome.line);
    const heavy = window.later.filter((s) => s.observation.rewrites.length || s.observation.scans.length);
    const count = new Set(window.later.map((s) => s.outcome.index)).size;
    const plural_ = held.length > 1;
    const added = window.later.map((s) => addedByLater(s, held));
    // Observed: nothing after the take waits, works, or does more than it would under its own lock: the
    // window costs moments, so it is a note (it still speaks for statement-after-access-exclusive-lock).
    const brief = !added.includes('more');
    const ownLines = window.later.filter((_, i) => added[i] === 'own').map((s) => s.outcome.line);
    const why = brief
      ? ', but that adds no blocking: no statement after it waits for a lock the transaction did not already hold, or runs rows or code' +
        (ownLines.length
          ? `, and ${plural(new Set(ownLines).size, 'statement')} (${lineList([...new Set(ownLines)])}) ${ownLines.length === 1 ? 'scans or rewrites' : 'scan or rewrite'} ` +
            `${held[0]!.table} under the ACCESS EXCLUSIVE lock ${ownLines.length === 1 ? 'it takes' : 'they take'} ${ownLines.length === 1 ? 'itself (its' : 'themselves (their'} own finding says so)`
          : ', and none scans or rewrites a table') +
        '. Observed in the sandbox: the lock is held only moments longer than this statement needs.'
      : '';
    out.push(finding(
      'lock-held-across-statements', brief ? 'info' : 'warning', file, statement,
      `${locksPhrase(held)} taken here ${plural_ ? 'last' : 'lasts'} until COMMIT, and ${plural(count, 'more statement')} ` +
        `${count === 1 ? 'runs' : 'run'} while ${plural_ ? 'they are' : 'it is'} held (${lineList(lines)})` +
        `${upgrades.length ? `; the lock becomes ${list(upgrades)}` : ''}` +
        (brief
          ? why
          : `${heavy.length ? `; ${heavy.length} of them ${heavy.length === 1 ? 'rewrites or scans' : 'rewrite or scan'} a table` : ''}: ` +
            `while held, ${aLock(strongestMode)} ${describeBlocking(strongestMode)}.`),
      window.timelines.map(renderTimeline).join('\n'),
      brief
        ? undefined
        : {
            title: 'Hold the lock for one short statement',
            steps: [
              'Move this statement to the end of the transaction, or into its own migration.',
              'Run backfills and index builds before taking the lock, or in separate transactions.',
            ],
          },
      {
        object: held.map((h) => h.table).sort().join(','),
        window: [...new Set(lines)],
        brief:
          `${locksPhrase(held)} taken here ${plural_ ? 'last' : 'lasts'} until COMMIT while ${plural(count, 'more statement')} ${count === 1 ? 'runs' : 'run'} ` +
          `(${lineList(lines)})${upgrades.length ? `; the lock becomes ${list(upgrades)}` : ''}.`,
      },
    ));
  }
  return out;
}

function timeoutDisabled(value: string): boolean {
  return /^0(ms|s)?$/i.test(value.trim());
}

function missingLockTimeout(file: string, steps: ObservedStep[]): HazardFinding | undefined {
  const offenders = steps.filter((s) => s.statement && dangerousByTable(s.acquired).size > 0 && timeoutDisabled(s.observation.lockTimeout));
  const first = offenders[0];
  if (!first?.statement) return undefined;
  const locks = [...dangerousByTable(first.acquired)].map(([t, m]) => `${aLock(m)} on ${t}`);
  const others = [...new Set(offenders.slice(1).map((s) => s.outcome.line))];
  return finding(
    'missing-lock-timeout', 'warning', file, first.statement,
    `Takes ${list(locks)} with lock_timeout = 0: if a long query holds the table, this statement waits forever ` +
      `and every query on the table queues behind it.` +
      (others.length ? ` ${plural(others.length, 'more statement')} in this file ${others.length === 1 ? 'does' : 'do'} the same (${lineList(others)}).` : ''),
    observationEvidence(first.observation, first.acquired),
    {
      title: 'Set lock_timeout before the first locking statement',
      sql: `SET lock_timeout = '5s';\n${first.statement.text};`,
      replacesStatement: true,
      steps: ['Retry the migration when it times out, rather than waiting behind long queries.'],
    },
    { object: 'file' },
  );
}

function foreignKeysWithoutIndex(input: TraceInput): HazardFinding[] {
  const status = new Map(input.outcomes.map((o) => [o.index, o]));
  const out: HazardFinding[] = [];
  for (const { fk, indexes } of unindexedForeignKeys(input.statements, input.catalogBefore)) {
    const outcome = status.get(fk.statement.index);
    if (outcome && outcome.status !== 'ok') continue;
    const cols = fk.columns.join(', ');
    const create = `CREATE INDEX${fk.newTable ? '' : ' CONCURRENTLY'} ${indexName(fk)} ON ${fk.table} (${cols});`;
    const evidence = [
      `no index on ${fk.table} starts with (${cols})`,
      indexes.length ? `indexes on ${fk.table}: ${indexes.map((i) => `${i.name ? `${i.name} ` : ''}(${i.columns.join(', ')})`).join(', ')}` : `${fk.table} has no index`,
      outcome?.observation ? observationEvidence(outcome.observation, (outcome.observation as { acquired?: never[] }).acquired ?? []) : undefined,
    ].filter(Boolean).join('; ');
    out.push(finding(
      'foreign-key-without-index', 'warning', input.file, fk.statement,
      `Foreign key${fk.name ? ` ${fk.name}` : ''} ${fk.table} (${cols}) → ${fk.references} has no index on its referencing ` +
        `columns: every DELETE or key UPDATE on ${fk.references} scans ${fk.table} to check for references, and joins on the key cannot use an index.`,
      evidence,
      {
        title: `Index ${fk.table} (${cols})`,
        sql: create,
        steps: fk.newTable
          ? [`${fk.table} is created in this migration (empty), so a plain CREATE INDEX in the same migration is fine.`]
          : [`Run ${create} in a migration without a transaction block (CONCURRENTLY cannot run inside one).`],
      },
      { object: `${fk.table}(${cols})` },
    ));
  }
  return out;
}


