// The DDL statements traced on both engines by pglite-vs-postgres.test.ts. Each case gets its own
// pre-seeded table (c_<id>) so that the cases do not disturb one another.
import type { PreparedMigration } from '../../src/sandbox/sandbox.js';
import type { StatementObservation } from '../../src/types.js';

export interface DdlCase {
  id: string;
  /** Runs in the history (not traced) before the case; `T` is the case's table. */
  setup?: string;
  /** The traced statement; `T` is the case's table. */
  sql: string;
  /** Autocommit (CONCURRENTLY); otherwise the file runs in one transaction. */
  autocommit?: boolean;
}

export const ROWS = 300;

export const CASES: DdlCase[] = [
  { id: 'add_column', sql: 'alter table T add column x int' },
  { id: 'add_column_constant_default', sql: 'alter table T add column x int default 7' },
  { id: 'add_column_volatile_default', sql: 'alter table T add column x float8 default random()' },
  { id: 'alter_type_coercible', sql: 'alter table T alter column b type varchar(20)' },
  { id: 'alter_type_rewrite', sql: 'alter table T alter column a type bigint' },
  { id: 'set_not_null', sql: 'alter table T alter column a set not null' },
  { id: 'set_not_null_after_check', setup: 'alter table T add constraint T_a_nn check (a is not null)', sql: 'alter table T alter column a set not null' },
  { id: 'create_index', sql: 'create index T_a on T (a)' },
  { id: 'create_index_concurrently', sql: 'create index concurrently T_a on T (a)', autocommit: true },
  { id: 'add_check', sql: 'alter table T add constraint T_pos check (a > 0)' },
  { id: 'add_check_not_valid', sql: 'alter table T add constraint T_pos check (a > 0) not valid' },
  { id: 'validate_check', setup: 'alter table T add constraint T_pos check (a > 0) not valid', sql: 'alter table T validate constraint T_pos' },
  { id: 'add_foreign_key', sql: 'alter table T add constraint T_fk foreign key (a) references parent (id)' },
  { id: 'add_foreign_key_not_valid', sql: 'alter table T add constraint T_fk foreign key (a) references parent (id) not valid' },
  { id: 'drop_column', sql: 'alter table T drop column c' },
  { id: 'rename_column', sql: 'alter table T rename column c to c_renamed' },
  { id: 'rename_table', sql: 'alter table T rename to T_renamed' },
  { id: 'add_stored_generated_column', sql: 'alter table T add column g int generated always as (a * 2) stored' },
  // Syntax newer than PostgreSQL 15: see VERSION_DIFFERENCES in the test.
  { id: 'add_virtual_generated_column', sql: 'alter table T add column g int generated always as (a * 2) virtual' },
  { id: 'add_not_null_not_valid', sql: 'alter table T add constraint T_a_nn not null a not valid' },
  { id: 'add_check_not_enforced', sql: 'alter table T add constraint T_pos check (a > 0) not enforced' },
  { id: 'set_generation_expression', setup: 'alter table T add column g int generated always as (a * 2) stored', sql: 'alter table T alter column g set expression as (a * 3)' },
];

const table = (c: DdlCase): string => `c_${c.id}`;
const bind = (sql: string, c: DdlCase): string => sql.replace(/\bT\b/g, table(c)).replace(/\bT_/g, `${table(c)}_`);

/** One history file: the parent table, every case's table with ROWS rows, then the cases' setup. */
export function historyMigration(): PreparedMigration {
  const texts = [
    'create table parent (id int primary key)',
    `insert into parent select g from generate_series(1, ${ROWS}) g`,
    ...CASES.flatMap((c) => [
      `create table ${table(c)} (id int primary key, a int, b varchar(10), c text)`,
      `insert into ${table(c)} select g, g, 'v' || g, 'text ' || g from generate_series(1, ${ROWS}) g`,
      ...(c.setup ? [bind(c.setup, c)] : []),
    ]),
    'analyze',
  ];
  return { file: 'history.sql', inTransaction: false, statements: texts.map((text, index) => ({ index, text, line: index + 1, endLine: index + 1 })) };
}

export function caseMigration(c: DdlCase): PreparedMigration {
  return {
    file: `${c.id}.sql`,
    inTransaction: !c.autocommit,
    statements: [{ index: 0, text: bind(c.sql, c), line: 1, endLine: 1 }],
  };
}

/** What the differential compares: lock modes, rewrites and scanned tables, names without the case prefix. */
export interface Behaviour {
  locks: string[];
  rewrites: string[];
  scans: string[];
}

export function behaviour(c: DdlCase, observation: StatementObservation): Behaviour {
  const short = (relation: string): string => relation.replace(/^public\./, '').replace(table(c), 'T');
  return {
    locks: [...new Set(observation.locks.map((l) => `${short(l.relation)}:${l.mode}`))].sort(),
    rewrites: observation.rewrites.map(short).sort(),
    scans: observation.scans.filter((s) => s.seqScans > 0).map((s) => short(s.relation)).sort(),
  };
}
