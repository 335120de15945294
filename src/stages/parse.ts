// Stage 2: parse every migration; new ones over the statement limit are left out.
import { loadParser, parseMigrationSql, parseMigrationSqlSync } from '../sql/parse.js';
import type { MigrationFile, ParsedFile } from '../types.js';
import { notReviewedStatus, progress, timed, type ReviewState, type ReviewedMigration } from './state.js';

export async function parseStage(state: ReviewState): Promise<void> {
  progress(state, 'parse', `Parsing ${state.history.length + state.fresh.length} migrations`);
  const parseAll = (files: MigrationFile[]) =>
    Promise.all(files.map(async (migration): Promise<ReviewedMigration> => ({ migration, parsed: await parseFile(migration) })));
  let unloaded: ReviewedMigration[] = [];
  await timed(state, 'parse', async () => {
    state.freshParsed = await Promise.all(state.fresh.map(parseNew));
    state.historyParsed = await parseHistory(state, state.history);
    unloaded = await parseAll(state.unloaded);
  });
  // The edit of an applied migration: only what it adds or changes is new.
  const unchangedEdits = new Set<string>();
  for (const item of state.freshParsed) {
    if (!item.migration.applied) continue;
    item.parsed = await editedStatements(item.migration, item.parsed);
    if (!item.parsed.statements.some((s) => !SESSION_KINDS.has(s.kind))) unchangedEdits.add(item.migration.path);
  }
  if (unchangedEdits.size > 0) {
    // It adds nothing to run (it removed statements, or changed comments or layout): its finding says so.
    state.fresh = state.fresh.filter((m) => !unchangedEdits.has(m.path));
    state.freshParsed = state.freshParsed.filter((i) => !unchangedEdits.has(i.migration.path));
  }

  const maxStatements = state.config.limits['max-statements-per-file'];
  for (const item of state.freshParsed) {
    state.findings.push(...item.parsed.errors);
    if (item.parsed.statements.length > maxStatements) {
      state.notes.push(
        `${item.migration.path} has ${item.parsed.statements.length} statements, over limits.max-statements-per-file (${maxStatements}); it was not applied.`,
      );
      state.skipped.push(
        notReviewedStatus(
          item.migration,
          'skipped',
          item.parsed.statements.length,
          'max-statements',
          `${item.parsed.statements.length} statements, over limits.max-statements-per-file (${maxStatements})`,
        ),
      );
      state.overLimit.push(item);
      continue;
    }
    state.reviewable.push(item);
  }
  // New files that could not be loaded as they are (not UTF-8): linted, never applied.
  for (const item of unloaded) state.findings.push(...item.parsed.errors);
  state.freshParsed.push(...unloaded);
  state.overLimit.push(...unloaded);
}

/** Statements kept from an edit's unchanged part: they set up the session the changed ones run in. */
const SESSION_KINDS = new Set(['VariableSetStmt', 'TransactionStmt']);

function normalized(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Of an edited migration, the statements absent from the version production ran (added, or changed),
 * plus the unchanged SETs and transaction control they run under; lines stay those of the edited file.
 */
async function editedStatements(migration: MigrationFile, parsed: ParsedFile): Promise<ParsedFile> {
  const before = await parseMigrationSql(migration.applied!.sql, migration.path, migration.lineOffset);
  const left = new Map<string, number>();
  for (const s of before.statements) left.set(normalized(s.text), (left.get(normalized(s.text)) ?? 0) + 1);
  const statements = parsed.statements.filter((s) => {
    const key = normalized(s.text);
    const count = left.get(key) ?? 0;
    if (count === 0) return true;
    left.set(key, count - 1);
    return SESSION_KINDS.has(s.kind);
  });
  return { ...parsed, statements };
}

/**
 * The history's parses: from the parse cache where it has them (a warm review parses only what changed),
 * the rest parsed and stored for the next review while this one goes on.
 */
export async function parseHistory(state: ReviewState, files: readonly MigrationFile[]): Promise<ReviewedMigration[]> {
  const cache = state.deps.parseCache;
  if (!cache) return Promise.all(files.map(async (migration) => ({ migration, parsed: await parseFile(migration) })));
  const keys = files.map((migration) => cache.key(migration));
  const pack = files.length > 0 ? cache.getPack(keys) : undefined;
  if (pack) {
    // A parse whose text the pack lost is parsed again, synchronously, when asked for.
    await loadParser();
    return files.map((migration, i) => packed(migration, pack.counts[i]!, () => pack.text(i)));
  }
  // Serialized as soon as parsed: later stages hold the same objects while the cache is written.
  const missed: { key: string; text: string }[] = [];
  const texts: string[] = [];
  const items = await Promise.all(
    files.map(async (migration, i): Promise<ReviewedMigration> => {
      const key = keys[i]!;
      const hit = cache.get(key, migration.path);
      if (hit) {
        texts[i] = hit.text;
        return { migration, parsed: hit.parsed };
      }
      const parsed = await parseFile(migration);
      const text = JSON.stringify(parsed);
      texts[i] = text;
      missed.push({ key, text });
      return { migration, parsed };
    }),
  );
  const packText = files.length > 0 ? cache.packText(keys, { counts: items.map((i) => i.parsed.statements.length), texts }) : undefined;
  const store = async () => {
    await cache.setAll(missed);
    if (packText !== undefined) await cache.setPack(keys, packText);
  };
  // Not awaited here; review() waits for it before it returns. A failed write only costs the next hit.
  state.background.push(store().catch(() => undefined));
  return items;
}

/**
 * A history file from a pack: its statement count at once, its parse read and decoded when first asked
 * for; parsed again (the parser is loaded: the new files were parsed first) if the pack's texts are gone.
 */
function packed(migration: MigrationFile, statementCount: number, text: () => string | undefined): ReviewedMigration {
  let parsed: ParsedFile | undefined;
  return {
    migration,
    statementCount,
    get parsed(): ParsedFile {
      if (parsed === undefined) {
        const json = text();
        parsed = json !== undefined ? (JSON.parse(json) as ParsedFile) : parseMigrationSqlSync(migration.sql, migration.path, migration.lineOffset);
      }
      return parsed;
    },
    set parsed(value: ParsedFile) {
      parsed = value;
    },
  };
}

/** A new migration, and its down file: the data stage and the reversibility check both read that. */
export async function parseNew(migration: MigrationFile): Promise<ReviewedMigration> {
  const parsed = await parseFile(migration);
  if (!migration.down) return { migration, parsed };
  const { sql, path, lineOffset } = migration.down;
  return { migration, parsed, parsedDown: await parseMigrationSql(sql, path, lineOffset) };
}

export function parseFile(migration: MigrationFile): Promise<ParsedFile> {
  return parseMigrationSql(migration.sql, migration.path, migration.lineOffset);
}
