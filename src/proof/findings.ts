// Which findings of the fixed file are the fix's doing. The comparison is by rule: a finding the
// original statement also had (or file-level advice the original file also had) does not block a fix,
// since the fix did not cause it; a finding on a statement the fix did not touch blocks it only if that
// statement did not have it before.
import type { PgproConfig } from '../config/schema.js';
import { atLeast, severityRank } from '../finding.js';
import { rules as lintRules } from '../rules/index.js';
import { STATEMENT_RELATIONS, TIMEOUT_ADVICE } from '../hazards/relations.js';
import type { HazardFinding } from '../hazards/types.js';
import { TRACE_RULES } from '../trace/findings.js';
import type { Finding, Severity } from '../types.js';

/** Rules whose finding speaks for a whole file or lock window: where it points moves with other statements. */
export const FILE_LEVEL_RULES: ReadonlySet<string> = new Set([
  TIMEOUT_ADVICE.lint,
  TRACE_RULES.missingLockTimeout,
  TRACE_RULES.lockHeldAcrossStatements,
  'statement-after-access-exclusive-lock',
  'transaction-nesting',
  'ban-uncommitted-transaction',
]);

/** Rules the proof re-runs (lint, trace, the apply itself): only for these can "the hazard is gone" be checked. */
const CHECKED_RULES: ReadonlySet<string> = new Set([
  ...lintRules.map((r) => r.meta.id),
  ...Object.values(TRACE_RULES),
  'apply-error',
  'syntax-error',
]);

export function ruleIsRechecked(rule: string): boolean {
  return CHECKED_RULES.has(rule);
}

/** The trace rules a lint rule absorbs when both see one hazard (their ids vanish into its evidence). */
const ABSORBED = new Map(STATEMENT_RELATIONS.map((r) => [r.keep, r.confirmedBy]));

/** The rule ids a finding speaks for: its own, and those the merge step folded into it. */
function idsOf(finding: Finding): readonly string[] {
  return (finding as HazardFinding).merged ?? [finding.rule];
}

/** Config `rules` as the review applies it: a rule turned off never blocks, a changed severity counts. */
export function withPolicy(findings: readonly Finding[], config: PgproConfig): Finding[] {
  const out: Finding[] = [];
  for (const finding of findings) {
    const setting = config.rules[finding.rule];
    if (setting === 'off') continue;
    out.push(setting ? { ...finding, severity: setting } : finding);
  }
  return out;
}

export interface Span {
  line: number;
  endLine: number;
}

function overlaps(f: Span, span: Span): boolean {
  return f.line <= span.endLine && span.line <= f.endLine;
}

function strongestByRule(findings: readonly Finding[]): Map<string, Severity> {
  const out = new Map<string, Severity>();
  const note = (rule: string, severity: Severity) => {
    const current = out.get(rule);
    if (!current || severityRank(severity) > severityRank(current)) out.set(rule, severity);
  };
  for (const f of findings) {
    for (const id of idsOf(f)) note(id, f.severity);
    for (const absorbed of ABSORBED.get(f.rule) ?? []) note(absorbed, f.severity);
  }
  return out;
}

export interface FindingComparison {
  /** The hazard's rule still fires where the fix is (or anywhere, for file-level advice). */
  hazardRemains: Finding[];
  /** Warnings and errors the fix brought. */
  added: Finding[];
}

/**
 * `original` and `fixed` are the findings of the same file before and after the replacement;
 * `replaced` spans the original lines, `replacement` the new ones, and lines after them moved by `delta`.
 */
export function compareFindings(input: {
  rule: string;
  original: readonly Finding[];
  fixed: readonly Finding[];
  replaced: Span;
  replacement: Span;
  delta: number;
}): FindingComparison {
  const { rule, replaced, replacement, delta } = input;
  const serious = (f: Finding) => atLeast(f.severity, 'warning');
  const onReplaced = strongestByRule(input.original.filter((f) => overlaps(f, replaced)));
  const anywhere = strongestByRule(input.original);
  const fileLevel = FILE_LEVEL_RULES.has(rule);

  const hazardRemains = input.fixed.filter(
    (f) => idsOf(f).includes(rule) && serious(f) && (fileLevel || overlaps(f, replacement)),
  );
  const added: Finding[] = [];
  for (const f of input.fixed) {
    if (!serious(f)) continue;
    if (idsOf(f).includes(rule) && (fileLevel || overlaps(f, replacement))) continue; // judged as hazardRemains
    const had = (severity: Severity | undefined) => severity !== undefined && severityRank(severity) >= severityRank(f.severity);
    if (FILE_LEVEL_RULES.has(f.rule) && had(anywhere.get(f.rule))) continue;
    if (overlaps(f, replacement)) {
      if (had(onReplaced.get(f.rule))) continue;
    } else {
      // The same statement before the fix: before the replacement it kept its lines, after it they moved.
      const before = f.line < replacement.line ? { line: f.line, endLine: f.endLine } : { line: f.line - delta, endLine: f.endLine - delta };
      const same = input.original.filter((o) => o.line === before.line && !overlaps(o, replaced));
      if (had(strongestByRule(same).get(f.rule))) continue;
    }
    added.push(f);
  }
  return { hazardRemains, added };
}

/** One of several fixes applied together: its rule, the original lines it replaces, and where its lines are in the combined file. */
export interface CombinedPart {
  rule: string;
  replaced: Span;
  /** In the combined file's lines. */
  replacement: Span;
  /** Lines it adds (or removes, when negative). */
  delta: number;
}

/**
 * The fixes applied together in one file (`parts`, in file order, none of them for file-level advice)
 * that the combined run does not clear: each part whose hazard remains on its lines, and for a finding
 * the original did not have, every part that may have brought it (the part on its lines and those
 * before it; all of them for file-level advice). An empty set clears them all: nothing new, no hazard left.
 */
export function combinedSuspects(input: { parts: readonly CombinedPart[]; original: readonly Finding[]; fixed: readonly Finding[] }): Set<number> {
  const { parts } = input;
  const serious = (f: Finding) => atLeast(f.severity, 'warning');
  const anywhere = strongestByRule(input.original);
  const onReplaced = parts.map((p) => strongestByRule(input.original.filter((f) => overlaps(f, p.replaced))));
  const suspects = new Set<number>();
  const upTo = (line: number) => parts.forEach((p, i) => p.replacement.line <= line && suspects.add(i));
  for (const f of input.fixed) {
    if (!serious(f)) continue;
    const at = parts.findIndex((p) => overlaps(f, p.replacement));
    const had = (severity: Severity | undefined) => severity !== undefined && severityRank(severity) >= severityRank(f.severity);
    if (at >= 0 && idsOf(f).includes(parts[at]!.rule)) {
      suspects.add(at); // the hazard remains
      continue;
    }
    if (FILE_LEVEL_RULES.has(f.rule)) {
      if (had(anywhere.get(f.rule))) continue;
      parts.forEach((_, i) => suspects.add(i));
      continue;
    }
    if (at >= 0) {
      if (had(onReplaced[at]!.get(f.rule))) continue;
      upTo(f.line);
      continue;
    }
    // An untouched statement: where it was before the replacements above it moved it.
    const shift = parts.reduce((n, p) => (p.replacement.endLine < f.line ? n + p.delta : n), 0);
    const before = f.line - shift;
    const same = input.original.filter((o) => o.line === before && !parts.some((p) => overlaps(o, p.replaced)));
    if (had(strongestByRule(same).get(f.rule))) continue;
    const earlier = parts.some((p) => p.replacement.line <= f.line);
    if (earlier) upTo(f.line);
    else parts.forEach((_, i) => suspects.add(i));
  }
  return suspects;
}
