// Fingerprints identify a hazard, not the text of its statement: rule + file + the hazard's object
// (the table, column, index or constraint the statement works on, or what the finding names), so that
// editing a statement whose hazard remains (another type, a default, a reworded comment) keeps its
// fingerprint, and two hazards never share one.
import { hash as digest } from 'node:crypto';
import { normalizeStatement } from '../finding.js';
import { nameList, relationKey, stringValue } from '../rules/lib/ast.js';
import { unwrapNode } from '../rules/lib/walk.js';
import type { ParsedStatement } from '../types.js';
import type { HazardFinding } from './types.js';

type AnyNode = Record<string, any>;

function hash(parts: string[]): string {
  return digest('sha256', parts.join('\0')).slice(0, 16);
}

function alterCommand(cmd: AnyNode): string {
  const def = cmd.def ?? {};
  const target =
    cmd.name ??
    def.ColumnDef?.colname ??
    def.Constraint?.conname ??
    (def.Constraint ? `${String(def.Constraint.contype)}(${nameList(def.Constraint.keys ?? def.Constraint.fk_attrs).join(',')})` : '');
  return `${cmd.subtype}:${String(target).toLowerCase()}`;
}

/**
 * The objects a statement works on, as text: its kind, relation and, per subcommand, the column,
 * constraint or index it names. Types, defaults, expressions and formatting are left out.
 */
export function statementSubject(statement: ParsedStatement): string {
  const wrapped = unwrapNode(statement.ast);
  if (!wrapped) return `${statement.kind}:${normalizeStatement(statement.text)}`;
  const node = wrapped.node as AnyNode;
  switch (wrapped.type) {
    case 'AlterTableStmt':
      return `alter ${relationKey(node.relation)} ${(node.cmds ?? []).map((c: AnyNode) => (c.AlterTableCmd ? alterCommand(c.AlterTableCmd) : '')).join(' ')}`;
    case 'IndexStmt': {
      const columns = (node.indexParams ?? []).map((p: AnyNode) => p.IndexElem?.name ?? 'expr').join(',');
      return `index ${relationKey(node.relation)} ${String(node.idxname ?? columns).toLowerCase()}`;
    }
    case 'CreateStmt':
      return `create ${relationKey(node.relation)}`;
    case 'CreateTableAsStmt':
      return `create ${relationKey(node.into?.rel)}`;
    case 'DropStmt':
      return `drop ${node.removeType} ${(node.objects ?? []).map((o: AnyNode) => (o.List ? nameList(o.List.items) : [stringValue(o) ?? '']).join('.')).join(',').toLowerCase()}`;
    case 'RenameStmt':
      return `rename ${node.renameType} ${node.relation ? relationKey(node.relation) : ''} ${String(node.subname ?? '').toLowerCase()}→${String(node.newname ?? '').toLowerCase()}`;
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'InsertStmt': {
      // DML: the table and the statement text (two backfills of one table are two hazards).
      return `${wrapped.type} ${relationKey(node.relation)} ${normalizeStatement(statement.text)}`;
    }
    default:
      return `${wrapped.type}:${normalizeStatement(statement.text)}`;
  }
}

/** The statement of a file that holds a line. */
export function statementAt(statements: readonly ParsedStatement[] | undefined, line: number): ParsedStatement | undefined {
  return statements?.find((s) => s.line <= line && line <= s.endLine);
}

/** Advice that speaks for the whole file: one per file, wherever its first statement is. */
const FILE_LEVEL = new Set(['require-timeout-settings', 'missing-lock-timeout']);

/**
 * Gives each finding bound to a statement a fingerprint of its hazard, then makes them unique: findings
 * that still collide (one rule, twice on one statement) are told apart by their message without
 * numbers, then by order.
 */
export function assignFingerprints(findings: HazardFinding[], statementsOf: (file: string) => readonly ParsedStatement[] | undefined): HazardFinding[] {
  const out = findings.map((finding) => {
    const fileLevel = FILE_LEVEL.has(finding.rule) || finding.hazard?.object === 'file';
    const statement = statementAt(statementsOf(finding.file), finding.line);
    if (!statement && !fileLevel) return finding;
    const subject = fileLevel ? 'file' : `${statementSubject(statement!)}|${finding.hazard?.object ?? ''}`;
    return { ...finding, fingerprint: hash([finding.rule, finding.file, subject]) };
  });
  const byFingerprint = new Map<string, HazardFinding[]>();
  for (const finding of out) byFingerprint.set(finding.fingerprint, [...(byFingerprint.get(finding.fingerprint) ?? []), finding]);
  for (const [fp, same] of byFingerprint) {
    if (same.length < 2) continue;
    const seen = new Map<string, number>();
    for (const finding of same) {
      const wording = finding.message.replace(/[\d,.]+/g, '#');
      const n = seen.get(wording) ?? 0;
      seen.set(wording, n + 1);
      finding.fingerprint = hash([fp, wording, String(n)]);
    }
  }
  return out;
}
