// Production sizes are the user's statement, never pgpro's guess: a stats file exported with the query in
// docs/production-stats.md (rehearsal.production-stats, else agent.production-stats), `explain.rows` in
// the config, or the statistics of a read-only replica (rehearsal.replica-url / PGPRO_REPLICA_URL).
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

export async function productionSizes(config: PgproConfig, head: FileTree | undefined): Promise<ProductionSizes> {
  const sizes = new Map<string, TableSize>();
  const notes: string[] = [];
  for (const [table, rows] of Object.entries(config.explain.rows)) {
    sizes.set(table.includes('.') ? table : `public.${table}`, { rows, source: 'explain.rows in the pgpro config' });
  }
  const path = statsPath(config);
  if (path) {
    const content = head ? await head.read(path).catch(() => undefined) : undefined;
    if (content === undefined) {
      notes.push(`Lock time at production size: the stats file ${path} is not in the change's head, so its sizes are unknown.`);
    } else {
      const parsed = parseProductionStats(path, content);
      for (const [table, size] of Object.entries(parsed.sizes)) sizes.set(table, size);
      if (parsed.problems.length > 0) {
        notes.push(`Lock time at production size: ${parsed.problems.length} entr${parsed.problems.length === 1 ? 'y' : 'ies'} of ${path} could not be read (${parsed.problems.slice(0, 3).join('; ')}).`);
      }
    }
  }
  return { sizes, notes, configured: path !== undefined || sizes.size > 0 };
}
