// A `pgpro lint` run where one migration changed since the last run (a pre-commit hook or an editor while
// a migration is being written): the changed file is read and linted again, alone, and the report is the
// last one with that file's part replaced. What the other files' findings depend on is known not to have
// changed: the listings and every other file (the run memo's stats and digests), the config and pgpro's
// code (the memo's key), and the schema they are linted on (the catalog after the changed file has the
// digest it had, or no file after it is linted).
//
// The edit state is what the last run leaves for that: each migration's candidate (to read the changed
// file as discovery does), each linted file's counts and statements and the length of its part of the
// kept text report, and the lint cache's history keys of the catalogs and digests per position. Anything
// else (several files changed, a sidecar's change, a note, a file that now reads as
// another set of linted files, no kept catalog before the file) is left to the full run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PgproConfig } from '../config/schema.js';
import { conclude, localeOrder } from '../finding.js';
import type { LoadedMigrations, MigrationCandidate } from '../migrations/index.js';
import { loadCandidate } from '../migrations/load.js';
import { decodeText } from '../migrations/tree.js';
import { renderTextEnd, renderTextParts, renderTextSections } from '../report/text.js';
import { discoverOptions } from '../stages/discover-options.js';
import type { Finding, MigrationFile, ReviewResult, Severity } from '../types.js';
import { FileLintCache } from './cache-file.js';
import { lintTargetsAt } from './targets.js';

export interface EditState {
  id: string;
  /** The kept report the parts are of (a text report, KeptReport.key). */
  report: string;
  color: boolean;
  /** Every linted file in report order: path, statements, errors, warnings, info, bytes of its part of the report (0 without findings). */
  files: [string, number, number, number, number, number][];
  /** Per position in apply order: the candidate read, whether reading it left a note, the paths linted there. */
  migrations: { candidate: MigrationCandidate; noted: boolean; lint: string[] }[];
  /** Positions after which the lint cache keeps a catalog, with its history key. */
  catalogs: [number, string][];
  /** Positions with the digest of the catalog after them. */
  digests: [number, string][];
  notes: string[];
}

/** The paths linted at `position`: the migration, and its down file when named (as lintStatic's targets). */
const lintedAt = (migration: MigrationFile, position: number, lint: ReadonlySet<string>): string[] =>
  lintTargetsAt(migration, position, lint).map((t) => t.migration.path);

const countsOf = (findings: readonly Finding[]): [number, number, number] => {
  const counts: [number, number, number] = [0, 0, 0];
  for (const f of findings) counts[f.severity === 'error' ? 0 : f.severity === 'warning' ? 1 : 2]++;
  return counts;
};

/**
 * The edit state of a full run, or undefined when its report cannot be kept in parts: a finding on a
 * file that was not linted, two paths the report's collation holds equal, parts not in path order.
 */
export function editStateOf(input: {
  result: ReviewResult;
  loaded: Pick<LoadedMigrations, 'migrations' | 'loadedFrom'>;
  lint: ReadonlySet<string>;
  chain: readonly string[];
  cache: { hasCatalog(key: string): boolean; catalogDigest(key: string): string | undefined };
  report: { key: string; color: boolean };
  sections: ReadonlyMap<string, string>;
}): Omit<EditState, 'id'> | undefined {
  const { result, loaded, chain, cache } = input;
  if (loaded.loadedFrom.length !== loaded.migrations.length) return undefined;
  const migrations = loaded.migrations.map((m, i) => ({ ...loaded.loadedFrom[i]!, lint: lintedAt(m, i, input.lint) }));
  const paths = migrations.flatMap((m) => m.lint);
  const sorted = [...paths].sort(localeOrder);
  if (new Set(paths).size !== paths.length || sorted.some((p, i) => i > 0 && localeOrder(sorted[i - 1]!, p) === 0)) return undefined;
  const byFile = new Map<string, Finding[]>(paths.map((p) => [p, []]));
  for (const f of result.findings) {
    const list = byFile.get(f.file);
    if (!list) return undefined;
    list.push(f);
  }
  const withFindings = sorted.filter((p) => byFile.get(p)!.length > 0);
  const parts = [...input.sections.keys()];
  if (parts.length !== withFindings.length || parts.some((p, i) => p !== withFindings[i])) return undefined;
  const statements = new Map(result.migrations.map((m) => [m.file, m.statements]));
  if (paths.some((p) => !statements.has(p))) return undefined;
  const catalogs: [number, string][] = [];
  const digests: [number, string][] = [];
  chain.forEach((key, position) => {
    if (cache.hasCatalog(key)) catalogs.push([position, key]);
    const digest = cache.catalogDigest(key);
    if (digest !== undefined) digests.push([position, digest]);
  });
  return {
    report: input.report.key,
    color: input.report.color,
    files: sorted.map((p) => [p, statements.get(p)!, ...countsOf(byFile.get(p)!), Buffer.byteLength(input.sections.get(p) ?? '')]),
    migrations,
    catalogs,
    digests,
    notes: [...result.notes],
  };
}

export interface EditedRun {
  /** The report, cut at the duration (`before` in pieces, as kept and as rendered anew). */
  before: Buffer[];
  after: Buffer;
  conclusion: ReviewResult['conclusion'];
  state: Omit<EditState, 'id'>;
}

/**
 * The report of the kept run with `changed` (path → text today) linted again, or undefined when this run
 * needs the full path. `kept` is the kept report, cut at the duration; `mark` the duration it was
 * rendered with and how it prints. `known` holds every path the kept run read (each one listed).
 */
export async function lintEdited(input: {
  state: EditState;
  changed: ReadonlyMap<string, string>;
  root: string;
  config: PgproConfig;
  cacheDir: string;
  known: ReadonlySet<string>;
  kept: { before: Buffer; after: Buffer };
  mark: { ms: number; text: string };
}): Promise<EditedRun | undefined> {
  const { state, changed, config } = input;
  if (changed.size !== 1) return undefined;
  const [path, text] = [...changed][0]!;
  const position = state.migrations.findIndex((m) => m.candidate.path === path || m.candidate.downPath === path);
  const at = state.migrations[position];
  if (!at || at.noted) return undefined;
  const tree = {
    paths: [...input.known],
    read: async (p: string) => {
      if (p === path) return text;
      try {
        return decodeText(readFileSync(join(input.root, ...p.split('/'))));
      } catch {
        return undefined;
      }
    },
  };
  const loaded = await loadCandidate(at.candidate, tree, discoverOptions(config), input.known);
  const migration = loaded.migration;
  if (!migration || loaded.notes.length > 0 || loaded.rejected) return undefined;
  const lint = new Set(at.lint);
  const targets = lintTargetsAt(migration, position, lint);
  const paths = targets.map((t) => t.migration.path);
  if (paths.length !== at.lint.length || paths.some((p, i) => p !== at.lint[i])) return undefined;

  const later = state.migrations.some((m, i) => i > position && m.lint.length > 0);
  const catalogs = new Map(state.catalogs);
  const digests = new Map(state.digests);
  const linted = new Map<string, { findings: Finding[]; statements: number }>();
  let digest: string | undefined;
  // A history file linted nowhere, with files linted after it: its catalog's digest needs the full run.
  if (paths.length === 0 && later) return undefined;
  if (paths.length > 0) {
    const key = position > 0 ? catalogs.get(position - 1) : undefined;
    const catalog = key === undefined ? undefined : FileLintCache.readCatalog(input.cacheDir, input.root, key);
    if (position > 0 && !catalog) return undefined;
    // Only the changed migration is read: the run starts from the catalog before it.
    const migrations: MigrationFile[] = [];
    migrations[position] = migration;
    const { lintTargets } = await import('./engine.js');
    const run = await lintTargets(migrations, targets, config, {
      ...(catalog ? { from: { position: position - 1, catalog } } : {}),
      digests: [position],
      onDigest: (_, d) => {
        digest = d;
        return false;
      },
    });
    for (const p of paths) {
      const file = run.linted.get(p);
      if (!file || file.findings.some((f) => f.file !== p)) return undefined;
      linted.set(p, file);
    }
  }
  const same = digest !== undefined && digests.get(position) === digest;
  if (later && !same) return undefined;
  if (!same) {
    // The catalogs and digests after this position were of the file's old text.
    for (const p of [...catalogs.keys()]) if (p >= position) catalogs.delete(p);
    for (const p of [...digests.keys()]) if (p > position) digests.delete(p);
    if (digest === undefined) digests.delete(position);
    else digests.set(position, digest);
  }

  // The report: every file's part as kept but the ones linted again, then its end rendered anew.
  const sources = Object.fromEntries(paths.map((p) => [p, p === migration.path ? `${'\n'.repeat(migration.lineOffset)}${migration.sql}` : `${'\n'.repeat(migration.down!.lineOffset)}${migration.down!.sql}`]));
  const sections = renderTextSections([...linted.values()].flatMap((f) => f.findings), sources, { color: state.color });
  // The kept parts between the ones linted again are copied as one piece each.
  const chunks: Buffer[] = [];
  const files: EditState['files'] = [];
  let offset = 0;
  let keptFrom = 0;
  for (const entry of state.files) {
    const [file, , , , , bytes] = entry;
    const again = linted.get(file);
    if (again) {
      if (offset > keptFrom) chunks.push(input.kept.before.subarray(keptFrom, offset));
      const section = Buffer.from(sections.get(file) ?? '');
      if (section.length > 0) chunks.push(section);
      files.push([file, again.statements, ...countsOf(again.findings), section.length]);
      keptFrom = offset + bytes;
    } else files.push(entry);
    offset += bytes;
  }
  if (offset > keptFrom) chunks.push(input.kept.before.subarray(keptFrom, offset));
  if (offset > input.kept.before.length) return undefined;
  const counts = { error: 0, warning: 0, info: 0 };
  let statements = 0;
  for (const [, n, e, w, i] of files) {
    statements += n;
    counts.error += e;
    counts.warning += w;
    counts.info += i;
  }
  const present = (Object.keys(counts) as Severity[]).filter((s) => counts[s] > 0).map((severity) => ({ severity }) as Finding);
  const conclusion = conclude(present, config['fail-on']);
  const result: ReviewResult = {
    version: 1,
    conclusion,
    migrations: files.map(([file, n]) => ({ file, status: 'not-run' as const, statements: n, durationMs: 0 })),
    findings: [],
    notes: [...state.notes],
    stats: {
      mode: 'static',
      migrationsTotal: state.migrations.length,
      migrationsNew: files.length,
      statements,
      newStatements: statements,
      durationMs: input.mark.ms,
      stages: {},
    },
  };
  const end = renderTextEnd(result, counts, { color: state.color });
  const cut = end.indexOf(input.mark.text);
  if (cut < 0 || end.indexOf(input.mark.text, cut + 1) >= 0) return undefined;
  chunks.push(Buffer.from(end.slice(0, cut)));
  return {
    before: chunks,
    after: Buffer.from(end.slice(cut + input.mark.text.length)),
    conclusion,
    state: { ...state, files, catalogs: [...catalogs], digests: [...digests] },
  };
}

/**
 * A full run's text report rendered in parts (`mark` as its duration), cut at the duration: what
 * `renderCut` gives, with each file's part.
 */
export function textReportInParts(
  result: ReviewResult,
  color: boolean,
  mark: { ms: number; text: string },
): { before: string; after: string; sections: Map<string, string> } | undefined {
  const { sections, end } = renderTextParts({ ...result, stats: { ...result.stats, durationMs: mark.ms } }, { color });
  const body = [...sections.values()].join('');
  const text = `${body}${end}`;
  const at = text.indexOf(mark.text);
  if (at < body.length || text.indexOf(mark.text, at + 1) >= 0) return undefined;
  return { before: text.slice(0, at), after: text.slice(at + mark.text.length), sections };
}
