// Stage 3: a sandbox in the pre-change state. The setup SQL and the history are restored from the
// snapshot cache where possible and replayed (untraced) otherwise.
import { extensionsIn, prepareMigration, type PreparedMigration, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import { sandboxFactory } from '../sandbox/engine.js';
import { historyPrefixHashes } from '../sandbox/snapshot-cache.js';
import { manifestOf } from './known-history.js';
import { loadSchemaDump } from './schema-dump.js';
import { messageOf, progress, timed, type ReviewState, type ReviewedMigration } from './state.js';
import { stoppedByReview } from './stop.js';

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
    memoryMb: config.sandbox['memory-mb'],
    extensions,
    signal: state.stop.signal,
    timeBudget: state.sandboxBudget,
  };
  state.sandbox = await timed(state, 'sandbox', async () => {
    progress(state, 'sandbox', 'Starting the sandbox');
    try {
      if (state.known) return await startFromKnown(state);
      const started = await startFromCache(state);
      if (state.historyKey && started.historySnapshot) {
        const entries = state.historyParsed.map((h) => ({ migration: h.migration, statements: h.parsed.statements.length }));
        await state.snapshotCache!.setDocument(state.historyKey, manifestOf(started.historySnapshot, state.historyExtensions, entries));
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
}

/** Restores the whole history from its snapshot, knowing it only from the manifest. */
async function startFromKnown(state: ReviewState): Promise<Sandbox> {
  const known = state.known!;
  const sandbox = await sandboxOpener(state)({ ...state.sandboxOptions!, tarball: known.tarball });
  for (const entry of known.manifest.history) {
    state.statuses.set(entry.path, { file: entry.path, status: 'applied', statements: entry.statements, durationMs: 0 });
  }
  state.notes.push(`Restored ${known.manifest.history.length} history migrations from the snapshot cache (the base's history files were not read).`);
  return sandbox;
}

async function startFromCache(state: ReviewState): Promise<{ sandbox: Sandbox; historySnapshot?: string }> {
  const cache = state.snapshotCache;
  const history = state.historyParsed;
  // hashes[i] names the state after history files 0..i on top of the setup and extensions.
  const hashes = historyPrefixHashes(
    history.map((h) => ({ path: h.migration.path, content: h.migration.sql })),
    { setup: JSON.stringify(state.setup), extensions: state.sandboxOptions!.extensions ?? [] },
  );
  const hit = cache && hashes.length > 0 ? await cache.get(hashes) : undefined;
  const restored = hit?.length ?? 0;
  const sandbox = await sandboxOpener(state)(hit ? { ...state.sandboxOptions!, tarball: hit.tarball } : state.sandboxOptions!);
  if (!hit) {
    for (const script of state.setup) {
      if (script.dump) state.notes.push(await loadSchemaDump(sandbox, script));
      else await sandbox.runSetup(script.name, script.sql);
    }
  }
  for (const item of history.slice(0, restored)) {
    state.statuses.set(item.migration.path, { file: item.migration.path, status: 'applied', statements: item.parsed.statements.length, durationMs: 0 });
  }
  if (restored > 0) state.notes.push(`Restored ${restored} history migrations from the snapshot cache.`);
  const rest = history.slice(restored);
  if (rest.length > 0) {
    const runs = await sandbox.replay(rest.map(prepare), (done, total) =>
      progress(state, 'replay', `Replaying history ${done}/${total}`, done, total),
    );
    for (const run of runs) state.statuses.set(run.status.file, run.status);
    const failed = runs.find((r) => r.status.status === 'failed');
    if (failed) {
      state.notes.push(
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
