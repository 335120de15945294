import type { CatalogSnapshot, Fix, MigrationFile, ParsedStatement, Severity } from '../types.js';
import type { CreatedObjects } from './lib/created.js';

export type RuleCategory = 'locking' | 'rewrite' | 'compatibility' | 'schema-design' | 'transaction' | 'version';

export interface RuleMeta {
  /** kebab-case, equal to the file name and the doc page name. */
  id: string;
  category: RuleCategory;
  defaultSeverity: Severity;
  /** 'catalog' rules read ctx.catalog when present and degrade to AST-only checks without it. */
  requires: 'ast' | 'catalog';
  /** Path of the doc page, relative to the repository root. */
  docs: string;
  /** One line: what the rule flags. */
  description: string;
}

export interface RuleSettings {
  /** Major version of the production server (config `postgres-version`). */
  postgresVersion: number;
  /** The file runs inside one transaction (its tool's mode or config `assume-in-transaction`). */
  inTransaction: boolean;
}

/** What earlier statements of the same file established. */
export interface FileState {
  /** A `SET lock_timeout` (non-zero) ran earlier in the file. */
  lockTimeoutSet: boolean;
  /** An explicit BEGIN/START TRANSACTION is open at this statement. */
  explicitTransaction: boolean;
  /**
   * A COMMIT/ROLLBACK earlier in the file ended the transaction the tool opened for it: the statements
   * after it run in autocommit until a BEGIN (the `COMMIT; …; BEGIN;` escape).
   */
  toolTransactionEnded: boolean;
  /** Transaction blocks ended before this statement: two statements share a transaction only when equal (and in one). */
  transactionIndex: number;
}

export interface ReportDescriptor {
  message: string;
  fix?: Fix;
  evidence?: string;
  /** File line of the offending node; defaults to the statement's line range. */
  line?: number;
  endLine?: number;
}

/** A node that carries a libpg-query `location` (a byte offset). */
export interface Located {
  location?: number;
}

export interface RuleContext {
  settings: RuleSettings;
  statement: ParsedStatement;
  file: MigrationFile;
  /** Objects created by the change before this statement (earlier files and earlier statements of this file). */
  created: CreatedObjects;
  /** The schema before the change; undefined when the sandbox did not run. */
  catalog?: CatalogSnapshot;
  fileState: FileState;
  /** Scratch space of this rule for the current file (e.g. to report a file-level problem once). */
  fileMemo: Map<string, unknown>;
  /** The file line of a node (by its `location`), or the statement's first line when unknown. */
  lineOf(node: Located | undefined): number;
  /** A node's position as a UTF-16 index into `statement.text`, when it can be known. */
  textOffset(node: Located | undefined): number | undefined;
  report(descriptor: ReportDescriptor): void;
}

/** Called with a node of the visitor's type and its ancestors (nearest last, each a `{ Type: node }` wrapper's inner node). */
export type Visitor = (node: any, ancestors: readonly AncestorEntry[]) => void;

export interface AncestorEntry {
  type: string;
  node: any;
}

export type Visitors = Partial<Record<string, Visitor>> & {
  /** Called once per statement before the walk. */
  Statement?: (statement: ParsedStatement) => void;
};

export interface Rule {
  meta: RuleMeta;
  /**
   * The rule's visitors for one statement. Returns visitors of the same node types on every call (the
   * linter learns them from the first call and creates the rule only for statements holding such a node,
   * or always when it has a `Statement` visitor), and has no effect of its own beyond building them.
   */
  create(ctx: RuleContext): Visitors;
}
