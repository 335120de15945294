// Production sizes are the user's statement, never pgpro's guess: a stats file exported with the query in
// docs/production-stats.md (rehearsal.production-stats, else agent.production-stats), `explain.rows` in
// the config, or the statistics of a read-only replica (rehearsal.stats-url, PGPRO_STATS_URL or
// --stats-url). Where several name a table, the replica's live statistics win, then the stats file, then
// explain.rows.
import type { PgproConfig } from '../config/schema.js';
import { parseProductionStats } from '../agent/sizes.js';
import type { TableSize } from '../agent/types.js';
import type { FileTree } from '../types.js';

export type { TableSize } from '../agent/types.js';

export interface ProductionSizes {
  /** By `schema.table`. */
  sizes: Map<string, TableSize>;
  notes: string[];
  /** Whether the user named any source of sizes at all. */
  configured: boolean;
}

export function statsPath(config: PgproConfig): string | undefined {
  return config.rehearsal['production-stats'] ?? config.agent['production-stats'];
}

/** The replica URL: the config's, else the environment's (where a password belongs). */
export function statsUrl(config: PgproConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return config.rehearsal['stats-url'] ?? (env.PGPRO_STATS_URL || undefined);
}

/** Whether the user named a source of production sizes (explain.rows, a stats file, a replica), readable or not. */
function sizesNamed(config: PgproConfig, replicaUrl: string | undefined): boolean {
  return Object.keys(config.explain.rows).length > 0 || statsPath(config) !== undefined || replicaUrl !== undefined;
}

/**
 * Whether a review with this config rehearses lock time at production size (each statement that locks a
 * sized table is timed): rehearsal.lock-time is on and a source of sizes is named. The rehearsal stage
 * prepares for it on this, and the CLI keeps V8's optimizing tier for it: one predicate, so they agree.
 */
export function lockTimeAtProductionSize(config: PgproConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return config.rehearsal['lock-time'] && sizesNamed(config, statsUrl(config, env));
}

/** `label` starts each note: the stage the sizes are read for. */
export async function productionSizes(
  config: PgproConfig,
  head: FileTree | undefined,
  replicaUrl?: string,
  label = 'Lock time at production size',
): Promise<ProductionSizes> {
  const sizes = new Map<string, TableSize>();
  const notes: string[] = [];
  for (const [table, rows] of Object.entries(config.explain.rows)) {
    sizes.set(table.includes('.') ? table : `public.${table}`, { rows, source: 'explain.rows in the pgpro config' });
  }
  const path = statsPath(config);
  if (path) {
    const content = head ? await head.read(path).catch(() => undefined) : undefined;
    if (content === undefined) {
      notes.push(`${label}: the stats file ${path} is not in the change's head, so its sizes are unknown.`);
    } else {
      const parsed = parseProductionStats(path, content);
      for (const [table, size] of Object.entries(parsed.sizes)) sizes.set(table, size);
      if (parsed.problems.length > 0) {
        notes.push(`${label}: ${parsed.problems.length} entr${parsed.problems.length === 1 ? 'y' : 'ies'} of ${path} could not be read (${parsed.problems.slice(0, 3).join('; ')}).`);
      }
    }
  }
  if (replicaUrl) {
    try {
      // Loaded only when a replica is named: it brings the server's client (pg).
      const { readReplicaSizes } = await import('./replica-stats.js');
      const replica = await readReplicaSizes(replicaUrl);
      for (const [table, size] of replica.sizes) sizes.set(table, size);
    } catch (error) {
      notes.push(`${label}: the replica's statistics (rehearsal.stats-url) could not be read: ${(error as Error).message}.`);
    }
  }
  return { sizes, notes, configured: sizesNamed(config, replicaUrl) };
}
