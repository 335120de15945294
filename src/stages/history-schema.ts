// The schema objects (src/trace/reversibility.ts) of a whole history, cached beside its snapshot. The
// down migration check compares the schema after up and down with the one before up; before the first
// new migration that is the history's own schema, the same for every review of that base, and its full
// read was the costliest of the check's catalog reads on a restored sandbox (its caches cold).
import { createHash } from 'node:crypto';
import { rememberSchema } from './reversibility.js';
import { inBackground } from './history.js';
import type { Sandbox } from '../sandbox/index.js';
import type { MigrationFile } from '../types.js';
import { codeId } from '../code-id.js';
import type { ReviewState } from './state.js';

/** Stored under historySchemaKey: the schema objects as [key, definition] pairs. */
interface HistorySchemaDocument {
  v: 1;
  objects: [string, string][];
}

/** Names the schema of the history snapshot `historySnapshot`, as this build of pgpro describes it. */
export function historySchemaKey(historySnapshot: string): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, pgpro: codeId(), schemaOf: historySnapshot })).digest('hex');
}

/**
 * The schema before `migration` (undefined without a down migration), for the first new migration of
 * the review: from the cache when this history's schema was stored, else read and stored. Only while
 * the sandbox holds the whole history and nothing of the change's own (no stub), since the synthetic
 * rows, the plans read before the change and the saved fix point do not change the schema.
 */
export async function schemaBeforeFirst(state: ReviewState, sandbox: Sandbox, migration: MigrationFile): Promise<Map<string, string> | undefined> {
  if (!migration.down) return undefined;
  const cache = state.snapshotCache;
  const key = cache && state.historySnapshot && (state.inferred?.objects.length ?? 0) === 0 ? historySchemaKey(state.historySnapshot) : undefined;
  if (!cache || !key) return rememberSchema(sandbox, migration);
  const known = await cache.getDocument<HistorySchemaDocument>(key).catch(() => undefined);
  if (known?.v === 1 && Array.isArray(known.objects)) return new Map(known.objects);
  const schema = await rememberSchema(sandbox, migration);
  if (schema) inBackground(state, cache.setDocument(key, { v: 1, objects: [...schema] } satisfies HistorySchemaDocument));
  return schema;
}
