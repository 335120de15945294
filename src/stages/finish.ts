// Stage 7: the merge step (ignore directives, one finding per hazard, the severity policy, fingerprints
// of hazards) and the result: statuses, stats and the conclusion.
import { conclude, fingerprint } from '../finding.js';
import { settleFindings } from '../hazards/index.js';
import type { AgentResult } from '../agent/index.js';
import type { Finding, MigrationFile, ReviewResult, ReviewStats } from '../types.js';
import { syntheticDataNote } from '../synthetic/index.js';
import { markInferred } from './infer.js';
import { proofBudget, statementCount, statusOf, timed, type ReviewState } from './state.js';
import { proveReviewFixes } from './verify-fix.js';

export { conclude };

/** The findings as the review reports them: every stage's, merged per hazard. */
export function settledFindings(state: ReviewState): Finding[] {
  return settleFindings(state.findings, { files: state.freshParsed.map((i) => i.parsed), config: state.config });
}

/** The settled findings' own fixes (rules, trace, EXPLAIN) proven before any is shown or offered. */
async function proveFixes(state: ReviewState, findings: Finding[]): Promise<void> {
  try {
    if (!findings.some((f) => f.fix?.sql && !f.fix.proof)) return;
    await timed(state, 'proof', () => proveReviewFixes(findings, state.prover, { budgetMs: proofBudget(state), signal: state.stop.signal }));
  } finally {
    await state.prover?.close();
    budgetNote(state, findings);
  }
}

/** Fixes left unproven for want of time are said once, not only in each fix's title. */
function budgetNote(state: ReviewState, findings: readonly Finding[]): void {
  const unproven = findings.filter((f) => f.fix?.proof?.reason === 'budget');
  if (unproven.length === 0) return;
  const where = unproven.slice(0, 5).map((f) => `${f.file}:${f.line}`).join(', ') + (unproven.length > 5 ? ', …' : '');
  state.notes.push(
    `Fix proof: ${unproven.length} ${unproven.length === 1 ? 'fix was' : 'fixes were'} not proven within limits.fix-proof-seconds, the review deadline or a sandbox time limit (${where}); ${unproven.length === 1 ? 'it is' : 'they are'} shown as text, not as a verified replacement.`,
  );
}

export async function finishStage(state: ReviewState, agent: AgentResult | undefined): Promise<ReviewResult> {
  const { config } = state;
  const notReviewed = notReviewedMigrations(state);
  // Those the review's own stop left out already have their review-incomplete error (stop.ts).
  state.findings.push(...notReviewedFindings(notReviewed.filter((m) => !state.unreviewed.has(m.file)), state.extensionGaps));
  const final = markInferred(state, settledFindings(state));
  await proveFixes(state, final);
  const migrations = [
    ...state.history.map((m) => state.historyStatuses.get(m.path) ?? statusOf(m, 'not-run', 0, 0)),
    ...state.reviewable.map((i) => {
      const status = state.statuses.get(i.migration.path) ?? statusOf(i.migration, 'not-run', i.parsed.statements.length, 0);
      return i.migration.applied ? { ...status, edit: true as const } : status;
    }),
    ...state.skipped,
  ];
  const historyCounts = new Map(state.known?.manifest.history.map((e) => [e.path, e.statements]));
  const stats: ReviewStats = {
    migrationsTotal: state.history.length + state.fresh.length + state.skipped.length,
    migrationsNew: state.reviewable.length + state.skipped.length,
    statements: [...state.historyParsed, ...state.reviewable].reduce(
      (n, i) => n + (historyCounts.get(i.migration.path) ?? statementCount(i)),
      0,
    ),
    // The pull request's own statements (the figure a reader compares with its new migrations).
    newStatements: state.reviewable.reduce((n, i) => n + i.parsed.statements.length, 0),
    durationMs: Math.round(state.now() - state.started),
    stages: state.stages,
    ...(state.engine ? { engine: state.engine } : {}),
    // Token use only when Claude was asked (or answered from the cache); a skipped agent used nothing.
    ...(agent?.usage && (agent.usage.inputTokens > 0 || agent.usage.cached) ? { agent: agent.usage } : {}),
  };
  if (state.fresh.length === 0 && state.skipped.length === 0) state.notes.push('No new migrations to review.');
  const dataNote = syntheticDataNote(state.syntheticNotes);
  if (dataNote) state.notes.push(dataNote);
  return {
    version: 1,
    conclusion: conclude(final, config['fail-on'], notReviewed.length),
    migrations,
    notReviewed,
    waivers: state.freshParsed.flatMap((i) =>
      i.parsed.directives.filter((d) => d.scope === 'file').map((d) => ({ file: i.migration.path, line: d.line, rules: d.rules })),
    ),
    findings: final,
    notes: state.notes,
    stats,
    sources: Object.fromEntries(state.freshParsed.map((i) => [i.migration.path, sourceOf(i.migration)])),
  };
}

/** The whole file as the author sees it, for reporters that quote statements by file line. */
function sourceOf(migration: MigrationFile): string {
  return '\n'.repeat(migration.lineOffset) + migration.sql;
}

type NotReviewed = NonNullable<ReviewResult['notReviewed']>[number];

/** Where a not-reviewed finding goes: the first statement not run in a partly applied file, else line 1. */
function gapLine(m: NotReviewed, gaps: ReviewState['extensionGaps']): number {
  return (m.reason === 'missing-extension' ? gaps.find((g) => g.file === m.file)?.line : undefined) ?? 1;
}

/** The new migrations that were not applied and observed, in apply order, with why. */
function notReviewedMigrations(state: ReviewState): NotReviewed[] {
  const statuses = [...state.reviewable.map((i) => state.statuses.get(i.migration.path)), ...state.skipped];
  const left = statuses.flatMap((s): NotReviewed[] =>
    s && (s.status === 'skipped' || s.status === 'not-run')
      ? [{ file: s.file, status: s.status, reason: s.reason?.code ?? 'sandbox-failed', message: s.reason?.message ?? 'it was not applied' }]
      : [],
  );
  // Applied files whose statements needing a missing extension did not run: reviewed only in part.
  const gaps = new Map<string, ReviewState['extensionGaps']>();
  for (const gap of state.extensionGaps) gaps.set(gap.file, [...(gaps.get(gap.file) ?? []), gap]);
  for (const [file, list] of gaps) {
    if (left.some((m) => m.file === file)) continue;
    const lines = list.map((g) => g.line).join(', ');
    left.push({
      file,
      status: 'not-run',
      reason: 'missing-extension',
      message: `${list.length === 1 ? 'the statement at line' : 'the statements at lines'} ${lines} need${list.length === 1 ? 's' : ''} the extension ${list[0]!.extension}, which the sandbox does not have; the rest of the file was applied`,
    });
  }
  return left;
}

/**
 * A finding per migration left out of the review, so that no one mistakes lint alone for a review.
 * Those after a failed migration are not: its apply-error or syntax-error already says they did not run.
 */
function notReviewedFindings(notReviewed: readonly NotReviewed[], gapsOf: ReviewState['extensionGaps'] = []): Finding[] {
  return notReviewed
    .filter((m) => m.reason !== 'earlier-migration-failed')
    .map((m) => ({
      rule: 'not-reviewed',
      severity: 'warning' as const,
      source: 'apply' as const,
      file: m.file,
      line: gapLine(m, gapsOf),
      endLine: gapLine(m, gapsOf),
      message: `Not reviewed: ${m.message}. pgpro did not apply this migration, so its locks, rewrites and failures are unknown; only the static rules looked at it.`,
      fingerprint: fingerprint('not-reviewed', m.file, m.reason),
    }));
}
