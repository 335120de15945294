// Stage 1: which migrations exist in head and base, which are history and which are new.
import { splitChange } from '../change/split.js';
import { loadMigrations } from '../migrations/index.js';
import { engineSnapshots } from '../sandbox/engine.js';
import { presetSetup, toolSetup } from '../sandbox/presets.js';
import type { ChangeSet, MigrationFile } from '../types.js';
import type { PgproConfig } from '../config/schema.js';
import { discoverOptions } from './discover-options.js';
import { knownHistory, knownMigration, manifestKey } from './known-history.js';
import { readSchemaDump } from './schema-dump.js';
import { notReviewedStatus, progress, timed, type ReviewState, type SetupScript } from './state.js';

export { discoverOptions };

export async function discoverStage(state: ReviewState): Promise<void> {
  const { config, change } = state;
  progress(state, 'discover', 'Finding migrations');
  const options = discoverOptions(config);
  state.setup = await timed(state, 'setup', () => setupScripts(config, change));
  state.snapshotCache = engineSnapshots(config) ? state.deps.snapshotCache : undefined;
  // The base tree's id names its history: with a manifest and snapshot cached under it, no history
  // file is read at all (on GitHub, none of its blobs is downloaded).
  state.historyKey =
    state.snapshotCache && change.base?.id && change.changed ? manifestKey(change.base.id, options, state.setup) : undefined;
  state.known = state.historyKey ? await knownHistory(state.snapshotCache!, state.historyKey) : undefined;

  const { head, base, rejected } = await timed(state, 'discover', async () => {
    const known = state.known;
    if (known) {
      const changed = new Set(change.changed);
      const headLoad = await loadMigrations(change.head, {
        ...options,
        only: (c) => changed.has(c.path) || (c.downPath !== undefined && changed.has(c.downPath)),
      });
      state.notes.push(...headLoad.notes);
      const loaded = new Map(headLoad.migrations.map((m) => [m.path, m]));
      const history = new Map(known.manifest.history.map((e) => [e.path, knownMigration(e)]));
      // An edit of a history file is diffed with the base's version: read just those from the base.
      const edited = new Set([...loaded.keys()].filter((path) => history.has(path)));
      if (edited.size > 0 && change.base) {
        const baseLoad = await loadMigrations(change.base, { ...options, only: (c) => edited.has(c.path) });
        for (const m of baseLoad.migrations) history.set(m.path, m);
      }
      return {
        head: headLoad.order.flatMap((path) => loaded.get(path) ?? history.get(path) ?? []),
        base: [...history.values()],
        rejected: headLoad.rejected,
      };
    }
    const headLoad = await loadMigrations(change.head, options);
    const baseLoad = change.base ? await loadMigrations(change.base, options) : undefined;
    state.notes.push(...headLoad.notes);
    // A file the base has too, unchanged, is history the base could not load either: only a note.
    const inBase = new Set([...(baseLoad?.migrations ?? []), ...(baseLoad?.rejected ?? [])].map((m) => m.path));
    const changedPaths = change.changed ? new Set(change.changed) : undefined;
    const rejected = headLoad.rejected.filter((r) => (changedPaths ? changedPaths.has(r.path) : !inBase.has(r.path)));
    return { head: headLoad.migrations, base: baseLoad?.migrations, rejected };
  });
  // New migrations that could not be loaded are not reviewed, but not silently: a finding says so, and
  // the readable ones are linted with the rest.
  for (const r of rejected) {
    state.skipped.push(notReviewedStatus(r.migration ?? unloaded(r.path), 'skipped', 0, r.code, r.message));
    if (r.migration) state.unloaded.push(r.migration);
  }

  const split = splitChange(head, base, change.changed);
  state.findings.push(...split.findings);
  state.history = split.history;
  // After the manifest key (which names the history by the base's tree): the table a tool makes before
  // its first migration is part of the state every sandbox of this review starts from.
  // A schema dump is production's state, the tool's table included.
  if (!state.setup.some((script) => script.dump)) state.setup.unshift(...toolSetup([...split.history, ...split.fresh].map((m) => m.convention)));
  if (split.later && split.later.length > 0) {
    const names = split.later.slice(0, 5).map((m) => m.path).join(', ');
    state.notes.push(
      `${split.later.length} migration${split.later.length === 1 ? '' : 's'} after the first named one ${split.later.length === 1 ? 'was' : 'were'} not replayed as history (${names}${split.later.length > 5 ? ', …' : ''}): production runs ${split.later.length === 1 ? 'it' : 'them'} after the new migrations.`,
    );
  }
  const fresh = split.fresh.filter((m) => m.kind !== 'undo');
  // A whole directory reviewed as new (the CLI without --base or named files) is not cut: every file is
  // applied, with progress per file, within the review's deadline. The cap is for changes (a pull
  // request, --base), where a huge count is a mistake or an attack.
  const wholeDirectory = change.base === undefined && change.changed === undefined;
  const maxFiles = wholeDirectory ? Number.POSITIVE_INFINITY : config.limits['max-files'];
  if (fresh.length > maxFiles) {
    state.notes.push(
      `Only the first ${maxFiles} of ${fresh.length} new migrations were reviewed (limits.max-files); the rest are marked skipped.`,
    );
    state.skipped.push(
      ...fresh.slice(maxFiles).map((m) => notReviewedStatus(m, 'skipped', 0, 'max-files', `beyond the first ${maxFiles} new migrations (limits.max-files)`)),
    );
  }
  state.fresh = fresh.slice(0, maxFiles);
}

/** A stand-in for a file that could not be read: only its path is known. */
function unloaded(path: string): MigrationFile {
  return { path, convention: 'plain', version: '', name: path, kind: 'versioned', sql: '', lineOffset: 0, inTransaction: false, transactionReason: 'not loaded' };
}

async function setupScripts(config: PgproConfig, change: ChangeSet): Promise<SetupScript[]> {
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
  const dump = await readSchemaDump(config, change);
  if (dump) scripts.push(dump);
  return scripts;
}
