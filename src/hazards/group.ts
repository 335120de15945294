// N similar statements of one migration with the same hazard (18 `ALTER COLUMN … TYPE timestamptz` in one
// file) are one finding that lists the lines, not N findings and N inline comments. Each statement keeps
// its own fingerprint in `occurrences`, so what is new, fixed or still open is still told per statement.
import { compareFindings } from '../finding.js';
import { lineList, plural } from '../text/grammar.js';
import type { ParsedStatement } from '../types.js';
import { statementAt } from './identity.js';
import type { HazardFinding } from './types.js';

/** Findings that stand alone whatever else the file holds: the run's failures and the model's claims. */
function groupable(finding: HazardFinding): boolean {
  return !['apply-error', 'syntax-error', 'unused-ignore'].includes(finding.rule) && !finding.rule.startsWith('agent/');
}

function firstSentence(message: string): string {
  const end = message.search(/[.:](\s|$)/);
  return end > 0 ? message.slice(0, end + 1) : message;
}

export function groupSimilar(findings: readonly HazardFinding[], statementsOf: (file: string) => readonly ParsedStatement[] | undefined): HazardFinding[] {
  const groups = new Map<string, HazardFinding[]>();
  const out: (HazardFinding | string)[] = [];
  for (const finding of [...findings].sort(compareFindings)) {
    if (!groupable(finding) || !statementAt(statementsOf(finding.file), finding.line)) {
      out.push(finding);
      continue;
    }
    const key = `${finding.file}\0${finding.rule}\0${finding.severity}`;
    const members = groups.get(key);
    if (members) members.push(finding);
    else {
      groups.set(key, [finding]);
      out.push(key);
    }
  }
  return out.map((item) => (typeof item === 'string' ? combine(groups.get(item)!) : item));
}

/** "The same finding applies to 2 more statements of this migration (lines 3 and 5)." */
function sameAgain(first: HazardFinding, others: HazardFinding[]): string {
  const elsewhere = others.filter((m) => m.line !== first.line);
  const here = others.length - elsewhere.length;
  const parts: string[] = [];
  if (here) parts.push(`${plural(here, 'more place')} in this statement`);
  if (elsewhere.length) {
    const statements = new Set(elsewhere.map((m) => m.line)).size;
    parts.push(`${plural(statements, 'more statement')} of this migration (${lineList(elsewhere.map((m) => m.line))})`);
  }
  return `The same finding applies to ${parts.join(' and ')}.`;
}

function combine(members: HazardFinding[]): HazardFinding {
  const [first, ...others] = members;
  if (others.length === 0) return first!;
  const otherLines = others.map((m) => m.line);
  const fix = first!.fix
    ? {
        ...first!.fix,
        // The SQL replaces the first statement only: shown, not offered as a one-click replacement.
        replacesStatement: undefined,
        steps: [...(first!.fix.steps ?? []), `Do the same at ${lineList(otherLines)}.`],
      }
    : undefined;
  if (fix && fix.replacesStatement === undefined) delete fix.replacesStatement;
  return {
    ...first!,
    message: `${first!.message} ${sameAgain(first!, others)}`,
    evidence: [first!.evidence, '', ...others.map((m) => `line ${m.line}: ${firstSentence(m.message)}`)].filter((p) => p !== undefined).join('\n').trim(),
    ...(fix ? { fix } : {}),
    merged: [...new Set(members.flatMap((m) => m.merged ?? [m.rule]))],
    occurrences: members.map((m) => ({ line: m.line, endLine: m.endLine, fingerprint: m.fingerprint })),
  };
}
