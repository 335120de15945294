// Reads the migrations of a tree: which files, in what order, in what transaction mode.

import type { FileTree, MigrationFile } from '../types.js';
import { detectMigrations, type MigrationCandidate } from './detect.js';
import { loadCandidate, type LoadOptions, type RejectedMigration } from './load.js';
import { readSqitchPlan } from './sqitch.js';

export { detectMigrations, isExcludedByHeuristics } from './detect.js';
export type { DetectOptions, MigrationCandidate, MigrationOrder } from './detect.js';
export { directoryTree, memoryTree } from './tree.js';
export { loadCandidate, type LoadedCandidate, type LoadOptions, type RejectedMigration } from './load.js';

export interface LoadedMigrations {
  migrations: MigrationFile[];
  notes: string[];
  /** Paths of every candidate in apply order, read or not. */
  order: string[];
  /**
   * Candidates that were not loaded (too large, not UTF-8, unreadable), in apply order. `migration`
   * holds the text as decoded when it is still worth linting (invalid UTF-8 in otherwise readable text).
   */
  rejected: RejectedMigration[];
  /** The candidate each of `migrations` was read from, and whether reading it left a note. */
  loadedFrom: { candidate: MigrationCandidate; noted: boolean }[];
}

export async function loadMigrations(tree: FileTree, options: LoadOptions = {}): Promise<LoadedMigrations> {
  const notes: string[] = [];
  const candidates = detectMigrations(tree.paths, options);
  const known = new Set(tree.paths);
  const readOptional = async (path: string) => (known.has(path) ? await tree.read(path) : undefined);

  const directories = [...new Map(candidates.map((c) => [c.directory, c.convention])).entries()];
  if (directories.length > 1) {
    notes.push(
      `Found ${directories.length} migration directories: ${directories.map(([d, c]) => `${d || '.'} (${c})`).join(', ')}. ` +
        'Each is applied as its own sequence, one after the other in path order; set migrations.paths in .github/pgpro.yml to choose.',
    );
  }

  const ordered: MigrationCandidate[] = [];
  for (const [directory, convention] of directories) {
    const inDirectory = candidates.filter((c) => c.directory === directory);
    ordered.push(...(convention === 'sqitch' ? await sqitchOrder(directory, inDirectory, readOptional, notes) : inDirectory));
  }

  const selected = options.only ? ordered.filter(options.only) : ordered;
  const loaded = await Promise.all(selected.map((candidate) => loadCandidate(candidate, tree, options, known)));
  const migrations: MigrationFile[] = [];
  const rejected: RejectedMigration[] = [];
  const loadedFrom: LoadedMigrations['loadedFrom'] = [];
  for (const [i, item] of loaded.entries()) {
    if (item.migration) {
      migrations.push(item.migration);
      loadedFrom.push({ candidate: selected[i]!, noted: item.notes.length > 0 });
    }
    if (item.rejected) rejected.push(item.rejected);
    notes.push(...item.notes);
  }
  return { migrations, notes, order: ordered.map((c) => c.path), rejected, loadedFrom };
}

/** Orders a sqitch project's deploy scripts as its plan lists them; versions are plan positions. */
async function sqitchOrder(
  root: string,
  candidates: MigrationCandidate[],
  readOptional: (path: string) => Promise<string | undefined>,
  notes: string[],
): Promise<MigrationCandidate[]> {
  const planPath = root === '' ? 'sqitch.plan' : `${root}/sqitch.plan`;
  const plan = await readOptional(planPath);
  if (plan === undefined) {
    notes.push(`${planPath} could not be read; sqitch changes are ordered by name.`);
    return candidates;
  }
  const deployDir = root === '' ? 'deploy' : `${root}/deploy`;
  const byScript = new Map(candidates.map((c) => [c.path.slice(deployDir.length + 1, -'.sql'.length), c]));
  const ordered: MigrationCandidate[] = [];
  const used = new Set<string>();
  readSqitchPlan(plan).forEach((change, i) => {
    const candidate = byScript.get(change.script);
    if (!candidate) {
      notes.push(`sqitch change "${change.name}" in ${planPath} has no ${deployDir}/${change.script}.sql; skipped.`);
      return;
    }
    used.add(change.script);
    ordered.push({ ...candidate, version: String(i + 1), name: change.name, needsContentCheck: false });
  });
  for (const [script, candidate] of byScript) {
    if (!used.has(script)) notes.push(`${candidate.path} is not listed in ${planPath}; sqitch does not deploy it.`);
  }
  return ordered;
}
