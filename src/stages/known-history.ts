import { createHash } from 'node:crypto';
import { codeId } from '../code-id.js';
import type { SnapshotCache } from '../sandbox/snapshot-cache.js';
import type { MigrationFile } from '../types.js';

/**
 * What a cached history snapshot holds, stored beside it under the base tree's id. With it, a review
 * of the same base (every push of a PR, every PR on the same main) restores the snapshot without
 * reading a single history file: on GitHub, no blob of the history is downloaded.
 */
export interface HistoryManifest {
  /** Key of the snapshot taken after the whole history. */
  snapshot: string;
  /** Extensions the history and setup create: the snapshot must be restored with their modules. */
  extensions: string[];
  history: {
    path: string;
    convention: MigrationFile['convention'];
    version: string;
    name: string;
    kind: MigrationFile['kind'];
    inTransaction: boolean;
    lineOffset: number;
    statements: number;
  }[];
}

/** The snapshot itself is read when it is restored: a review that restores its seeded or filled state never reads it. */
export interface KnownHistory {
  manifest: HistoryManifest;
}

/** Everything besides the tree that decides what the history is: pgpro's code, discovery settings and setup SQL. */
export function manifestKey(baseTreeId: string, discovery: unknown, setup: { name: string; sql: string }[]): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, code: codeId(), baseTreeId, discovery, setup })).digest('hex');
}

/**
 * The manifest, when it and its snapshot are cached (a manifest whose snapshot was evicted is useless).
 * The snapshot is not read here: one that turns out bad when it is restored is deleted then, and the
 * review reads the base's history after all (stages/history.ts).
 */
export async function knownHistory(cache: SnapshotCache, key: string): Promise<KnownHistory | undefined> {
  const manifest = await cache.getDocument<HistoryManifest>(key);
  if (!manifest) return undefined;
  return (await cache.has(manifest.snapshot)) ? { manifest } : undefined;
}

/** A history migration known only from the manifest: its place and mode, not its SQL. */
export function knownMigration(entry: HistoryManifest['history'][number]): MigrationFile {
  return {
    path: entry.path,
    convention: entry.convention,
    version: entry.version,
    name: entry.name,
    kind: entry.kind,
    sql: '',
    lineOffset: entry.lineOffset,
    inTransaction: entry.inTransaction,
    transactionReason: 'restored from the history snapshot',
  };
}

export function manifestOf(
  snapshot: string,
  extensions: string[],
  history: { migration: MigrationFile; statements: number }[],
): HistoryManifest {
  return {
    snapshot,
    extensions,
    history: history.map(({ migration: m, statements }) => ({
      path: m.path,
      convention: m.convention,
      version: m.version,
      name: m.name,
      kind: m.kind,
      inTransaction: m.inTransaction,
      lineOffset: m.lineOffset,
      statements,
    })),
  };
}
