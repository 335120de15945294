// The state one review carries from stage to stage. review() creates it, each stage module reads what
// earlier stages left and adds its own part; nothing else keeps review-wide mutable state.
import type { PgproConfig } from '../config/schema.js';
import type { Sandbox, SandboxOptions, MigrationRun } from '../sandbox/index.js';
import { SandboxTimeBudget } from '../sandbox/limits.js';
import type { SandboxPool } from '../sandbox/pool.js';
import type { ParseCache } from '../sql/parse-cache.js';
import type { SnapshotCache } from '../sandbox/snapshot-cache.js';
import type {
  CatalogSnapshot,
  ChangeSet,
  Finding,
  MigrationFile,
  MigrationStatus,
  NotReviewedReason,
  ParsedFile,
  ProgressEvent,
  ReviewStats,
} from '../types.js';
import type { ExplainedQuery } from '../explain/index.js';
import type { AppliedFile, FileStarts, FixProver, SandboxPool as ProofSandboxes } from '../proof/index.js';
import type { AgentStageDeps } from './agent.js';
import type { ExplainPrepared } from './explain.js';
import type { Inferred } from './infer.js';
import type { KnownHistory } from './known-history.js';
import type { SeededDocument } from './seeded.js';
import type { Filled } from './filled.js';

export interface ReviewOptions {
  config: PgproConfig;
  /** 'force': run the agent even when automatic runs have it off (the `/pgpro review` command). */
  agent?: 'auto' | 'force' | 'off';
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface ReviewDeps extends AgentStageDeps {
  createSandbox?: (options: SandboxOptions) => Promise<Sandbox>;
  snapshotCache?: SnapshotCache;
  /** Parses of history files kept between reviews (the CLI's, on disk). */
  parseCache?: ParseCache;
  /** A long-running process's sandboxes restored ahead of time, per recently seen base. */
  sandboxPool?: SandboxPool;
  /**
   * Open the fix proofs' sandbox at the fix point as soon as it is taken (a small one: a plain
   * snapshot), in a thread of its own while the review goes on, rather than restore the review's own
   * sandbox once the review is done with it; a review with no history and no setup opens it at the same
   * moment as its own sandbox (proof-twin.ts). For a short-lived process with a core to spare (the CLI):
   * it costs a second instance's memory meanwhile, and its start when no fix needs a proof.
   */
  proofSandboxAhead?: boolean;
  now?: () => number;
}

/** A migration with its parse. */
export interface ReviewedMigration {
  migration: MigrationFile;
  parsed: ParsedFile;
  /** `parsed.statements.length`, when known without decoding `parsed` (a history file from the parse cache's pack). */
  statementCount?: number;
  /** A new migration's down file, parsed with it: the data stage and the reversibility check both read it. */
  parsedDown?: ParsedFile;
}

/** How many statements a migration has, without decoding a history parse kept in a pack. */
export function statementCount(item: ReviewedMigration): number {
  return item.statementCount ?? item.parsed.statements.length;
}

export interface SetupScript {
  name: string;
  sql: string;
  /** A schema dump (sandbox.schema): loaded tolerantly, statement by statement, in place of the history. */
  dump?: boolean;
}

export interface ReviewState {
  readonly change: ChangeSet;
  readonly config: PgproConfig;
  readonly options: ReviewOptions;
  readonly deps: ReviewDeps;
  readonly now: () => number;
  readonly started: number;
  /** When the review must stop applying (limits.review-timeout-seconds). */
  readonly deadline: number;
  readonly notes: string[];
  /** What the synthetic fills could not do, per table: one note in the result (finish stage). */
  readonly syntheticNotes: string[];
  readonly findings: Finding[];
  /** Milliseconds per stage name, summed over repeated calls. */
  readonly stages: Record<string, number>;

  // discover
  setup: SetupScript[];
  /** The snapshot cache, when the engine supports snapshots. */
  snapshotCache: SnapshotCache | undefined;
  /** Cache key of the base tree's history manifest, when the change names its base tree. */
  historyKey: string | undefined;
  /** The base history restored from the cache without reading its files. */
  known: KnownHistory | undefined;
  /** Cache key of the snapshot of the whole history (replayed or restored), when there is one. */
  historySnapshot: string | undefined;
  /** Set when the sandbox was restored with its synthetic rows (stages/seeded.ts): catalog and seeding come from it. */
  seeded: SeededDocument | undefined;
  /** Set when the sandbox was restored with this change's fill made too (stages/filled.ts): the data stage only plans. */
  filled: Filled | undefined;
  /** Cache writes that run while the review goes on; review() waits for them before it returns. */
  background: Promise<unknown>[];
  history: MigrationFile[];
  /** New migrations within limits.max-files. */
  fresh: MigrationFile[];
  /** New migrations that could not be loaded as they are but can still be linted (not UTF-8). */
  unloaded: MigrationFile[];

  // parse
  historyParsed: ReviewedMigration[];
  freshParsed: ReviewedMigration[];
  /** New migrations that will be applied (within the statement limit). */
  reviewable: ReviewedMigration[];
  /** New migrations left out by a limit. */
  skipped: MigrationStatus[];
  /** Parsed new migrations over limits.max-statements-per-file: linted, not applied. */
  overLimit: ReviewedMigration[];

  // sandbox and apply
  /** Extensions the setup and the history create. */
  historyExtensions: string[];
  sandboxOptions: SandboxOptions | undefined;
  sandbox: Sandbox | undefined;
  engine: ReviewStats['engine'];
  /** New migrations' statuses, by path. */
  statuses: Map<string, MigrationStatus>;
  /** History migrations' statuses, by path (an edited history file is in both maps). */
  historyStatuses: Map<string, MigrationStatus>;
  runs: Map<string, MigrationRun>;
  /** New migrations' statements not run for want of an extension the sandbox lacks. */
  extensionGaps: { file: string; line: number; extension: string; message: string }[];
  catalogBefore: CatalogSnapshot | undefined;
  catalogAfter: CatalogSnapshot | undefined;
  explainPrepared: ExplainPrepared | undefined;
  /** The configured queries' plans after the new migrations (EXPLAIN stage). */
  plansAfter: ExplainedQuery[] | undefined;
  /** Proves proposed fixes from the snapshot taken after the synthetic fill (src/proof). */
  prover: FixProver | undefined;
  /**
   * The relations that exist at the fix point (oids), read once for the proofs: the review's own apply
   * counts the same ones as pre-existing rather than read the catalog again for them.
   */
  preexisting: ReadonlySet<number> | undefined;
  /** Aborted at the review deadline or when the caller cancels: stops every sandbox of the review at once. */
  readonly stop: AbortController;
  /** Sandbox time all of the review's sandboxes share (limits.sandbox-seconds). */
  readonly sandboxBudget: SandboxTimeBudget;
  /** New migrations the review could not apply and observe, not by their own fault: where and why. */
  readonly unreviewed: Map<string, { line: number; reason: string }>;
  /** Objects neither the history nor the setup creates, stubbed before the apply (src/stages/infer.ts). */
  inferred: Inferred | undefined;
  /** Snapshot of the sandbox after the synthetic fill, before the new migrations (fix proofs, rehearsals). */
  fixPoint: Uint8Array | undefined;
  /**
   * One sandbox the fix proofs and the rehearsals share, restored to each piece of work's starting state
   * (the review's own sandbox once it is done with it), and the states before each new migration made in it.
   */
  reuse: { pool: ProofSandboxes; starts: FileStarts } | undefined;
  /**
   * The fix proofs' sandbox opened beside the review's own, when that one started from nothing
   * (src/stages/proof-twin.ts); cleared once the fix point takes it or closes it.
   */
  proofTwin: Promise<Sandbox | undefined> | undefined;
  /** The review's sandbox was handed to `reuse` (or closed): its state is no longer the change's. */
  sandboxLent: boolean;
  /** Each new migration as the apply ran it, with the schema and rows right after it: the fix proofs' reference. */
  applied: Map<string, AppliedFile>;
  /** When the proofs' shared time (limits.fix-proof-seconds) ends: set by the first proof. */
  proofDeadline: number | undefined;
}

export function createReviewState(change: ChangeSet, options: ReviewOptions, deps: ReviewDeps): ReviewState {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  return {
    change,
    config: options.config,
    options,
    deps,
    now,
    started,
    deadline: started + options.config.limits['review-timeout-seconds'] * 1000,
    notes: [],
    syntheticNotes: [],
    findings: [],
    stages: {},
    setup: [],
    snapshotCache: undefined,
    historyKey: undefined,
    known: undefined,
    historySnapshot: undefined,
    seeded: undefined,
    filled: undefined,
    background: [],
    history: [],
    fresh: [],
    unloaded: [],
    historyParsed: [],
    freshParsed: [],
    reviewable: [],
    skipped: [],
    overLimit: [],
    historyExtensions: [],
    sandboxOptions: undefined,
    sandbox: undefined,
    engine: undefined,
    statuses: new Map(),
    historyStatuses: new Map(),
    runs: new Map(),
    extensionGaps: [],
    catalogBefore: undefined,
    catalogAfter: undefined,
    explainPrepared: undefined,
    plansAfter: undefined,
    prover: undefined,
    preexisting: undefined,
    stop: new AbortController(),
    sandboxBudget: new SandboxTimeBudget(options.config.limits['sandbox-seconds'] * 1000),
    unreviewed: new Map(),
    inferred: undefined,
    fixPoint: undefined,
    reuse: undefined,
    proofTwin: undefined,
    sandboxLent: false,
    applied: new Map(),
    proofDeadline: undefined,
  };
}

export function progress(state: ReviewState, stage: string, message: string, done?: number, total?: number): void {
  state.options.onProgress?.({ stage, message, done, total });
}

/** Runs a stage's work, adding its time to `stats.stages[stage]`. */
export async function timed<T>(state: ReviewState, stage: string, work: () => Promise<T>): Promise<T> {
  const t0 = state.now();
  try {
    return await work();
  } finally {
    state.stages[stage] = Math.round((state.stages[stage] ?? 0) + state.now() - t0);
  }
}

/** The review deadline passed or the caller gave up on the review. */
export function outOfTime(state: ReviewState): boolean {
  return state.now() > state.deadline || state.options.signal?.aborted === true || state.stop.signal.aborted;
}

/** Milliseconds left of `budgetMs`, never past the review deadline. */
export function budgetLeft(state: ReviewState, budgetMs: number): number {
  return Math.min(budgetMs, Math.max(0, state.deadline - state.now()));
}

/** Time left for fix proofs: limits.fix-proof-seconds from the first proof on, shared by every stage that proves. */
export function proofBudget(state: ReviewState): number {
  state.proofDeadline ??= state.now() + state.config.limits['fix-proof-seconds'] * 1000;
  return Math.max(0, Math.min(state.proofDeadline, state.deadline) - state.now());
}

export function statusOf(m: MigrationFile, status: MigrationStatus['status'], statements: number, durationMs: number): MigrationStatus {
  return { file: m.path, status, statements, durationMs };
}

/** A migration that was not applied and observed, and why. */
export function notReviewedStatus(
  m: MigrationFile,
  status: 'skipped' | 'not-run',
  statements: number,
  code: NotReviewedReason,
  message: string,
): MigrationStatus {
  return { ...statusOf(m, status, statements, 0), reason: { code, message } };
}

/** A bad cache entry was deleted: the review rebuilds what it held and says so. */
export function cacheDiscardNote(state: ReviewState): (why: string) => void {
  return (why) => {
    const tail = 'pgpro rebuilt that state instead (replaying the history) and caches it again.';
    const seen = discarded.get(state);
    if (!seen || !state.notes[seen.at]?.startsWith('Snapshot cache: ')) {
      discarded.set(state, { count: 1, first: why, at: state.notes.push(`Snapshot cache: ${why}; ${tail}`) - 1 });
      return;
    }
    // One note per review, however many entries were bad (a cache from an older version holds several).
    seen.count += 1;
    state.notes[seen.at] = `Snapshot cache: ${seen.count} bad entries were deleted (the first: ${seen.first}); ${tail}`;
  };
}

/** Bad cache entries a review met: how many, the first one's reason, and where its note is. */
const discarded = new WeakMap<ReviewState, { count: number; first: string; at: number }>();

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
