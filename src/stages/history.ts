// Stage 3: a sandbox in the pre-change state. The setup SQL and the history are restored from the
// snapshot cache where possible and replayed (untraced) otherwise.
import { createHash } from 'node:crypto';
import { extensionsIn, prepareMigration, type MigrationRun, type PreparedMigration, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import { sandboxFactory } from '../sandbox/engine.js';
import { historyPrefixHashes } from '../sandbox/snapshot-cache.js';
import { pgliteVersion } from '../sandbox/cluster.js';
import { codeId } from '../code-id.js';
import { startTimeoutMs, type ReviewLimits } from '../sandbox/limits.js';
import { manifestOf } from './known-history.js';
import { loadSchemaDump } from './schema-dump.js';
import { cachedSeededDocument, seededKey, type SeededDocument } from './seeded.js';
import { cachedFilled, filledKey, type Filled } from './filled.js';
import { explainFill } from './explain.js';
import { agentWillCall } from './agent.js';
import { cacheDiscardNote, messageOf, progress, statementCount, timed, type ReviewState, type ReviewedMigration } from './state.js';
import { loadMigrations } from '../migrations/index.js';
import { discoverOptions } from './discover-options.js';
import { parseHistory } from './parse.js';
import { stoppedByReview } from './stop.js';
import { openProofTwin } from './proof-twin.js';

/** The sandbox could not start (unreachable server, failing setup SQL): the review cannot run. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`The sandbox could not start: ${reason}`, options);
  }
}

export function prepare(item: ReviewedMigration): PreparedMigration {
  return prepareMigration(item.migration.path, item.migration.inTransaction, item.parsed.statements);
}

/** The factory that opens sandboxes for this review (the configured engine unless a test injects one). */
export function sandboxOpener(state: ReviewState): (options: SandboxOptions) => Promise<Sandbox> {
  return state.deps.createSandbox ?? sandboxFactory(state.config, state.deps.env);
}

export async function historyStage(state: ReviewState): Promise<void> {
  const { config } = state;
  state.historyExtensions = state.known
    ? state.known.manifest.extensions
    : [...new Set([...state.setup.map((s) => s.sql), ...state.historyParsed.map((h) => h.migration.sql)].flatMap(extensionsIn))];
  const extensions = [...new Set([...state.historyExtensions, ...state.reviewable.flatMap((r) => extensionsIn(r.migration.sql))])];
  state.sandboxOptions = {
    statementTimeoutMs: config.sandbox['statement-timeout-seconds'] * 1000,
    startTimeoutMs: startTimeoutMs(config.sandbox['start-timeout-seconds']),
    memoryMb: config.sandbox['memory-mb'],
    extensions,
    signal: state.stop.signal,
    timeBudget: state.sandboxBudget,
  };
  state.sandbox = await timed(state, 'sandbox', async () => {
    progress(state, 'sandbox', 'Starting the sandbox');
    try {
      if (state.known) {
        const sandbox = await startFromKnown(state);
        if (sandbox) return sandbox;
        // Its snapshot did not restore (and was deleted): read the base's history after all.
        await readHistory(state);
      }
      const started = await startFromCache(state);
      if (state.historyKey && started.historySnapshot) {
        const entries = state.historyParsed.map((h) => ({ migration: h.migration, statements: statementCount(h) }));
        const manifest = manifestOf(started.historySnapshot, state.historyExtensions, entries);
        const key = state.historyKey;
        // After the snapshot it names is stored.
        inBackground(state, (started.stored ?? Promise.resolve()).then(() => state.snapshotCache!.setDocument(key, manifest)));
      }
      return started.sandbox;
    } catch (error) {
      // Stopped by the review itself (deadline, cancellation): the review ends as not reviewed.
      if (stoppedByReview(error)) throw error;
      // Without a sandbox pgpro cannot do its main job: the caller must hear it, not a lint-only pass.
      throw new SandboxUnavailableError(messageOf(error), { cause: error });
    }
  });
  state.engine = state.sandbox.engine;
  // The synthetic data, the catalog and the queries planned before the change see a production
  // session: a restored snapshot starts without the database-level settings its history stored.
  await state.sandbox.startSession();
}

/** Reviews whose change needed stubs on a seeded restore: their history is restored without its rows. */
const unseeded = new WeakSet<ReviewState>();

/**
 * Stubs made on a sandbox restored with its synthetic rows (seeded or filled) are missing from the
 * catalog that seeding read and hold none of its rows, where a cold review has them in its "before" and
 * seeds them like every table: findings would differ. Such a review starts again from the history alone,
 * as a cold one does (rare: the history lacks a table the change uses), and the caller infers again.
 * `notesBefore`: the notes the review had before the history stage, to drop what the first start said.
 * Returns whether it started again.
 */
export async function restartUnseededForStubs(state: ReviewState, notesBefore: number): Promise<boolean> {
  if (!state.seeded || (state.inferred?.objects.length ?? 0) === 0 || !state.sandbox || state.sandbox.stopped) return false;
  unseeded.add(state);
  await state.sandbox.close().catch(() => undefined);
  state.sandbox = undefined;
  state.seeded = undefined;
  state.filled = undefined;
  state.inferred = undefined;
  state.historySnapshot = undefined;
  state.notes.length = notesBefore;
  await historyStage(state);
  return true;
}

/** A cache write the review does not wait for; a failure only costs the next review its cache hit. */
export function inBackground(state: ReviewState, work: Promise<unknown>): void {
  state.background.push(work.catch(() => undefined));
}

/**
 * The seeded history with this change's fill made too (stages/filled.ts), when it is cached: the plan
 * is read from the seeded snapshot's catalog, the "before" the data stage would fill from.
 */
async function findFilled(state: ReviewState, seeded: SeededEntry): Promise<Filled | undefined> {
  const { config } = state;
  const { plan } = await explainFill({
    config,
    head: state.change.head,
    fresh: state.reviewable,
    catalogBefore: seeded.document.catalog,
    seeded: { rows: config.sandbox['seed-rows'], syntheticOnly: seeded.document.syntheticOnly },
    agentQueries: agentWillCall(config, state.options.agent ?? 'auto', state.deps.env),
  });
  return cachedFilled(state.snapshotCache!, filledKey(seeded.key, plan), cacheDiscardNote(state));
}

/**
 * A sandbox restored with the synthetic rows: with this change's fill too when that is cached (the
 * seeded snapshot is then not read), else the seeded snapshot, when it is cached.
 */
async function restoreSeeded(state: ReviewState, seeded: SeededEntry): Promise<Sandbox | undefined> {
  const cache = state.snapshotCache!;
  const filled = await findFilled(state, seeded).catch(() => undefined);
  const withFill = filled ? await restoreOrForget(state, filled.key, filled.tarball) : undefined;
  if (withFill) {
    state.filled = filled;
    // Used as much as the fill made on it: the disk bound evicts it no sooner.
    inBackground(state, cache.touch(seeded.key));
    return withFill;
  }
  const hit = await cache.get([seeded.key], cacheDiscardNote(state));
  return hit ? restoreOrForget(state, seeded.key, hit.tarball) : undefined;
}

/** The seeded history's key and document; its snapshot is read only when restored. */
type SeededEntry = { key: string; document: SeededDocument };

/** The history with its synthetic rows, when the change has anything to apply on it and it is cached. */
async function findSeeded(state: ReviewState, historySnapshot: string): Promise<SeededEntry | undefined> {
  if (!state.snapshotCache || state.reviewable.length === 0 || unseeded.has(state)) return undefined;
  const key = seededKey(historySnapshot, state.config.sandbox['seed-rows']);
  const document = await cachedSeededDocument(state.snapshotCache, key);
  return document ? { key, document } : undefined;
}

/**
 * A sandbox restored from the cached snapshot `key`: in a long-running process, the one its pool
 * restored ahead of time for this base (src/sandbox/pool.ts).
 */
function restore(state: ReviewState, key: string, tarball: Uint8Array): Promise<Sandbox> {
  // The review's own limits are bound to the sandbox when it is handed out, not started with: the pool
  // may start the next one for this base after this review ended, for another review.
  const { signal, timeBudget, ...options } = { ...state.sandboxOptions!, tarball };
  const limits = { ...(signal ? { signal } : {}), ...(timeBudget ? { timeBudget } : {}) };
  const opener = sandboxOpener(state);
  const open = (bound: ReviewLimits) => opener({ ...options, ...bound });
  const pool = state.deps.sandboxPool;
  if (!pool) return open(limits);
  // The key names the state and what shapes it, not this review's own limits: the start limit scales with
  // the machine's load, so keying on it would never find the sandbox restored ahead of time.
  const { tarball: _tarball, startTimeoutMs: _startTimeoutMs, ...settings } = options;
  const poolKey = createHash('sha256').update(JSON.stringify({ key, engine: state.config.sandbox.engine, settings })).digest('hex');
  return pool.open(poolKey, open, limits);
}

/** Restores the whole history from its snapshot, knowing it only from the manifest. */
async function startFromKnown(state: ReviewState): Promise<Sandbox | undefined> {
  const known = state.known!;
  const seeded = await findSeeded(state, known.manifest.snapshot);
  let sandbox = seeded ? await restoreSeeded(state, seeded) : undefined;
  const document = sandbox ? seeded?.document : undefined;
  if (!sandbox) {
    const hit = await state.snapshotCache!.get([known.manifest.snapshot], cacheDiscardNote(state));
    sandbox = hit ? await restoreOrForget(state, known.manifest.snapshot, hit.tarball) : undefined;
  }
  if (!sandbox) return undefined;
  state.historySnapshot = known.manifest.snapshot;
  state.seeded = document;
  for (const entry of known.manifest.history) {
    state.historyStatuses.set(entry.path, { file: entry.path, status: 'applied', statements: entry.statements, durationMs: 0 });
  }
  state.notes.push(`Restored ${known.manifest.history.length} history migrations from the snapshot cache (the base's history files were not read).`);
  return sandbox;
}

async function startFromCache(state: ReviewState): Promise<{ sandbox: Sandbox; historySnapshot?: string; stored?: Promise<unknown> }> {
  const cache = state.snapshotCache;
  const history = state.historyParsed;
  // hashes[i] names the state after history files 0..i on top of the setup and extensions.
  const hashes = historyPrefixHashes(
    history.map((h) => ({ path: h.migration.path, content: h.migration.sql })),
    { engine: `pglite ${pgliteVersion()}`, code: codeId(), setup: JSON.stringify(state.setup), extensions: state.sandboxOptions!.extensions ?? [] },
  );
  const full = hashes.at(-1);
  const seeded = full ? await findSeeded(state, full) : undefined;
  const seededSandbox = seeded ? await restoreSeeded(state, seeded) : undefined;
  if (seeded && seededSandbox && full) {
    const sandbox = seededSandbox;
    for (const item of history) {
      state.historyStatuses.set(item.migration.path, { file: item.migration.path, status: 'applied', statements: statementCount(item), durationMs: 0 });
    }
    state.notes.push(`Restored ${history.length} history migrations from the snapshot cache.`);
    state.historySnapshot = full;
    state.seeded = seeded.document;
    return { sandbox, historySnapshot: full };
  }
  let hit = cache && hashes.length > 0 ? await cache.get(hashes, cacheDiscardNote(state)) : undefined;
  const fromCache = hit ? await restoreOrForget(state, hashes[hit.length - 1]!, hit.tarball) : undefined;
  if (!fromCache) hit = undefined;
  const restored = hit?.length ?? 0;
  let sandbox = fromCache;
  if (!sandbox) {
    const open = sandboxOpener(state);
    const own = open(state.sandboxOptions!);
    openProofTwin(state, open);
    sandbox = await own;
  }
  if (!hit) {
    for (const script of state.setup) {
      if (script.dump) state.notes.push(await loadSchemaDump(sandbox, script));
      else await sandbox.runSetup(script.name, script.sql);
    }
  }
  for (const item of history.slice(0, restored)) {
    state.historyStatuses.set(item.migration.path, { file: item.migration.path, status: 'applied', statements: statementCount(item), durationMs: 0 });
  }
  if (restored > 0) state.notes.push(`Restored ${restored} history migrations from the snapshot cache.`);
  const rest = history.slice(restored);
  if (rest.length > 0) {
    const runs = await sandbox.replay(rest.map(prepare), (done, total) =>
      progress(state, 'replay', `Replaying history ${done}/${total}`, done, total),
    );
    for (const run of runs) state.historyStatuses.set(run.status.file, run.status);
    historyExtensionNotes(state, runs, sandbox.engine.name);
    const failed = runs.find((r) => r.status.status === 'failed');
    if (failed) {
      state.notes.push(
        `History migration ${failed.status.file} failed in the sandbox at line ${failed.status.error?.line ?? '?'}: ${failed.status.error?.message ?? 'unknown error'}. The schema may be incomplete; if production has roles, schemas or extensions this history assumes, add them with sandbox.setup.`,
      );
    } else if (cache && !sandbox.stopped) {
      // The dump is queued on the sandbox now; compressing and writing it go on while the review does.
      const stored = sandbox.snapshot().then((tarball) => cache.set(full!, tarball));
      inBackground(state, stored);
      state.historySnapshot = full;
      return { sandbox, historySnapshot: full!, stored };
    }
    return { sandbox };
  }
  // Everything came from the cache (or there was no history).
  if (restored > 0) state.historySnapshot = full;
  return restored > 0 ? { sandbox, historySnapshot: full! } : { sandbox };
}

/** The base's history files, read and parsed: for a known history whose snapshot would not restore. */
async function readHistory(state: ReviewState): Promise<void> {
  state.known = undefined;
  const base = state.change.base;
  if (!base) return;
  const loaded = await loadMigrations(base, discoverOptions(state.config));
  state.history = loaded.migrations.filter((m) => m.kind !== 'undo');
  state.historyParsed = await parseHistory(state, state.history);
}

/**
 * A sandbox restored from a cached snapshot, or undefined when the snapshot does not load: the entry is
 * then deleted, with a note, and the caller replays instead. A stop by the review is no cache fault.
 */
async function restoreOrForget(state: ReviewState, key: string, tarball: Uint8Array): Promise<Sandbox | undefined> {
  try {
    return await restore(state, key, tarball);
  } catch (error) {
    if (stoppedByReview(error)) throw error;
    await state.snapshotCache?.delete(key).catch(() => undefined);
    cacheDiscardNote(state)(`the cached snapshot ${key.slice(0, 12)} did not restore (${messageOf(error)}) and was deleted`);
    return undefined;
  }
}

/** Extensions the sandbox lacks cost the history only their statements: one note says which. */
function historyExtensionNotes(state: ReviewState, runs: readonly MigrationRun[], engineName: Sandbox['engine']['name']): void {
  const missing = [...new Set(runs.flatMap((r) => (r.missingExtension ? [r.missingExtension] : [])))];
  const gaps = runs.flatMap((r) => (r.extensionGaps ?? []).map((g) => `${r.status.file}:${g.line}`));
  if (missing.length === 0 && gaps.length === 0) return;
  const engine = engineName === 'postgres' ? 'sandbox server' : 'PGlite sandbox';
  state.notes.push(
    `The history creates ${missing.length === 1 ? 'an extension' : 'extensions'} the ${engine} does not have (${missing.join(', ') || 'see below'}): ${
      gaps.length === 0 ? 'nothing else in the history needed it' : `${gaps.length} history statement${gaps.length === 1 ? '' : 's'} that need it did not run (${gaps.slice(0, 5).join(', ')}${gaps.length > 5 ? ', …' : ''})`
    }, and the rest of the history was applied.`,
  );
}
