// pgpro's side of the corpus: the whole history replayed by review(), and the last N migrations
// reviewed one at a time as pull requests.
import type { PgproConfig } from '../../src/config/schema.js';
import { review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { FileTree, MigrationFile, ReviewResult } from '../../src/types.js';
import type { FileResult, PrReview } from './results.js';
import { ownedPaths, pullRequestTrees, subtree } from './tree.js';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function fileResults(result: ReviewResult): FileResult[] {
  return result.migrations.map((m) => ({
    file: m.file,
    status: m.status,
    ...(m.error ? { error: { message: m.error.message, line: m.error.line, ...(m.error.sqlstate ? { sqlstate: m.error.sqlstate } : {}) } } : {}),
    durationMs: m.durationMs,
  }));
}

/**
 * The whole directory as the base branch of a change that adds nothing: review() replays every file
 * as history (the path every pull request review takes) and reports each file's status. No cache.
 */
export async function replayHistory(tree: FileTree, config: PgproConfig): Promise<{ files: FileResult[]; notes: string[]; wallMs: number; failure?: string }> {
  const t0 = performance.now();
  try {
    const result = await review({ head: tree, base: tree }, { config, agent: 'off' });
    return { files: fileResults(result), notes: result.notes, wallMs: Math.round(performance.now() - t0) };
  } catch (error) {
    return { files: [], notes: [], wallMs: Math.round(performance.now() - t0), failure: messageOf(error) };
  }
}

/**
 * The last `count` migrations, each reviewed as the pull request that adds it to the history before
 * it. One snapshot cache per history: the first review replays the history, later ones restore it
 * and replay the one file the previous review added. Repeatable migrations (Flyway R__) are left out:
 * today's version of a view or function refers to today's schema, not to the schema at that point.
 */
export async function reviewLastAsPullRequests(
  tree: FileTree,
  ordered: readonly MigrationFile[],
  config: PgproConfig,
  count: number,
  onReview?: (review: PrReview, done: number, total: number) => void,
  full = false,
): Promise<PrReview[]> {
  const cache = new SnapshotCache();
  const versioned = ordered.filter((m) => m.kind === 'versioned');
  const repeatable = new Set(ordered.filter((m) => m.kind === 'repeatable').flatMap((m) => ownedPaths(m, tree.paths)));
  const withoutRepeatable = subtree(tree, (p) => !repeatable.has(p));
  const first = Math.max(0, versioned.length - count);
  const reviews: PrReview[] = [];
  for (let index = first; index < versioned.length; index++) {
    const migration = versioned[index]!;
    const { base, head, changed } = pullRequestTrees(withoutRepeatable, versioned, index);
    const t0 = performance.now();
    let entry: PrReview;
    try {
      const result = await review({ head, base, changed }, { config, agent: 'off' }, { snapshotCache: cache });
      const status = result.migrations.find((m) => m.file === migration.path);
      const restored = result.notes.map((n) => /^Restored (\d+) history migrations/.exec(n)?.[1]).find(Boolean);
      entry = {
        file: migration.path,
        wallMs: Math.round(performance.now() - t0),
        conclusion: result.conclusion,
        ...(status ? { status: status.status } : {}),
        ...(status?.error ? { error: { message: status.error.message, line: status.error.line, ...(status.error.sqlstate ? { sqlstate: status.error.sqlstate } : {}) } } : {}),
        restored: restored ? Number(restored) : 0,
        historyNotApplied: result.migrations.filter((m) => m.file !== migration.path && m.status !== 'applied').length,
        findings: result.findings.map((f) => ({
          rule: f.rule, severity: f.severity, source: f.source, line: f.line, message: f.message.slice(0, 200),
          ...(f.fix?.proof ? { fixProof: { reason: f.fix.proof.reason, ...(f.fix.proof.detail ? { detail: f.fix.proof.detail.slice(0, 200) } : {}) } } : {}),
          ...(full ? { full: {
            message: f.message,
            ...(f.evidence ? { evidence: f.evidence } : {}),
            ...(f.fix ? { fix: { title: f.fix.title, ...(f.fix.sql ? { sql: f.fix.sql } : {}), ...(f.fix.steps ? { steps: f.fix.steps } : {}), ...(f.fix.verified ? { verified: true } : {}) } } : {}),
          } } : {}),
        })),
        notes: result.notes,
      };
    } catch (error) {
      entry = { file: migration.path, wallMs: Math.round(performance.now() - t0), restored: 0, historyNotApplied: 0, findings: [], notes: [], failure: messageOf(error) };
    }
    reviews.push(entry);
    onReview?.(entry, reviews.length, versioned.length - first);
  }
  return reviews;
}
