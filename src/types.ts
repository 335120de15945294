// Shared data types of the pgpro pipeline. The Finding and the JSON result are a public contract
// (see docs/architecture.md): add optional fields, never change or remove existing ones.

export type Severity = 'error' | 'warning' | 'info';
export type Source = 'parse' | 'apply' | 'lint' | 'trace' | 'explain' | 'agent';
export type Conclusion = 'success' | 'neutral' | 'failure';

export interface Fix {
  title: string;
  /** SQL that replaces the statement (lines `line`..`endLine` of the finding) when it is a direct replacement. */
  sql?: string;
  steps?: string[];
  /** True when `sql` is a drop-in replacement of the statement's lines (a GitHub suggestion block). */
  replacesStatement?: boolean;
  /** True only when `proof` verified the fix (src/proof): the only way a fix is shown as verified. */
  verified?: boolean;
  /** The outcome of the fix proof, when one ran: why the fix is (not) offered as a drop-in replacement. */
  proof?: FixProof;
}

/**
 * Why a fix proof ended as it did (src/proof). `verified` is the only passing reason; `budget` and
 * `unavailable` say the proof did not run to the end (time budget, an engine without snapshots).
 */
export type FixProofReason =
  | 'verified'
  | 'unparsable'
  | 'unchanged'
  | 'not-a-statement'
  | 'not-in-place'
  | 'does-not-apply'
  | 'breaks-later-statement'
  | 'hazard-remains'
  | 'new-finding'
  | 'schema-differs'
  | 'data-differs'
  | 'data-not-exercised'
  | 'original-not-applied'
  | 'budget'
  | 'unavailable';

export interface FixProof {
  verified: boolean;
  reason: FixProofReason;
  /** What was seen: the error, the new rule ids, the schema or data that differs. */
  detail?: string;
  /** The SQL the proof refuted, withdrawn from `fix.sql` so that it is not shown. */
  sql?: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  source: Source;
  /** Repo-relative POSIX path. */
  file: string;
  /** 1-based, first line of the statement or node. */
  line: number;
  endLine: number;
  message: string;
  fix?: Fix;
  evidence?: string;
  /** Stable across pushes and unique in a review: rule + file + the hazard's object (table, column, index…). */
  fingerprint: string;
  /** Agent findings: 0..1. */
  confidence?: number;
  /**
   * Set when this finding stands for the same hazard on several statements of its file: each statement's
   * lines and fingerprint, this finding's own first. New / fixed / still open is told per occurrence.
   */
  occurrences?: { line: number; endLine: number; fingerprint: string }[];
}

/** A directory-like view of files: a git tree, a local folder, or an in-memory map. */
export interface FileTree {
  /** Stable identity of the tree's content when known (git tree sha), used as a cache key. */
  id?: string;
  /** Every file path in the tree, repo-relative POSIX. */
  paths: readonly string[];
  /** Contents of a file, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
}

export type Convention =
  | 'plain'
  | 'prisma'
  | 'diesel'
  | 'golang-migrate'
  | 'flyway'
  | 'dbmate'
  | 'supabase'
  | 'sqlx'
  | 'sqitch';

export interface MigrationFile {
  /** Repo-relative POSIX path of the file holding the up SQL. */
  path: string;
  convention: Convention;
  /** The version or ordering key as the tool sees it (e.g. '20240101120000', '1.2.3', '0001'). */
  version: string;
  name: string;
  kind: 'versioned' | 'repeatable' | 'undo';
  /** The SQL that runs on "up" (for dbmate, only the up section). */
  sql: string;
  /** Number of file lines before `sql` starts (dbmate sections); add it to a line inside `sql`. */
  lineOffset: number;
  /** Whether the tool runs the whole file in one transaction. */
  inTransaction: boolean;
  /** Why: the tool's behaviour and how this file opts in or out. */
  transactionReason: string;
  down?: { path: string; sql: string; lineOffset: number };
  /**
   * Set on the edit of a migration the base branch already has (and production already ran): that
   * version's up SQL. The base version is replayed as history; of this file only the statements the
   * edit adds or changes are applied, after the history, as the change (src/change/split.ts).
   */
  applied?: { sql: string };
}

export interface ParsedStatement {
  /** 0-based index within the file. */
  index: number;
  /** Exact source text of the statement, without the trailing semicolon. */
  text: string;
  /** 1-based lines in the file (lineOffset already applied). */
  line: number;
  endLine: number;
  /** The libpg-query node of the statement, e.g. `{ CreateStmt: {...} }`. */
  ast: Record<string, unknown>;
  /** Node type name, e.g. 'CreateStmt', 'IndexStmt', 'AlterTableStmt'. */
  kind: string;
  /** Rule ids ignored for this statement by a `-- pgpro-ignore` directive. */
  ignores: string[];
  /** Rows of a `COPY … FROM stdin` block that follows this statement, if any. */
  copyData?: string;
}

export interface IgnoreDirective {
  line: number;
  rules: string[];
  scope: 'statement' | 'file';
  /** A `-- squawk-ignore` directive, its squawk rule names read as pgpro ids. */
  from?: 'squawk';
}

export interface ParsedFile {
  file: string;
  statements: ParsedStatement[];
  /** Rule ids ignored for the whole file. */
  fileIgnores: string[];
  directives: IgnoreDirective[];
  /** diesel-guard's `-- safety-assured:start` / `:end` blocks, by the markers' lines (src/hazards/assured.ts). */
  assured?: { start: number; end: number }[];
  /** 'syntax-error' findings. When present, `statements` holds what parsed before the error. */
  errors: Finding[];
}

export type LockMode =
  | 'AccessShareLock'
  | 'RowShareLock'
  | 'RowExclusiveLock'
  | 'ShareUpdateExclusiveLock'
  | 'ShareLock'
  | 'ShareRowExclusiveLock'
  | 'ExclusiveLock'
  | 'AccessExclusiveLock';

/** What one statement was seen doing to relations that existed before the migration. */
export interface StatementObservation {
  /** Locks this backend holds on pre-existing relations right after the statement. */
  locks: { relation: string; kind: 'table' | 'index' | 'sequence' | 'view' | 'other'; mode: LockMode }[];
  /** Pre-existing relations whose relfilenode changed (rewritten). */
  rewrites: string[];
  /** Pre-existing tables scanned sequentially by the statement. */
  scans: { relation: string; seqScans: number; rowsRead: number }[];
  /** Human-readable catalog changes: 'column orders.note added', 'constraint x added (not validated)'. */
  changes: string[];
  lockTimeout: string;
  statementTimeout: string;
  /** Whether the statement ran inside an open transaction block. */
  inTransaction: boolean;
}

export interface StatementOutcome {
  index: number;
  line: number;
  endLine: number;
  status: 'ok' | 'error' | 'not-run';
  durationMs: number;
  error?: ApplyError;
  observation?: StatementObservation;
  /**
   * The statement failed on the sandbox's synthetic rows (this error) and applied on the same state
   * without them (the rows of `cleared` removed): it fails only if production has rows like those.
   */
  failedOnSyntheticRows?: ApplyError & { cleared: string[] };
}

/** A Postgres error as the server reports it, whichever engine (PGlite worker, server) ran the SQL. */
export interface ServerErrorFields {
  message: string;
  sqlstate?: string;
  detail?: string;
  hint?: string;
  /** The error's own fields, when the server names what failed (23xxx and most catalog errors). */
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

export interface ApplyError extends ServerErrorFields {
  /** 1-based line in the file. */
  line: number;
}

export type MigrationRunStatus = 'applied' | 'failed' | 'skipped' | 'not-run';

/**
 * Why a migration was not applied and observed (status `skipped` or `not-run`):
 * - `earlier-migration-failed`: a new migration before it failed (its own apply-error or syntax-error)
 * - `review-deadline`, `cancelled`: the review ran out of time or was superseded
 * - `sandbox-stopped`: the sandbox stopped (a limit, a dead instance) before it
 * - `sandbox-failed`: the sandbox could not continue (an internal error)
 * - `missing-extension`: it needs an extension the sandbox does not have
 * - `missing-object`: it uses an object neither the history nor the setup creates, which could not be inferred
 * - `max-files`, `max-statements`, `file-too-large`: over limits.max-files, max-statements-per-file, max-file-bytes
 * - `not-utf8`, `unreadable`: the file is not UTF-8 text, or could not be read
 */
export type NotReviewedReason =
  | 'earlier-migration-failed'
  | 'review-deadline'
  | 'cancelled'
  | 'sandbox-stopped'
  | 'sandbox-failed'
  | 'missing-extension'
  | 'missing-object'
  | 'max-files'
  | 'max-statements'
  | 'file-too-large'
  | 'not-utf8'
  | 'unreadable';

export interface MigrationStatus {
  file: string;
  status: MigrationRunStatus;
  statements: number;
  durationMs: number;
  error?: { message: string; line: number; sqlstate?: string };
  /** Why a `skipped` or `not-run` migration was not applied. */
  reason?: { code: NotReviewedReason; message: string };
  /**
   * The edit of a migration the base branch already applied: `statements` are those the edit adds or
   * changes, applied after the history (which holds the base's version under the same file name).
   */
  edit?: true;
}

export interface CatalogColumn {
  name: string;
  type: string;
  notNull: boolean;
  default?: string;
}

export interface CatalogTable {
  schema: string;
  name: string;
  /** A partitioned table (relkind 'p'): its indexes cannot be built CONCURRENTLY. */
  partitioned?: boolean;
  estimatedRows: number;
  columns: CatalogColumn[];
  indexes: { name: string; definition: string; unique: boolean; primary: boolean; columns: string[]; valid: boolean }[];
  constraints: {
    name: string;
    type: 'p' | 'f' | 'u' | 'c' | 'x' | 'n';
    definition: string;
    validated: boolean;
    columns: string[];
    /** Foreign keys: the referenced table as schema.name. */
    references?: string;
  }[];
}

/** The schema as it was before the change (after the history replay). */
export interface CatalogSnapshot {
  /**
   * 'static': read from the migration files' DDL alone (`pgpro lint`), not from a database. Objects made
   * elsewhere (setup SQL, extensions, dynamic SQL) are missing from it: a miss means unknown, not absent.
   */
  origin?: 'static';
  tables: CatalogTable[];
  functions: { schema: string; name: string; volatility: 'i' | 's' | 'v' }[];
  extensions: string[];
  enums: { schema: string; name: string; values: string[] }[];
}

export interface AgentUsage {
  /** Input tokens not read from or written to the prompt cache. */
  inputTokens: number;
  outputTokens: number;
  cached: boolean;
  toolCalls: number;
  /** Prompt-cache reads and writes, apart from `inputTokens` (the uncached input). */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export interface ReviewStats {
  migrationsTotal: number;
  migrationsNew: number;
  /** Statements replayed and reviewed: the history's and the new migrations'. */
  statements: number;
  /** Statements of the new migrations alone. */
  newStatements?: number;
  durationMs: number;
  stages: Record<string, number>;
  engine?: { name: 'pglite' | 'postgres'; version: string };
  agent?: AgentUsage;
  [key: string]: unknown;
}

export interface ReviewResult {
  version: 1;
  conclusion: Conclusion;
  migrations: MigrationStatus[];
  /**
   * The new migrations that were not applied and observed, with why. Any of them keeps the conclusion
   * from `success`: no verdict without a review.
   */
  notReviewed?: { file: string; status: 'skipped' | 'not-run'; reason: NotReviewedReason; message: string }[];
  /** `-- pgpro-ignore-file` directives of the new migrations: rules waived for a whole file. */
  waivers?: { file: string; line: number; rules: string[] }[];
  findings: Finding[];
  notes: string[];
  stats: ReviewStats;
  /** Not part of the JSON contract: file contents of the new migrations, for reporters that show statements. */
  sources?: Record<string, string>;
}

export type ProgressEvent =
  | { stage: string; message: string; done?: number; total?: number };

/** What a review looks at: the head tree, optionally the base tree, and which paths changed. */
export interface ChangeSet {
  head: FileTree;
  /** The base branch's tree; its migrations are the history replayed before the new ones. */
  base?: FileTree;
  /**
   * Paths that differ between base and head (added or modified). Without it: with a base, every head
   * migration absent from or different in the base is new; with no base, every migration is new.
   */
  changed?: readonly string[];
  /**
   * Unified-diff hunks per changed path (GitHub's `patch` of a pull request file), when known. The
   * Claude review reads the files that are not migrations to judge deploy ordering.
   */
  patches?: Readonly<Record<string, string>>;
}

/** Anything that runs SQL: a PGlite instance, a pg client wrapper, the sandbox worker proxy. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
}
