// Real migration histories for the bench: directories named on the command line (a fetched public
// repository's migrations folder, one of the corpus histories, or the generated one), each copied into
// a workspace of its own with the pgpro config it needs, so that the CLI and in-process runs read the
// same files and nothing is written beside the original.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseConfig } from '../src/config/parse.js';
import { directoryTree, loadMigrations } from '../src/migrations/index.js';
import { discoverOptions } from '../src/stages/discover.js';
import { entryDir, parseManifest, renderText, type CorpusEntry } from '../scripts/corpus/manifest.js';

export interface BenchHistory {
  /** A short label: the corpus entry's name, else the directory's. */
  name: string;
  /** The directory named on the command line. */
  source: string;
  /** The workspace copy: the repository root the CLI runs in. */
  root: string;
  /** The pgpro config for it (JSON, which is YAML), outside the tree. */
  configFile: string;
  /** Absolute paths of every migration's SQL file, in order (what lint and squawk read). */
  sqlFiles: string[];
  migrations: number;
  /** Repo-relative path of the last migration, reviewed as the pull request's new file. */
  newPath: string;
}

/** The corpus entry whose history folder (or extracted folder) is `dir`, if any. */
async function corpusEntryFor(dir: string, corpusRoot: string, manifestFile: string): Promise<CorpusEntry | undefined> {
  if (!existsSync(manifestFile)) return undefined;
  const entries = parseManifest(await readFile(manifestFile, 'utf8'), manifestFile);
  const wanted = resolve(dir);
  return entries.find((entry) => {
    const extracted = entryDir(entry, corpusRoot);
    return wanted === resolve(extracted, entry.path) || wanted === resolve(extracted);
  });
}

/**
 * The histories a bench table runs over: each folder named on the command line (a corpus entry's config
 * when it is one), or else the generated history, all prepared into `workspace`.
 */
export async function prepareBenchHistories(input: { root: string; dirs: string[]; generated: string }, workspace: string): Promise<BenchHistory[]> {
  const corpus = { corpusRoot: process.env.PGPRO_CORPUS_ROOT ?? '/work/corpus', manifestFile: join(input.root, 'scripts', 'corpus', 'repos.json') };
  return input.dirs.length > 0
    ? await Promise.all(input.dirs.map((dir) => prepareHistory(dir, workspace, corpus)))
    : [await prepareHistory(input.generated, workspace, { ...corpus, config: {}, name: 'generated' })];
}

/**
 * Copies `source` into `workspace/<name>` (applying a corpus entry's `render`), writes its config, and
 * finds its migrations with pgpro's own discovery. `config` is the raw config when the caller has one
 * (the generated history); otherwise a corpus entry's, else `<source>/pgpro.yml`'s, else the defaults.
 */
export async function prepareHistory(
  source: string,
  workspace: string,
  options: { corpusRoot: string; manifestFile: string; config?: Record<string, unknown>; name?: string },
): Promise<BenchHistory> {
  const entry = options.config ? undefined : await corpusEntryFor(source, options.corpusRoot, options.manifestFile);
  const name = options.name ?? entry?.name ?? basename(resolve(source));
  let raw: Record<string, unknown> = options.config ?? entry?.config ?? {};
  const own = join(source, 'pgpro.yml');
  if (!options.config && !entry && existsSync(own)) raw = (await import('yaml')).parse(await readFile(own, 'utf8')) as Record<string, unknown>;
  // The bench measures the deterministic engine: the agent is off everywhere.
  raw = { ...raw, agent: { ...(raw.agent as object | undefined), enabled: false } };

  const root = join(workspace, name, 'repo');
  const tree = await directoryTree(source);
  for (const path of tree.paths) {
    const text = await tree.read(path);
    if (text === undefined) continue;
    const file = join(root, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, entry ? renderText(entry, text) : text);
  }
  const configFile = join(workspace, name, 'pgpro.yml');
  const configText = `${JSON.stringify(raw, null, 2)}\n`;
  const config = parseConfig(configText, configFile);
  await writeFile(configFile, configText);

  const { migrations } = await loadMigrations(await directoryTree(root), discoverOptions(config));
  const versioned = migrations.filter((m) => m.kind === 'versioned');
  const last = versioned.at(-1);
  if (!last) throw new Error(`${source}: pgpro found no versioned migrations there (name the convention in a pgpro.yml beside them).`);
  return {
    name,
    source,
    root,
    configFile,
    sqlFiles: migrations.map((m) => join(root, ...m.path.split('/'))),
    migrations: migrations.length,
    newPath: last.path,
  };
}
