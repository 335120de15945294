// Reads one migration candidate: its file, down file and sidecar, its transaction mode. Apart from
// discovery (detect.ts and its globs): a run that knows the candidates of an unchanged listing reads a
// changed file again with this alone.
import { disablesAssumedTransaction } from '../sql/ignores.js';
import type { FileTree, MigrationFile } from '../types.js';
import { hasDbmateMarkers, splitDbmate } from './dbmate.js';
import type { DetectOptions, MigrationCandidate } from './detect.js';
import { transactionMode, type TransactionContext } from './transaction.js';
import { looksBinary } from './tree.js';

export interface LoadOptions extends DetectOptions {
  /** Files larger than this (UTF-8 bytes) are skipped with a note. Default 2,000,000 (limits.max-file-bytes). */
  maxFileBytes?: number;
  /** Config `assume-in-transaction`: overrides every convention's transaction mode when set. */
  assumeInTransaction?: boolean;
  /**
   * Read and return only these candidates (detection and order still see every path). Lets a review
   * whose history is already known skip reading it.
   */
  only?: (candidate: MigrationCandidate) => boolean;
}

export interface RejectedMigration {
  path: string;
  code: 'file-too-large' | 'not-utf8' | 'unreadable';
  message: string;
  migration?: MigrationFile;
}

const DEFAULT_MAX_FILE_BYTES = 2_000_000;

/** One candidate read: its migration (when loaded), the notes reading it left, and why it was rejected. */
export interface LoadedCandidate {
  migration?: MigrationFile;
  notes: string[];
  rejected?: RejectedMigration;
}

/**
 * Reads one candidate of `tree` (its file, down file and sidecar), as `loadMigrations` does for each: a
 * run that knows the candidates of an unchanged listing reads a changed file again with it alone.
 */
export async function loadCandidate(
  candidate: MigrationCandidate,
  tree: FileTree,
  options: LoadOptions = {},
  known: ReadonlySet<string> = new Set(tree.paths),
): Promise<LoadedCandidate> {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  type Rejection = Omit<RejectedMigration, 'path' | 'migration'> & { text?: string };
  const readText = async (path: string, fileNotes: string[], rejected?: (r: Rejection) => void): Promise<string | undefined> => {
    const text = known.has(path) ? await tree.read(path) : undefined;
    if (text === undefined) {
      fileNotes.push(`${path} could not be read; skipped.`);
      rejected?.({ code: 'unreadable', message: 'the file could not be read' });
      return undefined;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      fileNotes.push(`${path} is ${bytes} bytes, over the ${maxBytes}-byte limit (limits.max-file-bytes); skipped.`);
      rejected?.({ code: 'file-too-large', message: `${bytes} bytes, over limits.max-file-bytes (${maxBytes})` });
      return undefined;
    }
    if (looksBinary(text)) {
      fileNotes.push(`${path} is not UTF-8 text; skipped.`);
      const line = lineOfInvalidText(text);
      rejected?.({
        code: 'not-utf8',
        message: `the file is not valid UTF-8 text (first at line ${line})`,
        // Text with a few undecodable bytes (not NULs) still reads as SQL: worth linting.
        ...(text.includes('\u0000') ? {} : { text }),
      });
      return undefined;
    }
    return text;
  };
  const readOptional = async (path: string) => (known.has(path) ? await tree.read(path) : undefined);

  const fileNotes: string[] = [];
  if (candidate.kind === 'undo') {
    fileNotes.push(`${candidate.path} is a Flyway undo migration with no matching versioned migration; not applied.`);
    return { notes: fileNotes };
  }
  let rejection: Rejection | undefined;
  const text = await readText(candidate.path, fileNotes, (r) => (rejection = r));
  if (text === undefined) {
    if (!rejection) return { notes: fileNotes };
    const { text: readable, ...why } = rejection as Rejection;
    const migration = readable === undefined ? undefined : await buildMigration(candidate, readable, async () => undefined, async () => undefined);
    return { notes: fileNotes, rejected: { path: candidate.path, ...why, ...(migration ? { migration } : {}) } };
  }
  const migration = await buildMigration(candidate, text, (path) => readText(path, fileNotes), readOptional);
  if (options.assumeInTransaction !== undefined) {
    if (options.assumeInTransaction && disablesAssumedTransaction(migration.sql)) {
      migration.transactionReason = `-- squawk-disable-assume-in-transaction keeps the ${migration.convention} default over config assume-in-transaction (${migration.transactionReason})`;
    } else {
      migration.inTransaction = options.assumeInTransaction;
      migration.transactionReason = `Config assume-in-transaction: ${options.assumeInTransaction} overrides the ${migration.convention} default (${migration.transactionReason})`;
    }
  }
  return { migration, notes: fileNotes };
}

/** The 1-based line of the first NUL or undecodable byte. */
function lineOfInvalidText(text: string): number {
  const at = [text.indexOf('\u0000'), text.indexOf('\ufffd')].filter((i) => i >= 0);
  const first = at.length > 0 ? Math.min(...at) : 0;
  let line = 1;
  for (let i = 0; i < first; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

async function buildMigration(
  candidate: MigrationCandidate,
  text: string,
  readText: (path: string) => Promise<string | undefined>,
  readOptional: (path: string) => Promise<string | undefined>,
): Promise<MigrationFile> {
  const context: TransactionContext = {};
  let sql = text;
  let lineOffset = 0;
  let convention = candidate.convention;
  let down: MigrationFile['down'];

  if (convention === 'plain' && candidate.needsContentCheck && hasDbmateMarkers(text)) convention = 'dbmate';
  if (convention === 'dbmate') {
    const sections = splitDbmate(text);
    if (sections) {
      sql = sections.up.sql;
      lineOffset = sections.up.lineOffset;
      context.dbmateUpInTransaction = sections.upInTransaction;
      if (sections.down) down = { path: candidate.path, ...sections.down };
    }
  }
  if (convention === 'diesel') context.sidecar = await readOptional(candidate.path.replace(/up\.sql$/, 'metadata.toml'));
  if (convention === 'flyway') context.sidecar = await readOptional(`${candidate.path}.conf`);

  if (candidate.downPath !== undefined && down === undefined) {
    const downSql = await readText(candidate.downPath);
    if (downSql !== undefined) down = { path: candidate.downPath, sql: downSql, lineOffset: 0 };
  }

  const mode = transactionMode(convention, sql, context);
  const migration: MigrationFile = {
    path: candidate.path,
    convention,
    version: candidate.version,
    name: candidate.name,
    kind: candidate.kind,
    sql,
    lineOffset,
    inTransaction: mode.inTransaction,
    transactionReason: mode.transactionReason,
  };
  if (down) migration.down = down;
  return migration;
}
