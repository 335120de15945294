// Which statements to time at production size: those the apply observed rewriting or reading a whole
// table (or building an index on it) while holding a lock that blocks its writes or reads.
import { isDangerous, strongest } from '../trace/locks.js';
import type { CatalogSnapshot, LockMode, ParsedStatement, StatementOutcome } from '../types.js';
import type { Growth } from './fit.js';

export interface LockSubject {
  /** Position of the statement in its file. */
  at: number;
  statement: ParsedStatement;
  /** Tables (schema.name) the statement rewrites, scans or indexes under a blocking lock. */
  tables: string[];
  /** Those of them it rewrites. */
  rewrites: string[];
  /** The strongest lock it holds on them. */
  mode: LockMode;
  growth: Growth;
}

export function lockSubjects(statements: readonly ParsedStatement[], outcomes: readonly StatementOutcome[], catalogBefore: CatalogSnapshot | undefined): LockSubject[] {
  const tables = new Set(catalogBefore?.tables.map((t) => `${t.schema}.${t.name}`));
  const byIndex = new Map(outcomes.map((o) => [o.index, o]));
  const subjects: LockSubject[] = [];
  statements.forEach((statement, at) => {
    const outcome = byIndex.get(statement.index);
    const observed = outcome?.status === 'ok' ? outcome.observation : undefined;
    if (!observed) return;
    const locked = new Map<string, LockMode[]>();
    for (const lock of observed.locks) if (lock.kind === 'table' && isDangerous(lock.mode)) locked.set(lock.relation, [...(locked.get(lock.relation) ?? []), lock.mode]);
    const building = indexedTable(statement);
    const worked = new Set([...observed.rewrites, ...observed.scans.map((s) => s.relation), ...(building ? [building] : [])]);
    const touched = [...worked].filter((r) => tables.has(r) && locked.has(r));
    if (touched.length === 0) return;
    const mode = strongest(touched.flatMap((t) => locked.get(t)!))!;
    const rewrites = touched.filter((t) => observed.rewrites.includes(t));
    subjects.push({ at, statement, tables: touched, rewrites, mode, growth: buildsIndex(statement) ? 'n-log-n' : 'linear' });
  });
  return subjects;
}

function indexedTable(statement: ParsedStatement): string | undefined {
  const node = (statement.ast as { IndexStmt?: { relation?: { schemaname?: string; relname?: string }; concurrent?: boolean } }).IndexStmt;
  if (!node?.relation?.relname || node.concurrent) return undefined;
  return `${node.relation.schemaname ?? 'public'}.${node.relation.relname}`;
}

/** Index builds sort: n log n. Rewrites and scans read each row once: linear. */
function buildsIndex(statement: ParsedStatement): boolean {
  const ast = statement.ast as Record<string, unknown>;
  if ('IndexStmt' in ast || 'ClusterStmt' in ast) return true;
  if ('ReindexStmt' in ast) return true;
  const json = JSON.stringify(ast.AlterTableStmt ?? '');
  return /"contype":"CONSTR_(PRIMARY|UNIQUE|EXCLUSION)"/.test(json) && !/"indexname"/.test(json);
}
