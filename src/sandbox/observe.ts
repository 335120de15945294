// Observes what one statement did to relations that existed before the migration: locks held by this
// backend, rewrites (relfilenode), sequential scans, catalog changes, timeouts in effect.
import type { Queryable, StatementObservation } from '../types.js';

export interface RelationInfo {
  oid: number;
  /** schema.name */
  name: string;
  kind: StatementObservation['locks'][number]['kind'];
  /** Owning table for an index. */
  table?: string;
  relfilenode: number;
  seqScans: number;
  tuplesRead: number;
}

export interface RelationState {
  /** Oids of relations that existed before the migration (the baseline). */
  preexisting: ReadonlySet<number>;
  relations: Map<number, RelationInfo>;
  /** oid → lock modes this backend holds on it. */
  locks: Map<number, string[]>;
}

export async function capturePreexisting(db: Queryable): Promise<RelationState> {
  return captureState(db);
}

export async function captureState(db: Queryable, baseline?: RelationState): Promise<RelationState> {
  void db;
  return { preexisting: baseline?.preexisting ?? new Set(), relations: new Map(), locks: new Map() };
}

export async function observeStatement(
  db: Queryable,
  before: RelationState,
  inTransaction: boolean,
): Promise<StatementObservation> {
  void db;
  void before;
  return { locks: [], rewrites: [], scans: [], changes: [], lockTimeout: '0', statementTimeout: '0', inTransaction };
}
