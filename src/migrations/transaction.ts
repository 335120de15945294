// How each tool runs a migration file: in one transaction, or statement by statement in autocommit.
// Sources: each tool's documentation and maintainers (notes in the reasons below).

import { splitTopLevel } from '../sql/lexer.js';
import type { Convention } from '../types.js';

export interface TransactionMode {
  inTransaction: boolean;
  transactionReason: string;
}

export interface TransactionContext {
  /** diesel `metadata.toml`, or Flyway `<file>.sql.conf`, when present. */
  sidecar?: string;
  /** dbmate: whether the `-- migrate:up` line allows a transaction. */
  dbmateUpInTransaction?: boolean;
}

/** Statements Postgres refuses inside a transaction block, which Flyway detects on its own. */
const NON_TRANSACTIONAL =
  /^(create\s+(unique\s+)?index\s+concurrently|drop\s+index\s+concurrently|reindex\b[\s\S]*\bconcurrently\b|vacuum\b|alter\s+system\b|create\s+database\b|drop\s+database\b|create\s+tablespace\b|drop\s+tablespace\b)/i;

function statements(sql: string): string[] {
  return splitTopLevel(sql).pieces.map((p) => sql.slice(p.start, p.end));
}

/** Tools that send the file as one multi-statement query: Postgres runs it as one implicit transaction. */
function implicit(tool: string, sql: string, extra = ''): TransactionMode {
  // One statement or more than one is all that matters: the scan stops at the second.
  const count = splitTopLevel(sql, 2).pieces.length;
  if (count <= 1) {
    return {
      inTransaction: false,
      transactionReason: `${tool} sends the file as one query; with a single statement that query is not a transaction block, so it runs on its own (CONCURRENTLY works here).`,
    };
  }
  return {
    inTransaction: true,
    transactionReason: `${tool} sends the whole file as one multi-statement query, which Postgres runs as one implicit transaction${extra}.`,
  };
}

export function transactionMode(convention: Convention, sql: string, context: TransactionContext = {}): TransactionMode {
  switch (convention) {
    case 'plain':
      return {
        inTransaction: false,
        transactionReason:
          'Plain SQL files are assumed to run like `psql -f`: each statement commits on its own unless the file has BEGIN/COMMIT. Set `assume-in-transaction: true` in .github/pgpro.yml if your runner wraps each file in a transaction.',
      };
    case 'prisma':
      return implicit('Prisma Migrate', sql, ' (Prisma adds no BEGIN/COMMIT of its own)');
    case 'golang-migrate':
      return implicit('golang-migrate', sql, ' (unless the database URL sets x-multi-statement=true, which runs statements one by one)');
    case 'diesel': {
      const optOut = context.sidecar !== undefined && /^\s*run_in_transaction\s*=\s*false\s*$/m.test(context.sidecar);
      return optOut
        ? { inTransaction: false, transactionReason: 'diesel runs this migration outside a transaction: its metadata.toml sets run_in_transaction = false.' }
        : { inTransaction: true, transactionReason: 'diesel runs each migration in a transaction (opt out with run_in_transaction = false in metadata.toml).' };
    }
    case 'flyway': {
      if (context.sidecar !== undefined && /^\s*executeInTransaction\s*=\s*false\s*$/m.test(context.sidecar)) {
        return { inTransaction: false, transactionReason: 'Flyway runs this migration outside a transaction: its .sql.conf sets executeInTransaction=false.' };
      }
      if (/^\s*--\s*flyway:executeInTransaction\s*=\s*false\s*$/im.test(sql)) {
        return { inTransaction: false, transactionReason: 'Flyway runs this migration outside a transaction: the script sets -- flyway:executeInTransaction=false.' };
      }
      const blocking = statements(sql).find((s) => NON_TRANSACTIONAL.test(s.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '')));
      if (blocking) {
        return {
          inTransaction: false,
          transactionReason: `Flyway detects statements that cannot run in a transaction (here: ${blocking.split(/\s+/).slice(0, 4).join(' ')} …) and runs the migration without one; a migration mixing them with transactional statements fails unless mixed=true.`,
        };
      }
      return { inTransaction: true, transactionReason: 'Flyway runs each migration in a transaction on PostgreSQL (opt out with executeInTransaction=false in a <file>.sql.conf).' };
    }
    case 'dbmate':
      return context.dbmateUpInTransaction === false
        ? { inTransaction: false, transactionReason: 'dbmate runs this migration outside a transaction: its -- migrate:up line says transaction:false.' }
        : { inTransaction: true, transactionReason: 'dbmate runs each migration in a transaction (opt out with -- migrate:up transaction:false).' };
    case 'supabase':
      return { inTransaction: true, transactionReason: 'The Supabase CLI runs each migration file in its own transaction.' };
    case 'sqlx':
      return sql.startsWith('-- no-transaction')
        ? { inTransaction: false, transactionReason: 'sqlx runs this migration outside a transaction: its first line is -- no-transaction.' }
        : { inTransaction: true, transactionReason: 'sqlx runs each migration in a transaction (opt out with -- no-transaction as the first line).' };
    case 'sqitch':
      return {
        inTransaction: false,
        transactionReason: 'sqitch runs each deploy script with psql, which commits statement by statement; the script\'s own BEGIN/COMMIT (in sqitch\'s default template) makes it atomic.',
      };
  }
}

/**
 * How to run a statement that refuses a transaction block (CONCURRENTLY, ALTER TYPE … ADD VALUE before
 * its use) when the file runs in one: a migration of its own, in the tool's own terms.
 */
export function ownMigrationAdvice(convention: Convention, explicitTransaction = false): string {
  if (explicitTransaction) return 'Move it after the COMMIT, or into a migration of its own without BEGIN/COMMIT.';
  switch (convention) {
    case 'prisma':
      return 'Move it to a migration of its own that holds only this statement (`prisma migrate dev --create-only`, then replace the generated SQL): Prisma sends a one-statement migration as one query, outside a transaction.';
    case 'golang-migrate':
      return 'Move it to a migration of its own that holds only this statement: golang-migrate sends a one-statement file as one query, outside a transaction.';
    case 'diesel':
      return 'Move it to a migration of its own (`diesel migration generate`) with `run_in_transaction = false` in its metadata.toml.';
    case 'flyway':
      return 'Move it to a migration of its own: Flyway runs a migration whose statements cannot run in a transaction without one (or set executeInTransaction=false in its .sql.conf).';
    case 'dbmate':
      return 'Move it to a migration of its own whose up section starts with `-- migrate:up transaction:false`.';
    case 'sqlx':
      return 'Move it to a migration of its own whose first line is `-- no-transaction`.';
    case 'supabase':
      return 'The Supabase CLI runs every migration file in a transaction: run it outside the migrations (for example with psql after the deploy).';
    case 'sqitch':
      return 'Move it to a deploy script of its own without BEGIN/COMMIT.';
    case 'plain':
      return 'Move it to a migration of its own that your runner does not wrap in a transaction.';
  }
}
