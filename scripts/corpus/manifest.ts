// The corpus manifest (scripts/corpus/repos.json): which public migration histories the harness
// replays, where their files are on this machine, and the pgpro config each needs. Pure: no I/O.
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { validateConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';

const entrySchema = z.strictObject({
  /** Short id: the results file name and what `--only` selects. */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" or "-"'),
  /** Where the history comes from (owner/name), the commit it was taken at, and its path there. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'),
  commit: z.string().regex(/^[0-9a-f]{40}$/, '40 hex digits'),
  path: z.string().min(1),
  /** The tool that runs these migrations in that project. */
  tool: z.string().min(1),
  /** Local folder holding the extracted files (repo paths kept), relative to the corpus root. Default: name. */
  dir: z.string().min(1).optional(),
  /**
   * Text replacements made on every file before pgpro or the oracle reads it: what the tool itself
   * does before sending SQL (e.g. rendering a Go template placeholder).
   */
  render: z.array(z.strictObject({ from: z.string().min(1), to: z.string() })).default([]),
  /** pgpro config for this history (.github/pgpro.yml as JSON): migrations, sandbox.setup… */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Why the config is what it is: what the setup SQL stands in for. */
  notes: z.string().default(''),
});

const manifestSchema = z.strictObject({
  $comment: z.string().optional(),
  entries: z.array(entrySchema).min(1),
});

export type CorpusEntry = z.infer<typeof entrySchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Parses repos.json text; names must be unique and each entry's config must be a valid pgpro config. */
export function parseManifest(text: string, file = 'repos.json'): CorpusEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${file}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ManifestError(`${file} is invalid:\n${problems.join('\n')}`);
  }
  const seen = new Set<string>();
  for (const entry of result.data.entries) {
    if (seen.has(entry.name)) throw new ManifestError(`${file}: the name "${entry.name}" is used twice.`);
    seen.add(entry.name);
    entryConfig(entry, file); // fails early on a config pgpro would reject
  }
  return result.data.entries;
}

/** The entry's pgpro config, with the agent off: the corpus measures the deterministic engine. */
export function entryConfig(entry: CorpusEntry, file = 'repos.json'): PgproConfig {
  const raw = { ...entry.config, agent: { ...(entry.config.agent as object | undefined), enabled: false } };
  try {
    return validateConfig(raw, `${file}#${entry.name}`);
  } catch (error) {
    throw new ManifestError(error instanceof Error ? error.message : String(error));
  }
}

/** Entries named by `--only` (comma-separated), in manifest order; an unknown name is an error. */
export function selectEntries(entries: CorpusEntry[], only: string | undefined): CorpusEntry[] {
  if (!only) return entries;
  const wanted = only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !entries.some((e) => e.name === name));
  if (unknown.length > 0) {
    throw new ManifestError(`Unknown corpus entries: ${unknown.join(', ')} (known: ${entries.map((e) => e.name).join(', ')}).`);
  }
  return entries.filter((e) => wanted.includes(e.name));
}

export function entryDir(entry: CorpusEntry, root: string): string {
  const dir = entry.dir ?? entry.name;
  return isAbsolute(dir) ? dir : join(root, dir);
}

/** Applies the entry's `render` replacements to a file's text. */
export function renderText(entry: Pick<CorpusEntry, 'render'>, text: string): string {
  return entry.render.reduce((out, r) => out.split(r.from).join(r.to), text);
}
