// The merge step: one finding per hazard and statement (or lock window, or file for file-level advice).
// Every stage reports what it sees; this is the one place that decides which findings say the same
// thing (src/hazards/relations.ts) and folds them together, the keeper holding the others' evidence.
import { severityRank } from '../finding.js';
import type { Finding, ParsedStatement, Severity } from '../types.js';
import { statementAt } from './identity.js';
import {
  BLOCKING_OBSERVED,
  describesLock,
  LOCK_ONLY_RULES,
  LOCK_TIME_ESTIMATE,
  LOCK_WINDOW,
  STATEMENT_RELATIONS,
  TIMEOUT_ADVICE,
  TIMEOUT_BRIEF,
  TIMEOUT_STEP,
  type StatementRelation,
} from './relations.js';
import type { HazardFinding } from './types.js';

export interface MergeContext {
  statementsOf(file: string): readonly ParsedStatement[] | undefined;
  /**
   * Findings an ignore directive or the config silenced. What they would have absorbed goes with them:
   * ignoring `changing-column-type` on a statement also silences the rewrite the trace saw there.
   */
  silenced?: readonly HazardFinding[];
}

const RELATIONS = new Map<string, StatementRelation>(STATEMENT_RELATIONS.map((r) => [r.keep, r]));

function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

function joinEvidence(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => Boolean(p && p.trim()));
  return kept.length ? kept.join('\n') : undefined;
}

function howKnown(finding: Finding): string {
  if (finding.source === 'trace' || finding.source === 'apply') return 'observed in the sandbox';
  if (finding.source === 'explain') return 'planned by EXPLAIN on synthetic rows';
  return `reported by ${finding.source}`;
}

function asEvidence(finding: Finding): string {
  return `${howKnown(finding)} (${finding.rule}): ${finding.message}${finding.evidence ? `\n${finding.evidence}` : ''}`;
}

function mergedIds(...findings: HazardFinding[]): string[] {
  return [...new Set(findings.flatMap((f) => f.merged ?? [f.rule]))];
}

export function sqlstateOf(finding: Finding): string | undefined {
  return /SQLSTATE ([0-9A-Z]{5})/.exec(`${finding.message}\n${finding.evidence ?? ''}`)?.[1];
}

/** Failures a rule's prediction absorbs: the apply error, and the failure only synthetic rows caused. */
const FAILURE_RULES = ['apply-error', 'fails-on-existing-rows'];

/** The apply error, said as what the sandbox saw of the rule's prediction. */
function failureSentence(failure: Finding): string {
  if (failure.rule !== 'apply-error') {
    const code = sqlstateOf(failure);
    return (
      `On the sandbox's synthetic rows it failed${code ? ` (SQLSTATE ${code})` : ''} and applied once they were removed: ` +
      'it fails if production has rows like them.'
    );
  }
  const error = /fails here: (.*?)(?: \(SQLSTATE [0-9A-Z]{5}\))?\.(?: |$)/.exec(failure.message)?.[1] ?? failure.message;
  const code = sqlstateOf(failure);
  const synthetic = /synthetic rows/.test(failure.message) ? ', on the synthetic rows pgpro put in the existing tables' : '';
  return (
    `This fails on a non-empty table: observed in the sandbox (${error}${code ? `, SQLSTATE ${code}` : ''}${synthetic}). ` +
    'Later statements and migrations did not run.'
  );
}

export function mergeHazards(input: readonly HazardFinding[], context: MergeContext): HazardFinding[] {
  const findings = input.map((f) => ({ ...f }));
  const gone = new Set<HazardFinding>();
  const statementKey = (f: Finding): string => {
    const statement = statementAt(context.statementsOf(f.file), f.line);
    return `${f.file}\0${statement ? `s${statement.index}` : `l${f.line}`}`;
  };
  const byStatement = new Map<string, HazardFinding[]>();
  for (const f of findings) byStatement.set(statementKey(f), [...(byStatement.get(statementKey(f)) ?? []), f]);
  const onStatementOf = (f: Finding) => (byStatement.get(statementKey(f)) ?? []).filter((x) => x !== f && !gone.has(x));
  const inFile = (file: string) => findings.filter((x) => x.file === file && !gone.has(x));

  silencedTakeTheirOwn(context.silenced ?? [], { onStatementOf, inFile, gone });
  // An observation may confirm two rules on one statement: the second still sees what the first absorbed.
  const silencedGone = new Set(gone);
  const confirmersOf = (f: Finding) => (byStatement.get(statementKey(f)) ?? []).filter((x) => x !== f && !silencedGone.has(x));
  mergeStatementRelations(findings, confirmersOf, gone);
  mergeTimeoutAdvice(findings, inFile, gone);
  mergeLockWindows(findings, inFile, context, gone);
  foldIntoHosts(findings, onStatementOf, gone);
  return findings.filter((f) => !gone.has(f));
}

interface Lookups {
  onStatementOf: (f: Finding) => HazardFinding[];
  inFile: (file: string) => HazardFinding[];
  gone: Set<HazardFinding>;
}

function silencedTakeTheirOwn(silenced: readonly HazardFinding[], { onStatementOf, inFile, gone }: Lookups): void {
  for (const s of silenced) {
    const relation = RELATIONS.get(s.rule);
    if (relation) {
      for (const f of onStatementOf(s)) {
        if (relation.confirmedBy.includes(f.rule) || relation.refuted?.by.includes(f.rule)) gone.add(f);
      }
    }
    if (s.rule === TIMEOUT_ADVICE.lint) for (const f of inFile(s.file)) if (f.rule === TIMEOUT_ADVICE.trace) gone.add(f);
    if (s.rule === LOCK_WINDOW.keep && s.hazard?.window) {
      for (const f of inFile(s.file)) {
        if ((LOCK_WINDOW.absorbs as readonly string[]).includes(f.rule) && s.hazard.window.includes(f.line)) gone.add(f);
      }
    }
  }
}

function mergeStatementRelations(findings: HazardFinding[], onStatementOf: (f: Finding) => HazardFinding[], gone: Set<HazardFinding>): void {
  const confirmedBy = new Map<HazardFinding, HazardFinding[]>();
  for (const keeper of findings) {
    if (gone.has(keeper)) continue;
    const relation = RELATIONS.get(keeper.rule);
    if (!relation) continue;
    const near = onStatementOf(keeper);
    const confirming = near.filter((f) => relation.confirmedBy.includes(f.rule));
    const failed = near.filter((f) => FAILURE_RULES.includes(f.rule) && relation.predicts?.includes(sqlstateOf(f) ?? ''));
    if (confirming.length || failed.length) {
      // A trace finding may confirm two rules on one statement: it is dropped once both have its evidence.
      for (const f of [...confirming, ...failed]) {
        gone.add(f);
        confirmedBy.set(f, [...(confirmedBy.get(f) ?? []), keeper]);
      }
      const failure = failed[0];
      Object.assign(keeper, {
        severity: failure?.rule === 'apply-error' ? 'error' : keeper.severity,
        message: failure ? `${keeper.message} ${failureSentence(failure)}` : keeper.message,
        evidence: joinEvidence(keeper.evidence, ...confirming.map(asEvidence), ...failed.map(asEvidence)),
        merged: mergedIds(keeper, ...confirming, ...failed),
        ...(keeper.fix || !(confirming[0]?.fix ?? failure?.fix) ? {} : { fix: confirming[0]?.fix ?? failure?.fix }),
      });
      continue;
    }
    const refuting = relation.refuted ? near.filter((f) => relation.refuted!.by.includes(f.rule)) : [];
    if (relation.refuted && refuting.length) {
      refuting.forEach((f) => gone.add(f));
      Object.assign(keeper, {
        severity: 'info',
        message: `${keeper.message} Observed in the sandbox: ${relation.refuted.observed}.`,
        evidence: joinEvidence(keeper.evidence, ...refuting.map((f) => `observed in the sandbox: ${f.evidence ?? f.message}`)),
        merged: mergedIds(keeper, ...refuting),
      });
    }
  }
  // Two rules confirmed by the same observation on one statement name one hazard: the first keeps the other.
  for (const keepers of confirmedBy.values()) {
    const live = [...new Set(keepers)].filter((k) => !gone.has(k));
    if (live.length < 2) continue;
    live.sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
    const [first, ...rest] = live;
    for (const other of rest) {
      gone.add(other);
      Object.assign(first!, {
        evidence: joinEvidence(first!.evidence, `also reported as ${other.rule}: ${other.message}`),
        merged: mergedIds(first!, other),
      });
    }
  }
}

function mergeTimeoutAdvice(
  findings: HazardFinding[],
  inFile: (file: string) => HazardFinding[],
  gone: Set<HazardFinding>,
): void {
  // Lock-only notes of locks taken with lock_timeout = 0 say what the advice says: "it queues; bound the wait".
  const waitsUnbounded = (f: Finding) => LOCK_ONLY_RULES.includes(f.rule) && /\block_timeout 0\b/.test(f.evidence ?? '');
  const absorbLockOnly = (advice: HazardFinding) => {
    const lockOnly = inFile(advice.file).filter(waitsUnbounded);
    if (lockOnly.length === 0) return;
    lockOnly.forEach((f) => gone.add(f));
    Object.assign(advice, {
      evidence: joinEvidence(advice.evidence, ...lockOnly.map((f) => `observed in the sandbox at line ${f.line}: ${f.evidence ?? f.message}`)),
      merged: mergedIds(advice, ...lockOnly),
    });
  };
  for (const advice of findings.filter((f) => f.rule === TIMEOUT_ADVICE.lint)) {
    if (gone.has(advice)) continue;
    const file = inFile(advice.file);
    const observed = file.filter((f) => f.rule === TIMEOUT_ADVICE.trace);
    if (observed.length) {
      observed.forEach((f) => gone.add(f));
      Object.assign(advice, {
        evidence: joinEvidence(advice.evidence, ...observed.map(asEvidence)),
        merged: mergedIds(advice, ...observed),
      });
      absorbLockOnly(advice);
      continue;
    }
    const blocking = file.filter((f) => (BLOCKING_OBSERVED as readonly string[]).includes(f.rule));
    if (blocking.length) {
      Object.assign(advice, {
        severity: 'info',
        message: `${advice.message} Observed in the sandbox: blocking locks were taken with a lock_timeout in effect.`,
        evidence: joinEvidence(advice.evidence, ...blocking.map((f) => `observed in the sandbox: ${f.evidence ?? f.message}`)),
      });
    }
  }
  // Without the static rule, the trace's own advice speaks for the file.
  for (const advice of findings.filter((f) => f.rule === TIMEOUT_ADVICE.trace)) if (!gone.has(advice)) absorbLockOnly(advice);
}

function mergeLockWindows(findings: HazardFinding[], inFile: (file: string) => HazardFinding[], context: MergeContext, gone: Set<HazardFinding>): void {
  for (const held of findings.filter((f) => f.rule === LOCK_WINDOW.keep && f.hazard?.window)) {
    if (gone.has(held)) continue;
    const window = new Set(held.hazard!.window);
    const statements = context.statementsOf(held.file);
    const tables = new Set((held.hazard!.object ?? '').split(','));
    const inWindow = inFile(held.file).filter((f) => {
      if (!window.has(statementAt(statements, f.line)?.line ?? f.line)) return false;
      if ((LOCK_WINDOW.absorbs as readonly string[]).includes(f.rule)) return true;
      // "held briefly" is not true inside a window: the window's finding says how long it is held.
      return LOCK_ONLY_RULES.includes(f.rule) && (f.hazard?.object ?? '').split(',').every((t) => tables.has(t));
    });
    if (inWindow.length === 0) continue;
    inWindow.forEach((f) => gone.add(f));
    Object.assign(held, {
      evidence: joinEvidence(held.evidence, ...inWindow.map((f) => `also reported as ${f.rule} at line ${f.line}: ${f.message}`)),
      merged: mergedIds(held, ...inWindow),
    });
  }
}

const isTimeoutAdvice = (rule: string) => rule === TIMEOUT_ADVICE.lint || rule === TIMEOUT_ADVICE.trace;

/**
 * A lock window, the file's lock_timeout advice, and the lock's estimated time at production size, on a
 * statement that already has an error or a warning: the same lock, so one finding, which says it in one
 * more sentence (and takes the guest's severity when that is higher: a lock time past the threshold).
 */
function foldIntoHosts(findings: HazardFinding[], onStatementOf: (f: Finding) => HazardFinding[], gone: Set<HazardFinding>): void {
  const foldable = [
    ...findings.filter((f) => f.rule === LOCK_WINDOW.keep),
    ...findings.filter((f) => isTimeoutAdvice(f.rule) && f.severity !== 'info'),
    // How long the lock is held at production size: a sentence of the finding about that lock.
    ...findings.filter((f) => f.rule === LOCK_TIME_ESTIMATE),
  ];
  for (const guest of foldable) {
    if (gone.has(guest)) continue;
    // A window the trace saw cost only moments (a note) is evidence of any finding about the lock, the
    // timeout advice included: it adds no sentence.
    const quiet = guest.rule === LOCK_WINDOW.keep && guest.severity === 'info';
    const hosts = onStatementOf(guest).filter(
      (f) =>
        describesLock(f) &&
        f.severity !== 'info' &&
        (quiet || !isTimeoutAdvice(f.rule)) &&
        (guest.rule !== LOCK_WINDOW.keep || f.rule !== LOCK_WINDOW.keep),
    );
    if (hosts.length === 0) continue;
    if (quiet) {
      const host = hosts[0]!;
      gone.add(guest);
      Object.assign(host, { evidence: joinEvidence(host.evidence, asEvidence(guest)), merged: mergedIds(host, guest) });
      continue;
    }
    // The worst finding on the statement hosts; a lock window hosts the timeout advice before others do.
    hosts.sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        Number(b.rule === LOCK_WINDOW.keep) - Number(a.rule === LOCK_WINDOW.keep),
    );
    const host = hosts[0]!;
    const timeout = isTimeoutAdvice(guest.rule);
    const brief = timeout ? TIMEOUT_BRIEF : (guest.hazard?.brief ?? guest.message);
    const step = timeout ? TIMEOUT_STEP : guest.fix ? `${guest.fix.title}: ${(guest.fix.steps ?? []).join(' ')}`.trim() : undefined;
    gone.add(guest);
    Object.assign(host, {
      severity: maxSeverity(host.severity, guest.severity),
      message: `${host.message} ${brief}`,
      evidence: joinEvidence(host.evidence, asEvidence(guest)),
      merged: mergedIds(host, guest),
      ...(host.fix
        ? step
          ? { fix: { ...host.fix, steps: [...(host.fix.steps ?? []), step] } }
          : {}
        : guest.fix
          ? { fix: guest.fix }
          : {}),
    });
  }
}
