// Stage 1: which migrations exist in head and base, which are history and which are new.
import { splitChange } from '../change/split.js';
import { loadMigrations } from '../migrations/index.js';
import { engineSnapshots } from '../sandbox/engine.js';
import { presetSetup } from '../sandbox/presets.js';
import type { ChangeSet } from '../types.js';
import type { PgproConfig } from '../config/schema.js';
import { discoverOptions } from './discover-options.js';
import { knownHistory, knownMigration, manifestKey } from './known-history.js';
import { readSchemaDump } from './schema-dump.js';
import { progress, statusOf, timed, type ReviewState, type SetupScript } from './state.js';

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

  const { head, base } = await timed(state, 'discover', async () => {
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
      return {
        head: headLoad.order.flatMap((path) => loaded.get(path) ?? history.get(path) ?? []),
        base: [...history.values()],
      };
    }
    const headLoad = await loadMigrations(change.head, options);
    const baseLoad = change.base ? await loadMigrations(change.base, options) : undefined;
    state.notes.push(...headLoad.notes);
    return { head: headLoad.migrations, base: baseLoad?.migrations };
  });

  const split = splitChange(head, base, change.changed);
  state.findings.push(...split.findings);
  state.history = split.history;
  const fresh = split.fresh.filter((m) => m.kind !== 'undo');
  const maxFiles = config.limits['max-files'];
  if (fresh.length > maxFiles) {
    state.notes.push(
      `Only the first ${maxFiles} of ${fresh.length} new migrations were reviewed (limits.max-files); the rest are marked skipped.`,
    );
    state.skipped.push(...fresh.slice(maxFiles).map((m) => statusOf(m, 'skipped', 0, 0)));
  }
  state.fresh = fresh.slice(0, maxFiles);
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
