import type { PgproConfig } from './config/schema.js';
import { atLeast, compareFindings, fingerprint } from './finding.js';
import { splitChange } from './change/split.js';
import { loadMigrations } from './migrations/index.js';
import { parseMigrationSql, applyIgnores } from './sql/parse.js';
import { lintMigrations } from './rules/lib/lint.js';
import { sandboxFactory, engineSnapshots } from './sandbox/engine.js';
import { mergeEquivalent } from './stages/equivalent.js';
import { dataErrorFix } from './stages/data-errors.js';
import { checkDown, rememberSchema } from './stages/reversibility.js';
import { knownHistory, knownMigration, manifestKey, manifestOf, type KnownHistory } from './stages/known-history.js';
import { extensionsIn, prepareMigration, type Sandbox, type SandboxOptions, type PreparedMigration, type MigrationRun } from './sandbox/index.js';
import { historyPrefixHashes, type SnapshotCache } from './sandbox/snapshot-cache.js';
import { presetSetup } from './sandbox/presets.js';
import { traceFindings, mergeFindings } from './trace/index.js';
import { prepareData, finishExplain, type ExplainPrepared } from './stages/explain.js';
import { agentWillCall, runAgentStage, type AgentStageDeps } from './stages/agent.js';
import { fixVerifier } from './stages/verify-fix.js';
import type {
  CatalogSnapshot,
  ChangeSet,
  Conclusion,
  Finding,
  MigrationFile,
  MigrationStatus,
  ParsedFile,
  ProgressEvent,
  ReviewResult,
  ReviewStats,
  Severity,
} from './types.js';

/** The sandbox could not start (unreachable server, failing setup SQL): the review cannot run. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`The sandbox could not start: ${reason}`, options);
  }
}

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
  now?: () => number;
}

interface Reviewed {
  migration: MigrationFile;
  parsed: ParsedFile;
}

/** Computes a review of a change. Never writes anywhere: publishing is the adapters' job. */
export async function review(change: ChangeSet, options: ReviewOptions, deps: ReviewDeps = {}): Promise<ReviewResult> {
  const { config } = options;
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const stages: Record<string, number> = {};
  const notes: string[] = [];
  const findings: Finding[] = [];
  const progress = (stage: string, message: string, done?: number, total?: number) =>
    options.onProgress?.({ stage, message, done, total });
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const t0 = now();
    try {
      return await work();
    } finally {
      stages[stage] = Math.round((stages[stage] ?? 0) + now() - t0);
    }
  };
  const deadline = started + config.limits['review-timeout-seconds'] * 1000;
  const outOfTime = () => now() > deadline || options.signal?.aborted === true;

  // 1. discover
  progress('discover', 'Finding migrations');
  const discoverOptions = {
    convention: config.migrations.convention,
    globs: config.migrations.paths,
    order: config.migrations.order,
    maxFileBytes: config.limits['max-file-bytes'],
    assumeInTransaction: config['assume-in-transaction'],
  };
  const setup = await timed('setup', () => setupScripts(config, change));
  const snapshotCache = engineSnapshots(config) ? deps.snapshotCache : undefined;
  // The base tree's id names its history: with a manifest and snapshot cached under it, no history
  // file is read at all (on GitHub, none of its blobs is downloaded).
  const historyKey =
    snapshotCache && change.base?.id && change.changed ? manifestKey(change.base.id, discoverOptions, setup) : undefined;
  const known = historyKey ? await knownHistory(snapshotCache!, historyKey) : undefined;
  const historyCounts = new Map(known?.manifest.history.map((e) => [e.path, e.statements]));
  const { head, base } = await timed('discover', async () => {
    if (known) {
      const changed = new Set(change.changed);
      const headLoad = await loadMigrations(change.head, {
        ...discoverOptions,
        only: (c) => changed.has(c.path) || (c.downPath !== undefined && changed.has(c.downPath)),
      });
      notes.push(...headLoad.notes);
      const loaded = new Map(headLoad.migrations.map((m) => [m.path, m]));
      const history = new Map(known.manifest.history.map((e) => [e.path, knownMigration(e)]));
      return {
        head: headLoad.order.flatMap((path) => loaded.get(path) ?? history.get(path) ?? []),
        base: [...history.values()],
      };
    }
    const headLoad = await loadMigrations(change.head, discoverOptions);
    const baseLoad = change.base ? await loadMigrations(change.base, discoverOptions) : undefined;
    notes.push(...headLoad.notes);
    return { head: headLoad.migrations, base: baseLoad?.migrations };
  });
  const split = splitChange(head, base, change.changed);
  findings.push(...split.findings);
  let fresh = split.fresh.filter((m) => m.kind !== 'undo');
  const history = split.history;
  const skipped: MigrationStatus[] = [];
  const maxFiles = config.limits['max-files'];
  if (fresh.length > maxFiles) {
    notes.push(
      `Only the first ${maxFiles} of ${fresh.length} new migrations were reviewed (limits.max-files); the rest are marked skipped.`,
    );
    skipped.push(...fresh.slice(maxFiles).map((m) => statusOf(m, 'skipped', 0, 0)));
    fresh = fresh.slice(0, maxFiles);
  }

  // 2. parse
  progress('parse', `Parsing ${history.length + fresh.length} migrations`);
  const { freshParsed, historyParsed } = await timed('parse', async () => ({
    freshParsed: await Promise.all(fresh.map(async (m) => ({ migration: m, parsed: await parseFile(m) }))),
    historyParsed: await Promise.all(history.map(async (m) => ({ migration: m, parsed: await parseFile(m) }))),
  }));
  const maxStatements = config.limits['max-statements-per-file'];
  const reviewable: Reviewed[] = [];
  for (const item of freshParsed) {
    findings.push(...item.parsed.errors);
    if (item.parsed.statements.length > maxStatements) {
      notes.push(
        `${item.migration.path} has ${item.parsed.statements.length} statements, over limits.max-statements-per-file (${maxStatements}); it was not applied.`,
      );
      skipped.push(statusOf(item.migration, 'skipped', item.parsed.statements.length, 0));
      continue;
    }
    reviewable.push(item);
  }

  // 3. sandbox: history, then the new migrations traced statement by statement
  const openSandbox = deps.createSandbox ?? sandboxFactory(config, deps.env);
  const historyExtensions = known
    ? known.manifest.extensions
    : [...new Set([...setup.map((s) => s.sql), ...historyParsed.map((h) => h.migration.sql)].flatMap(extensionsIn))];
  const extensions = [...new Set([...historyExtensions, ...reviewable.flatMap((r) => extensionsIn(r.migration.sql))])];
  const statuses = new Map<string, MigrationStatus>();
  let catalogBefore: CatalogSnapshot | undefined;
  let catalogAfter: CatalogSnapshot | undefined;
  let sandbox: Sandbox | undefined;
  const runs = new Map<string, MigrationRun>();
  let engine: ReviewStats['engine'];
  const sandboxOptions: SandboxOptions = {
    statementTimeoutMs: config.sandbox['statement-timeout-seconds'] * 1000,
    memoryMb: config.sandbox['memory-mb'],
    extensions,
  };
  let verifyFix: ((finding: Finding) => Promise<boolean>) | undefined;
  try {
    sandbox = await timed('sandbox', async () => {
      progress('sandbox', 'Starting the sandbox');
      try {
        if (known) return await startFromKnown(openSandbox, sandboxOptions, known, notes, statuses);
        const started = await startFromCache(openSandbox, snapshotCache, sandboxOptions, setup, extensions, historyParsed, notes, statuses, progress);
        if (historyKey && started.historySnapshot) {
          const entries = historyParsed.map((h) => ({ migration: h.migration, statements: h.parsed.statements.length }));
          await snapshotCache!.setDocument(historyKey, manifestOf(started.historySnapshot, historyExtensions, entries));
        }
        return started.sandbox;
      } catch (error) {
        // Without a sandbox pgpro cannot do its main job: the caller must hear it, not a lint-only pass.
        throw new SandboxUnavailableError(messageOf(error), { cause: error });
      }
    });
    engine = sandbox.engine;
    catalogBefore = await timed('catalog', () => sandbox!.catalog());

    let prepared: ExplainPrepared | undefined;
    if (reviewable.length > 0) {
      progress('data', 'Adding synthetic rows to existing tables');
      prepared = await timed('data', () =>
        prepareData({
          db: sandbox!,
          config,
          head: change.head,
          fresh: reviewable,
          catalogBefore: catalogBefore!,
          budgetMs: Math.min(config.explain['time-budget-seconds'] * 1000, Math.max(0, deadline - now())),
        }),
      ).catch((error: unknown) => {
        notes.push(`Synthetic data could not be added, so scans and plans ran on empty tables: ${messageOf(error)}`);
        return undefined;
      });
      if (prepared) notes.push(...prepared.notes);
    }
    // The agent's proposed fixes are checked in a fresh sandbox from this point (history + seed rows).
    if (reviewable.length > 0 && engineSnapshots(config) && agentWillCall(config, options.agent ?? 'auto', deps.env)) {
      const tarball = await timed('snapshot', () => sandbox!.snapshot()).catch(() => undefined);
      if (tarball) {
        verifyFix = fixVerifier({
          config,
          open: () => openSandbox({ ...sandboxOptions, tarball }),
          fresh: reviewable,
          catalogBefore: catalogBefore!,
        });
      }
    }

    let stopped: string | undefined;
    await timed('apply', async () => {
      for (const [i, item] of reviewable.entries()) {
        if (stopped) {
          statuses.set(item.migration.path, statusOf(item.migration, 'not-run', item.parsed.statements.length, 0));
          continue;
        }
        if (outOfTime()) {
          stopped = 'the review deadline';
          notes.push(`The review deadline (limits.review-timeout-seconds) was reached: ${item.migration.path} and later migrations were not applied.`);
          statuses.set(item.migration.path, statusOf(item.migration, 'not-run', item.parsed.statements.length, 0));
          continue;
        }
        progress('apply', `Applying ${item.migration.path}`, i, reviewable.length);
        if (item.parsed.errors.length > 0) {
          const first = item.parsed.errors[0]!;
          statuses.set(item.migration.path, {
            ...statusOf(item.migration, 'failed', item.parsed.statements.length, 0),
            error: { message: first.message, line: first.line, sqlstate: '42601' },
          });
          stopped = item.migration.path;
          continue;
        }
        // Each migration starts in a fresh session, as its tool would run it: a SET in one file
        // (lock_timeout, search_path) must not leak into the next.
        await sandbox!.exec('RESET ALL');
        const schemaBefore = config.trace.enabled ? await rememberSchema(sandbox!, item.migration) : undefined;
        const run = await sandbox!.apply(prepare(item), { trace: config.trace.enabled });
        runs.set(item.migration.path, run);
        statuses.set(item.migration.path, run.status);
        if (run.missingExtension) {
          // Statements after the skipped CREATE EXTENSION fail for want of it (an unknown type, function):
          // the environment's gap, not the user's error, so the file is not-run rather than failed.
          const { error: _error, ...status } = run.status;
          statuses.set(item.migration.path, { ...status, status: 'not-run' });
          notes.push(
            `The extension "${run.missingExtension}" is not available in the ${sandbox!.engine.name === 'pglite' ? 'PGlite sandbox' : 'sandbox server'}, so ${item.migration.path} was not run from the statement that needs it on, nor were later migrations. ${sandbox!.engine.name === 'pglite' ? 'Point pgpro at a PostgreSQL server that has it (sandbox.engine: postgres).' : 'Install it on that server.'}`,
          );
          stopped = item.migration.path;
          continue;
        }
        findings.push(...applyErrorFindings(item, run));
        if (run.status.status === 'failed') stopped = item.migration.path;
        if (schemaBefore && run.status.status === 'applied' && !sandbox!.stopped) {
          const down = await timed('reversibility', () => checkDown(sandbox!, item.migration, item.parsed, schemaBefore));
          findings.push(...down.findings);
          notes.push(...down.notes);
        }
        if (!!sandbox!.stopped) {
          stopped = item.migration.path;
          notes.push(`The sandbox stopped while applying ${item.migration.path}; later migrations were not applied.`);
        }
      }
    });
    if (!sandbox.stopped) catalogAfter = await timed('catalog', () => sandbox!.catalog()).catch(() => undefined);

    // 4. rules and trace
    const lint = await timed('lint', async () =>
      lintMigrations(reviewable, { config, catalog: catalogBefore }),
    );
    const traced = await timed('trace', async () =>
      reviewable.flatMap((item) => {
        const run = runs.get(item.migration.path);
        if (!run || !catalogBefore) return [];
        return traceFindings({
          file: item.migration.path,
          statements: item.parsed.statements,
          outcomes: run.outcomes,
          inTransaction: item.migration.inTransaction,
          catalogBefore,
        });
      }),
    );
    findings.push(...mergeFindings(lint, traced));

    // 5. optional stages: a failure is a note, never the end of the review
    if (config.explain.enabled && prepared && !sandbox.stopped && catalogBefore && catalogAfter) {
      progress('explain', 'Checking query plans on synthetic data');
      await timed('explain', async () => {
        try {
          const result = await finishExplain({
            db: sandbox!,
            config,
            prepared: prepared!,
            // Plans of a migration that failed (and may have been rolled back) would judge a schema
            // that never existed.
            fresh: reviewable.filter((item) => statuses.get(item.migration.path)?.status === 'applied'),
            catalogBefore: catalogBefore!,
            catalogAfter: catalogAfter!,
            budgetMs: Math.min(config.explain['time-budget-seconds'] * 1000, Math.max(0, deadline - now())),
          });
          findings.push(...result.findings);
          notes.push(...result.notes);
        } catch (error) {
          notes.push(`EXPLAIN checks did not complete: ${messageOf(error)}`);
        }
      });
    }
  } catch (error) {
    if (error instanceof SandboxUnavailableError) {
      await sandbox?.close().catch(() => undefined);
      throw error;
    }
    notes.push(`The sandbox could not run: ${messageOf(error)}`);
    for (const item of reviewable) {
      if (!statuses.has(item.migration.path)) {
        statuses.set(item.migration.path, statusOf(item.migration, 'not-run', item.parsed.statements.length, 0));
      }
    }
    if (findings.every((f) => f.source !== 'lint')) {
      findings.push(...lintMigrations(reviewable, { config, catalog: catalogBefore }));
    }
  }

  // 6. the agent, grounded in everything above
  const agentStats = await timed('agent', () =>
    runAgentStage(
      { config, mode: options.agent ?? 'auto', migrations: reviewable, catalog: catalogBefore, findings, sandbox },
      { ...deps, ...(verifyFix && !deps.verifyFix ? { verifyFix } : {}) },
    ),
  ).catch((error: unknown) => {
    notes.push(`Claude review did not complete: ${messageOf(error)}`);
    return undefined;
  });
  if (agentStats) {
    findings.push(...agentStats.findings);
    notes.push(...agentStats.notes);
    // Model-written: shown as Claude's words, never as the verdict (the conclusion comes from findings).
    if (agentStats.summary?.trim()) notes.push(`Claude's overall assessment: ${agentStats.summary.trim()}`);
  }
  await sandbox?.close().catch(() => undefined);

  const final = applySeverityPolicy(
    applyIgnores(mergeEquivalent(findings), freshParsed.map((i) => i.parsed)),
    config,
  ).sort(compareFindings);
  const migrations = [
    ...history.map((m) => statuses.get(m.path) ?? statusOf(m, 'not-run', 0, 0)),
    ...reviewable.map((i) => statuses.get(i.migration.path) ?? statusOf(i.migration, 'not-run', i.parsed.statements.length, 0)),
    ...skipped,
  ];
  const stats: ReviewStats = {
    migrationsTotal: history.length + fresh.length + skipped.length,
    migrationsNew: reviewable.length + skipped.length,
    statements: [...historyParsed, ...reviewable].reduce((n, i) => n + (historyCounts.get(i.migration.path) ?? i.parsed.statements.length), 0),
    durationMs: Math.round(now() - started),
    stages,
    ...(engine ? { engine } : {}),
    // Token use only when Claude was asked (or answered from the cache); a skipped agent used nothing.
    ...(agentStats?.usage && (agentStats.usage.inputTokens > 0 || agentStats.usage.cached) ? { agent: agentStats.usage } : {}),
  };
  if (fresh.length === 0 && skipped.length === 0) notes.push('No new migrations to review.');
  return {
    version: 1,
    conclusion: conclude(final, config['fail-on']),
    migrations,
    findings: final,
    notes,
    stats,
    sources: Object.fromEntries(freshParsed.map((i) => [i.migration.path, sourceOf(i.migration)])),
  };
}

function parseFile(migration: MigrationFile): Promise<ParsedFile> {
  return parseMigrationSql(migration.sql, migration.path, migration.lineOffset);
}

/** The whole file as the author sees it, for reporters that quote statements by file line. */
function sourceOf(migration: MigrationFile): string {
  return '\n'.repeat(migration.lineOffset) + migration.sql;
}

function statusOf(m: MigrationFile, status: MigrationStatus['status'], statements: number, durationMs: number): MigrationStatus {
  return { file: m.path, status, statements, durationMs };
}

function prepare(item: Reviewed): PreparedMigration {
  return prepareMigration(item.migration.path, item.migration.inTransaction, item.parsed.statements);
}

function applyErrorFindings(item: Reviewed, run: MigrationRun): Finding[] {
  return run.outcomes.flatMap((outcome) => {
    if (outcome.status !== 'error' || !outcome.error) return [];
    const statement = item.parsed.statements.find((s) => s.index === outcome.index);
    const { error } = outcome;
    const dataFix = dataErrorFix(error, statement?.text ?? '');
    const fix = dataFix ?? limitFix(error);
    const evidence = [
      error.sqlstate ? `SQLSTATE ${error.sqlstate}` : undefined,
      error.detail ? `DETAIL: ${error.detail}` : undefined,
      error.hint ? `HINT: ${error.hint}` : undefined,
    ]
      .filter(Boolean)
      .join('\n');
    return [
      {
        rule: 'apply-error',
        severity: 'error' as const,
        source: 'apply' as const,
        file: item.migration.path,
        line: error.line,
        endLine: Math.max(error.line, outcome.endLine),
        message: `The migration fails here: ${error.message}${error.sqlstate ? ` (SQLSTATE ${error.sqlstate})` : ''}.${
          dataFix ? ' The sandbox held synthetic rows in the existing tables; rows in production are likely to break it the same way.' : ''
        } Later statements and migrations did not run.`,
        ...(evidence ? { evidence } : {}),
        ...(fix ? { fix } : {}),
        fingerprint: fingerprint('apply-error', item.migration.path, statement?.text ?? String(outcome.line)),
      },
    ];
  });
}

/** A statement stopped by a sandbox limit: say which setting bounds it, in case the work is legitimate. */
function limitFix(error: { sqlstate?: string }): Finding['fix'] {
  if (error.sqlstate === '57014') {
    return { title: 'If this statement is legitimately slow on the synthetic data, raise sandbox.statement-timeout-seconds in the pgpro config.' };
  }
  if (error.sqlstate === '53200') {
    return { title: 'If this statement legitimately needs more memory, raise sandbox.memory-mb in the pgpro config.' };
  }
  return undefined;
}

async function setupScripts(config: PgproConfig, change: ChangeSet): Promise<{ name: string; sql: string }[]> {
  const scripts = [...presetSetup(config.sandbox.preset)];
  for (const [i, entry] of config.sandbox.setup.entries()) {
    if ('sql' in entry) {
      scripts.push({ name: `sandbox.setup[${i}]`, sql: entry.sql });
      continue;
    }
    const sql = await change.head.read(entry.file);
    if (sql === undefined) throw new Error(`sandbox.setup[${i}]: the file ${entry.file} does not exist.`);
    scripts.push({ name: entry.file, sql });
  }
  return scripts;
}

/** Restores the whole history from its snapshot, knowing it only from the manifest. */
async function startFromKnown(
  factory: (options: SandboxOptions) => Promise<Sandbox>,
  base: SandboxOptions,
  known: KnownHistory,
  notes: string[],
  statuses: Map<string, MigrationStatus>,
): Promise<Sandbox> {
  const sandbox = await factory({ ...base, tarball: known.tarball });
  for (const entry of known.manifest.history) {
    statuses.set(entry.path, { file: entry.path, status: 'applied', statements: entry.statements, durationMs: 0 });
  }
  notes.push(`Restored ${known.manifest.history.length} history migrations from the snapshot cache (the base's history files were not read).`);
  return sandbox;
}

async function startFromCache(
  factory: (options: SandboxOptions) => Promise<Sandbox>,
  cache: SnapshotCache | undefined,
  base: SandboxOptions,
  setup: { name: string; sql: string }[],
  extensions: string[],
  history: Reviewed[],
  notes: string[],
  statuses: Map<string, MigrationStatus>,
  progress: (stage: string, message: string, done?: number, total?: number) => void,
): Promise<{ sandbox: Sandbox; historySnapshot?: string }> {
  // hashes[i] names the state after history files 0..i on top of the setup and extensions.
  const hashes = historyPrefixHashes(
    history.map((h) => ({ path: h.migration.path, content: h.migration.sql })),
    { setup: JSON.stringify(setup), extensions },
  );
  const hit = cache && hashes.length > 0 ? await cache.get(hashes) : undefined;
  const restored = hit?.length ?? 0;
  const sandbox = await factory(hit ? { ...base, tarball: hit.tarball } : base);
  if (!hit) {
    for (const script of setup) await sandbox.runSetup(script.name, script.sql);
  }
  for (const item of history.slice(0, restored)) {
    statuses.set(item.migration.path, { file: item.migration.path, status: 'applied', statements: item.parsed.statements.length, durationMs: 0 });
  }
  if (restored > 0) notes.push(`Restored ${restored} history migrations from the snapshot cache.`);
  const rest = history.slice(restored);
  if (rest.length > 0) {
    const runs = await sandbox.replay(
      rest.map(prepare),
      (done, total) => progress('replay', `Replaying history ${done}/${total}`, done, total),
    );
    for (const run of runs) statuses.set(run.status.file, run.status);
    const failed = runs.find((r) => r.status.status === 'failed');
    if (failed) {
      notes.push(
        `History migration ${failed.status.file} failed in the sandbox at line ${failed.status.error?.line ?? '?'}: ${failed.status.error?.message ?? 'unknown error'}. The schema may be incomplete; if production has roles, schemas or extensions this history assumes, add them with sandbox.setup.`,
      );
    } else if (cache && !sandbox.stopped) {
      await cache.set(hashes.at(-1)!, await sandbox.snapshot());
      return { sandbox, historySnapshot: hashes.at(-1)! };
    }
    return { sandbox };
  }
  // Everything came from the cache (or there was no history).
  return restored > 0 ? { sandbox, historySnapshot: hashes.at(-1)! } : { sandbox };
}

/** Config `rules` applies to every finding with that id, whatever its source; errors of the run itself stay. */
function applySeverityPolicy(findings: Finding[], config: PgproConfig): Finding[] {
  const out: Finding[] = [];
  for (const finding of findings) {
    const setting = config.rules[finding.rule];
    if (!setting || finding.rule === 'syntax-error' || finding.rule === 'apply-error') {
      out.push(finding);
    } else if (setting !== 'off') {
      out.push({ ...finding, severity: setting });
    }
  }
  return out;
}

export function conclude(findings: Finding[], failOn: Severity | 'none'): Conclusion {
  if (failOn !== 'none' && findings.some((f) => atLeast(f.severity, failOn))) return 'failure';
  if (findings.some((f) => f.severity !== 'info')) return 'neutral';
  return 'success';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
