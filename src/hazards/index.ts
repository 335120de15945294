// From every stage's findings to the review's: silenced ones out (ignore directives, rules turned off),
// one finding per hazard (merge.ts), the config's severities, info in safety-assured blocks (assured.ts),
// fingerprints of hazards (identity.ts),
// similar statements as one finding (group.ts), in report order.
import type { PgproConfig } from '../config/schema.js';
import { compareFindings, severityRank } from '../finding.js';
import { partitionIgnored } from '../sql/ignores.js';
import type { Finding, ParsedFile, ParsedStatement, Severity } from '../types.js';
import { softenAssured } from './assured.js';
import { groupSimilar } from './group.js';
import { assignFingerprints, statementAt } from './identity.js';
import { mergeHazards } from './merge.js';
import { publicFinding, type HazardFinding } from './types.js';

export { mergeHazards, sqlstateOf, type MergeContext } from './merge.js';
export { assignFingerprints, statementAt, statementSubject } from './identity.js';
export { groupSimilar } from './group.js';
export { STATEMENT_RELATIONS } from './relations.js';
export type { HazardFinding, HazardInfo } from './types.js';

/** The ids whose findings the config cannot change: a file that does not run cannot be waived. */
const FIXED_SEVERITY = new Set(['syntax-error', 'apply-error', 'review-incomplete']);

export interface SettleInput {
  files: readonly ParsedFile[];
  config: PgproConfig;
}

export function settleFindings(findings: readonly HazardFinding[], input: SettleInput): Finding[] {
  const byFile = new Map(input.files.map((f) => [f.file, f]));
  const statementsOf = (file: string): readonly ParsedStatement[] | undefined => byFile.get(file)?.statements;
  const { kept, silenced } = partitionIgnored([...findings], [...input.files]);
  const off = (f: Finding) => input.config.rules[f.rule] === 'off' && !FIXED_SEVERITY.has(f.rule) && f.rule !== 'not-reviewed';
  const merged = mergeHazards(
    kept.filter((f) => !off(f)),
    { statementsOf, silenced: [...silenced, ...(kept.filter(off) as HazardFinding[])] },
  );
  const ranged = merged.map((f) => softenAssured(applySeverity(spanReplacedStatement(f, statementsOf), input.config), byFile.get(f.file)));
  const grouped = groupSimilar(assignFingerprints(ranged, statementsOf), statementsOf);
  return grouped.map(publicFinding).sort(compareFindings);
}

/**
 * Config `rules` sets the severity of any id, from any stage. A finding that holds others takes its own
 * id's setting, raised by the settings of the ids it absorbed (a team that made `lock-access-exclusive` an
 * error still gets an error when that lock is part of another finding). A merged apply failure stays an error.
 */
function applySeverity(finding: HazardFinding, config: PgproConfig): HazardFinding {
  if (FIXED_SEVERITY.has(finding.rule) || finding.merged?.includes('apply-error')) return finding;
  const own = config.rules[finding.rule];
  let severity: Severity = own && own !== 'off' ? own : finding.severity;
  for (const id of finding.merged ?? []) {
    const setting = config.rules[id];
    if (id !== finding.rule && setting && setting !== 'off' && severityRank(setting) > severityRank(severity)) severity = setting;
  }
  return severity === finding.severity ? finding : { ...finding, severity };
}

/**
 * A fix that replaces its statement replaces the statement's lines: the finding spans them, so that a
 * suggestion (and --fix) covers exactly the lines it rewrites, not only the line a rule pointed at.
 */
function spanReplacedStatement(finding: HazardFinding, statementsOf: (file: string) => readonly ParsedStatement[] | undefined): HazardFinding {
  if (!finding.fix?.replacesStatement) return finding;
  const statement = statementAt(statementsOf(finding.file), finding.line);
  if (!statement || (statement.line === finding.line && statement.endLine === finding.endLine)) return finding;
  return { ...finding, line: statement.line, endLine: statement.endLine };
}
