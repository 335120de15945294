// Observes what one statement did to relations that existed before the migration: locks held by this
// backend, rewrites (relfilenode), sequential scans, catalog changes, timeouts in effect.
//
// Usage (same connection, and inside the file's transaction when it runs in one):
//   const baseline = await capturePreexisting(db);            // once, after the history replay
//   for each statement:
//     const before = await captureState(db, baseline);        // or captureState(db): see below
//     run the statement
//     const observation = await observeStatement(db, before, inTransaction);
//
// Locks are only visible while they are held: in autocommit a statement's locks are released when it
// ends. To see them, run an autocommit statement as `BEGIN; statement; observe; COMMIT` (same effect on
// the database, since an autocommit statement is its own transaction) except for statements that cannot
// run in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM…), whose locks then go unseen.
//
// Only catalog queries that PostgreSQL 15 and PGlite (Postgres 18) both support; everything is read in
// ONE query per capture (one worker round trip). Oids are cast to int8: json renders oid as a string.
import type { LockMode, Queryable, StatementObservation } from '../types.js';

export type RelationKind = StatementObservation['locks'][number]['kind'];

export interface RelationInfo {
  oid: number;
  /** schema.name */
  name: string;
  kind: RelationKind;
  /** The table an index belongs to (schema.name). */
  table?: string;
  /** Oid of that table. */
  tableOid?: number;
  relfilenode: number;
  /** Indexes: pg_index.indisvalid. */
  valid?: boolean;
  /** Tables: sequential scans and rows they read (pending plus flushed counters: monotonic). */
  seqScans: number;
  tuplesRead: number;
  tuplesWritten: number;
}

export interface ColumnInfo {
  name: string;
  /** `${atttypid}:${atttypmod}`; format_type() is costly, so names are resolved only for changes. */
  type: string;
  notNull: boolean;
  /** pg_attrdef oid of the default, or 0 (a replaced default gets a new oid). */
  defaultOid: number;
  dropped: boolean;
}

export interface ConstraintInfo {
  oid: number;
  tableOid: number;
  name: string;
  type: string;
  validated: boolean;
}

export interface RelationState {
  /** Oids of relations that existed before the migration (the baseline). */
  preexisting: ReadonlySet<number>;
  relations: Map<number, RelationInfo>;
  /** Relation oid → lock modes this backend holds on it (any relation, pre-existing or not). */
  locks: Map<number, LockMode[]>;
  /** `${tableOid}:${attnum}` → column. */
  columns: Map<string, ColumnInfo>;
  constraints: Map<number, ConstraintInfo>;
  lockTimeout: string;
  statementTimeout: string;
}

/** What observeStatement returns: the shared StatementObservation plus what the statement newly took. */
export interface TracedObservation extends StatementObservation {
  /** Locks on pre-existing relations that the statement took (absent before it, or stronger). */
  acquired: StatementObservation['locks'];
  /** Pre-existing relations dropped by the statement. */
  dropped: string[];
  /** The relfilenode change behind each entry of `rewrites`. */
  relfilenodes: { relation: string; before: number; after: number }[];
}

const LOCK_STRENGTH: Record<LockMode, number> = {
  AccessShareLock: 1,
  RowShareLock: 2,
  RowExclusiveLock: 3,
  ShareUpdateExclusiveLock: 4,
  ShareLock: 5,
  ShareRowExclusiveLock: 6,
  ExclusiveLock: 7,
  AccessExclusiveLock: 8,
};

export function lockStrength(mode: LockMode): number {
  return LOCK_STRENGTH[mode];
}

/** The relations a state covers (pg_class as c, pg_namespace as n): user relations of every kind observed. */
const RELATIONS_WHERE = `c.relkind in ('r','p','i','I','S','m','v','f')
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;

const STATE_SQL = `
with rels as (
  select c.oid, n.nspname, c.relname, c.relkind, c.relfilenode, i.indrelid, i.indisvalid
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  left join pg_catalog.pg_index i on i.indexrelid = c.oid
  where ${RELATIONS_WHERE}
)
select json_build_object(
  'rels', (select coalesce(json_agg(json_build_array(
      r.oid::int8, r.nspname, r.relname, r.relkind, r.relfilenode::int8, r.indrelid::int8, r.indisvalid,
      case when r.relkind in ('r','m') then pg_catalog.pg_stat_get_xact_numscans(r.oid) + pg_catalog.pg_stat_get_numscans(r.oid) end,
      case when r.relkind in ('r','m') then pg_catalog.pg_stat_get_xact_tuples_returned(r.oid) + pg_catalog.pg_stat_get_tuples_returned(r.oid) end,
      case when r.relkind in ('r','m') then
        pg_catalog.pg_stat_get_xact_tuples_inserted(r.oid) + pg_catalog.pg_stat_get_xact_tuples_updated(r.oid) + pg_catalog.pg_stat_get_xact_tuples_deleted(r.oid)
        + pg_catalog.pg_stat_get_tuples_inserted(r.oid) + pg_catalog.pg_stat_get_tuples_updated(r.oid) + pg_catalog.pg_stat_get_tuples_deleted(r.oid) end
    )), '[]'::json) from rels r),
  'locks', (select coalesce(json_agg(json_build_array(l.relation::int8, l.mode)), '[]'::json)
      from pg_catalog.pg_locks l
      where l.pid = pg_catalog.pg_backend_pid() and l.locktype = 'relation' and l.granted
        and l.database = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())),
  'cols', (select coalesce(json_agg(json_build_array(
      a.attrelid::int8, a.attnum, a.attname, a.atttypid::int8, a.atttypmod, a.attnotnull,
      coalesce(d.oid::int8, 0), a.attisdropped)), '[]'::json)
      from pg_catalog.pg_attribute a
      join rels r on r.oid = a.attrelid and r.relkind in ('r','p','m','f')
      left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attnum > 0),
  'cons', (select coalesce(json_agg(json_build_array(c.oid::int8, c.conrelid::int8, c.conname, c.contype, c.convalidated)), '[]'::json)
      from pg_catalog.pg_constraint c join rels r on r.oid = c.conrelid
      where c.contype <> 'n'),
  'lock_timeout', pg_catalog.current_setting('lock_timeout'),
  'statement_timeout', pg_catalog.current_setting('statement_timeout')
) as state`;

type RelRow = [number, string, string, string, number, number | null, boolean | null, number | null, number | null, number | null];
interface RawState {
  rels: RelRow[];
  locks: [number, string][];
  cols: [number, number, string, number, number, boolean, number, boolean][];
  cons: [number, number, string, string, boolean][];
  lock_timeout: string;
  statement_timeout: string;
}

const KIND: Record<string, RelationKind> = {
  r: 'table', p: 'table', f: 'table', i: 'index', I: 'index', S: 'sequence', v: 'view', m: 'view',
};

const baselines = new WeakMap<object, ReadonlySet<number>>();

async function readState(db: Queryable, preexisting?: ReadonlySet<number>): Promise<RelationState> {
  const { rows } = await db.query<{ state: RawState | string }>(STATE_SQL);
  const value = rows[0]?.state;
  if (value === undefined) throw new Error('observe: the state query returned no row (is the sandbox alive?)');
  const raw = (typeof value === 'string' ? JSON.parse(value) : value) as RawState;

  const names = new Map<number, string>();
  for (const [oid, schema, name] of raw.rels) names.set(oid, `${schema}.${name}`);
  const relations = new Map<number, RelationInfo>();
  for (const [oid, , , relkind, relfilenode, indrelid, indisvalid, scans, read, written] of raw.rels) {
    const info: RelationInfo = {
      oid,
      name: names.get(oid)!,
      kind: KIND[relkind] ?? 'other',
      relfilenode: Number(relfilenode),
      seqScans: Number(scans ?? 0),
      tuplesRead: Number(read ?? 0),
      tuplesWritten: Number(written ?? 0),
    };
    if (indrelid) {
      info.tableOid = indrelid;
      info.table = names.get(indrelid);
      info.valid = indisvalid ?? true;
    }
    relations.set(oid, info);
  }
  const locks = new Map<number, LockMode[]>();
  for (const [oid, mode] of raw.locks) {
    const modes = locks.get(oid) ?? [];
    if (!modes.includes(mode as LockMode)) modes.push(mode as LockMode);
    locks.set(oid, modes);
  }
  const columns = new Map<string, ColumnInfo>();
  for (const [rel, attnum, name, typeId, typeMod, notNull, defaultOid, dropped] of raw.cols) {
    columns.set(`${rel}:${attnum}`, { name, type: `${typeId}:${typeMod}`, notNull, defaultOid: Number(defaultOid), dropped });
  }
  const constraints = new Map<number, ConstraintInfo>();
  for (const [oid, tableOid, name, type, validated] of raw.cons) {
    constraints.set(oid, { oid, tableOid, name, type, validated });
  }
  return {
    preexisting: preexisting ?? new Set(relations.keys()),
    relations,
    locks,
    columns,
    constraints,
    lockTimeout: raw.lock_timeout,
    statementTimeout: raw.statement_timeout,
  };
}

/**
 * Records which relations exist now as "pre-existing" for this connection object, and returns that
 * state. Call once after the history replay; later captureState(db) calls on the same object use it.
 */
export async function capturePreexisting(db: Queryable): Promise<RelationState> {
  const state = await readState(db);
  baselines.set(db, state.preexisting);
  return state;
}

/**
 * The relations that exist now (oids), as a baseline would record them, without recording it: what a
 * caller passes as `preexisting` to traced runs that must all count the same relations as pre-existing
 * (the fix proofs, whatever sandbox each runs in, count those the review's own apply counted).
 */
export async function relationOids(db: Queryable): Promise<ReadonlySet<number>> {
  // The oids alone: the same relations as the state's (one row per relation there too), without the
  // columns, constraints, locks and counters a whole state reads.
  const { rows } = await db.query<{ oids: number[] | string }>(OIDS_SQL);
  const value = rows[0]?.oids;
  if (value === undefined) throw new Error('observe: the relations query returned no row (is the sandbox alive?)');
  const oids = (typeof value === 'string' ? JSON.parse(value) : value) as number[];
  return new Set(oids.map(Number));
}

const OIDS_SQL = `
select coalesce(json_agg(c.oid::int8), '[]'::json) as oids
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where ${RELATIONS_WHERE}`;

/** Drops the baseline recorded on `db` (its instance was replaced: the next traced run records its own). */
export function forgetPreexisting(db: object): void {
  baselines.delete(db);
}

/**
 * The state before a statement. The pre-existing set comes from `baseline` when given, else from the
 * last capturePreexisting on this same object, else this very capture becomes the baseline.
 */
export async function captureState(db: Queryable, baseline?: Pick<RelationState, 'preexisting'>): Promise<RelationState> {
  const preexisting = baseline?.preexisting ?? baselines.get(db);
  if (preexisting) return readState(db, preexisting);
  return capturePreexisting(db);
}

/** Like observeStatement, and also returns the state after, usable as the next statement's `before`. */
export async function observeWithState(
  db: Queryable,
  before: RelationState,
  inTransaction: boolean,
): Promise<{ observation: TracedObservation; after: RelationState }> {
  const after = await readState(db, before.preexisting);
  const typeNames = await resolveTypeNames(db, changedTypes(before, after));
  return { observation: diffStates(before, after, inTransaction, typeNames), after };
}

export async function observeStatement(
  db: Queryable,
  before: RelationState,
  inTransaction: boolean,
): Promise<TracedObservation> {
  return (await observeWithState(db, before, inTransaction)).observation;
}

/** Pure: what changed between two states, restricted to pre-existing relations. */
export function diffStates(
  before: RelationState,
  after: RelationState,
  inTransaction: boolean,
  typeNames: ReadonlyMap<string, string> = new Map(),
): TracedObservation {
  const pre = before.preexisting;
  const nameOf = (oid: number): string | undefined => (after.relations.get(oid) ?? before.relations.get(oid))?.name;
  const kindOf = (oid: number): RelationKind => (after.relations.get(oid) ?? before.relations.get(oid))?.kind ?? 'other';

  const locks: TracedObservation['locks'] = [];
  const acquired: TracedObservation['locks'] = [];
  for (const [oid, modes] of after.locks) {
    const relation = nameOf(oid);
    if (!pre.has(oid) || relation === undefined) continue;
    const held = before.locks.get(oid) ?? [];
    const strongestBefore = Math.max(0, ...held.map(lockStrength));
    for (const mode of sortModes(modes)) {
      locks.push({ relation, kind: kindOf(oid), mode });
      if (!held.includes(mode) && lockStrength(mode) > strongestBefore) acquired.push({ relation, kind: kindOf(oid), mode });
    }
  }

  const rewrites: string[] = [];
  const scans: TracedObservation['scans'] = [];
  const changes: string[] = [];
  const dropped: string[] = [];
  const relfilenodes: TracedObservation['relfilenodes'] = [];
  // By name: the order pg_class gives its rows in moves as their tuples are updated; a report's must not.
  const preexisting = [...pre].flatMap((oid) => before.relations.get(oid) ?? []).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  for (const b of preexisting) {
    const oid = b.oid;
    // ALTER COLUMN TYPE rebuilds the indexes on that column under new oids: a rewrite, not a drop.
    const a = after.relations.get(oid) ?? (b.kind === 'index' ? rebuiltAs(b, before, after) : undefined);
    if (!a) {
      dropped.push(b.name);
      changes.push(`${b.kind} ${b.name} dropped`);
      continue;
    }
    if (a.name !== b.name) changes.push(`${b.kind} ${b.name} renamed to ${a.name}`);
    if (b.relfilenode !== 0 && a.relfilenode !== b.relfilenode) {
      rewrites.push(a.name);
      relfilenodes.push({ relation: a.name, before: b.relfilenode, after: a.relfilenode });
    }
    if (a.kind === 'index' && b.valid !== a.valid) changes.push(`index ${a.name} ${a.valid ? 'now valid' : 'now invalid'}`);
    const seqScans = a.seqScans - b.seqScans;
    if (seqScans > 0) scans.push({ relation: a.name, seqScans, rowsRead: Math.max(0, a.tuplesRead - b.tuplesRead) });
    const written = a.tuplesWritten - b.tuplesWritten;
    if (written > 0) changes.push(`${written} row${written === 1 ? '' : 's'} written in ${a.name}`);
  }

  // Indexes created on pre-existing tables.
  for (const [oid, a] of after.relations) {
    if (before.relations.has(oid) || a.kind !== 'index' || a.tableOid === undefined || !pre.has(a.tableOid)) continue;
    if ([...before.relations.values()].some((b) => b.name === a.name && !after.relations.has(b.oid))) continue; // rebuilt
    changes.push(`index ${a.name} created on ${a.table}${a.valid === false ? ' (invalid)' : ''}`);
  }

  changes.push(...columnChanges(before, after, nameOf, (key) => typeNames.get(key) ?? key));
  changes.push(...constraintChanges(before, after, nameOf));

  return {
    locks,
    acquired,
    rewrites,
    scans,
    changes,
    dropped,
    relfilenodes,
    lockTimeout: after.lockTimeout,
    statementTimeout: after.statementTimeout,
    inTransaction,
  };
}

/** Type keys of columns added or retyped on pre-existing tables. */
function changedTypes(before: RelationState, after: RelationState): string[] {
  const keys = new Set<string>();
  for (const [key, a] of after.columns) {
    if (!before.preexisting.has(Number(key.split(':')[0])) || a.dropped) continue;
    const b = before.columns.get(key);
    if (!b) keys.add(a.type);
    else if (b.type !== a.type) keys.add(a.type).add(b.type);
  }
  return [...keys];
}

async function resolveTypeNames(db: Queryable, keys: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (keys.length === 0) return names;
  // Keys are two integers each (built from catalog numbers above), safe to inline.
  const values = keys.map((key) => {
    const [typeId, typeMod] = key.split(':').map(Number);
    return `(${typeId}::oid, ${typeMod}::int4, '${key}')`;
  });
  const { rows } = await db.query<{ key: string; name: string }>(
    `select v.key, pg_catalog.format_type(v.typeid, v.typemod) as name from (values ${values.join(', ')}) as v(typeid, typemod, key)`,
  );
  for (const row of rows) names.set(row.key, row.name);
  return names;
}

function columnChanges(
  before: RelationState,
  after: RelationState,
  nameOf: (oid: number) => string | undefined,
  typeName: (key: string) => string,
): string[] {
  const out: string[] = [];
  for (const [key, a] of after.columns) {
    const tableOid = Number(key.split(':')[0]);
    if (!before.preexisting.has(tableOid)) continue;
    const table = nameOf(tableOid);
    const b = before.columns.get(key);
    if (!b) {
      if (!a.dropped) out.push(`column ${table}.${a.name} added (${typeName(a.type)}${a.notNull ? ' not null' : ''}${a.defaultOid ? ', with default' : ''})`);
      continue;
    }
    if (b.dropped) continue;
    if (a.dropped) {
      out.push(`column ${table}.${b.name} dropped`);
      continue;
    }
    if (a.name !== b.name) out.push(`column ${table}.${b.name} renamed to ${a.name}`);
    if (a.type !== b.type) out.push(`column ${table}.${a.name} type ${typeName(b.type)} → ${typeName(a.type)}`);
    if (a.notNull !== b.notNull) out.push(`column ${table}.${a.name} ${a.notNull ? 'set not null' : 'dropped not null'}`);
    if (a.defaultOid !== b.defaultOid) out.push(`column ${table}.${a.name} default ${a.defaultOid ? (b.defaultOid ? 'changed' : 'set') : 'dropped'}`);
  }
  return out;
}

function constraintChanges(before: RelationState, after: RelationState, nameOf: (oid: number) => string | undefined): string[] {
  const out: string[] = [];
  const typeName: Record<string, string> = { p: 'primary key', f: 'foreign key', u: 'unique', c: 'check', x: 'exclusion', t: 'trigger' };
  for (const [oid, a] of after.constraints) {
    if (!before.preexisting.has(a.tableOid)) continue;
    const table = nameOf(a.tableOid);
    const b = before.constraints.get(oid);
    const what = `${typeName[a.type] ?? a.type} constraint ${a.name} on ${table}`;
    if (!b) out.push(`${what} added${a.validated ? '' : ' (not validated)'}`);
    else if (a.validated !== b.validated) out.push(`${what} ${a.validated ? 'validated' : 'no longer validated'}`);
    else if (a.name !== b.name) out.push(`constraint ${b.name} on ${table} renamed to ${a.name}`);
  }
  for (const [oid, b] of before.constraints) {
    if (!before.preexisting.has(b.tableOid) || after.constraints.has(oid)) continue;
    if (!after.relations.has(b.tableOid)) continue; // the table went away: reported once as a drop
    out.push(`constraint ${b.name} on ${nameOf(b.tableOid)} dropped`);
  }
  return out;
}

/** The index that replaced a vanished index under the same name on the same table, if any. */
function rebuiltAs(index: RelationInfo, before: RelationState, after: RelationState): RelationInfo | undefined {
  for (const candidate of after.relations.values()) {
    if (candidate.kind === 'index' && candidate.name === index.name && candidate.tableOid === index.tableOid && !before.relations.has(candidate.oid)) {
      return candidate;
    }
  }
  return undefined;
}

function sortModes(modes: LockMode[]): LockMode[] {
  return [...modes].sort((x, y) => lockStrength(y) - lockStrength(x));
}
