// Corpus harness: replays real public migration histories with pgpro, checks them against a real
// PostgreSQL server, and reviews their last migrations as pull requests. See docs/corpus.md.
//
//   npm run corpus -- [--only a,b] [--root /work/corpus] [--label name | --out dir] [--last 10] [--full]
//                     [--no-replay] [--no-oracle] [--no-prs] [--database-url url]
//   npm run corpus -- compare <before-dir> <after-dir>
//   npm run corpus -- summary <results-dir>          (the table again, from the JSON files)
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadMigrations } from '../src/migrations/index.js';
import { entryConfig, entryDir, parseManifest, selectEntries, type CorpusEntry } from './corpus/manifest.js';
import { runOracle } from './corpus/oracle.js';
import { replayHistory, reviewLastAsPullRequests } from './corpus/replay.js';
import { compareRuns, oracleDiff, renderComparison, renderSummary, type EntryResult, type FileResult } from './corpus/results.js';
import { entryTree } from './corpus/tree.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Files that did not apply, with the reason, at most `max` of them. */
function logFiles(files: readonly FileResult[], max = 10): void {
  for (const f of files.slice(0, max)) {
    log(`    ${f.file}: ${f.status}${f.error ? ` at line ${f.error.line}: ${f.error.message}${f.error.sqlstate ? ` (${f.error.sqlstate})` : ''}` : ''}`);
  }
  if (files.length > max) log(`    … and ${files.length - max} more (see the JSON)`);
}

async function readResults(dir: string): Promise<EntryResult[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json') && n !== 'summary.json').sort();
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as EntryResult));
}

async function compare(before: string, after: string): Promise<void> {
  const comparison = compareRuns(await readResults(before), await readResults(after));
  console.log(renderComparison(comparison, [basename(before), basename(after)]));
}

async function runEntry(entry: CorpusEntry, options: { root: string; last: number; replay: boolean; oracle: boolean; prs: boolean; full: boolean; databaseUrl: string }): Promise<EntryResult> {
  const dir = entryDir(entry, options.root);
  if (!existsSync(dir)) throw new Error(`${entry.name}: ${dir} does not exist; fetch the corpus first (docs/corpus.md).`);
  const tree = await entryTree(entry, dir);
  const config = entryConfig(entry);
  const discovered = await loadMigrations(tree, {
    convention: config.migrations.convention,
    globs: config.migrations.paths,
    order: config.migrations.order,
    maxFileBytes: config.limits['max-file-bytes'],
    ...(config['assume-in-transaction'] !== undefined ? { assumeInTransaction: config['assume-in-transaction'] } : {}),
  });
  const migrations = discovered.migrations.filter((m) => m.kind !== 'undo');
  const result: EntryResult = {
    name: entry.name, repo: entry.repo, commit: entry.commit, path: entry.path, tool: entry.tool,
    migrations: migrations.map((m) => m.path),
    discoveryNotes: discovered.notes,
  };
  log(`${entry.name}: ${migrations.length} migrations (${[...new Set(migrations.map((m) => m.convention))].join(', ')})`);

  if (options.replay) {
    result.replay = await replayHistory(tree, config);
    const r = result.replay;
    log(`  replay: ${r.files.filter((f) => f.status === 'applied').length}/${r.files.length} applied in ${(r.wallMs / 1000).toFixed(1)} s${r.failure ? ` (failed: ${r.failure})` : ''}`);
    logFiles(r.files.filter((f) => f.status !== 'applied'));
  }
  if (options.oracle) {
    try {
      result.oracle = await runOracle(entry.name, config, tree, migrations, options.databaseUrl);
      const o = result.oracle;
      log(`  oracle (PostgreSQL ${o.serverVersion}): ${o.files.filter((f) => f.status === 'applied').length}/${o.files.length} applied${o.setupError ? ` (setup failed: ${o.setupError})` : ''}`);
      if (result.replay) {
        const diff = oracleDiff(result.replay.files, o.files);
        log(`  PG applies, pgpro does not: ${diff.pgOnly.length}`);
        logFiles(diff.pgOnly);
        log(`  pgpro applies, PG does not: ${diff.pgproOnly.length}`);
        logFiles(diff.pgproOnly);
      }
    } catch (error) {
      result.oracle = { failure: error instanceof Error ? error.message : String(error) };
      log(`  oracle failed: ${result.oracle.failure}`);
    }
  }
  if (options.prs && options.last > 0) {
    result.prs = await reviewLastAsPullRequests(tree, migrations, config, options.last, (review, done, total) => {
      const counts = ['error', 'warning', 'info'].map((s) => review.findings.filter((f) => f.severity === s).length).join('/');
      log(`  PR ${done}/${total} ${review.file}: ${review.failure ?? `${review.status} ${review.conclusion}, e/w/i ${counts}`}, ${(review.wallMs / 1000).toFixed(1)} s`);
    }, options.full);
  }
  return result;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      root: { type: 'string', default: process.env.PGPRO_CORPUS_ROOT ?? '/work/corpus' },
      label: { type: 'string' },
      out: { type: 'string' },
      last: { type: 'string', default: '10' },
      manifest: { type: 'string', default: join(here, 'corpus', 'repos.json') },
      'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      'no-replay': { type: 'boolean', default: false },
      'no-oracle': { type: 'boolean', default: false },
      'no-prs': { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
    },
  });
  if (positionals[0] === 'compare') {
    if (positionals.length !== 3) throw new Error('usage: npm run corpus -- compare <before-dir> <after-dir>');
    await compare(positionals[1]!, positionals[2]!);
    return;
  }
  if (positionals[0] === 'summary') {
    if (positionals.length !== 2) throw new Error('usage: npm run corpus -- summary <results-dir>');
    console.log(renderSummary(await readResults(positionals[1]!)));
    return;
  }
  if (positionals.length > 0) throw new Error(`unknown arguments: ${positionals.join(' ')}`);
  const last = Number(values.last);
  if (!Number.isInteger(last) || last < 0) throw new Error('--last takes a whole number');
  const entries = selectEntries(parseManifest(await readFile(values.manifest, 'utf8'), values.manifest), values.only);
  const label = values.label ?? new Date().toISOString().replace(/[:.]/g, '-');
  const out = values.out ?? join(values.root, 'results', label);
  await mkdir(out, { recursive: true });

  const results: EntryResult[] = [];
  for (const entry of entries) {
    const result = await runEntry(entry, {
      root: values.root, last, databaseUrl: values['database-url'],
      replay: !values['no-replay'], oracle: !values['no-oracle'], prs: !values['no-prs'], full: values.full,
    });
    results.push(result);
    await writeFile(join(out, `${entry.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  }
  const summary = renderSummary(results);
  await writeFile(join(out, 'summary.md'), `${summary}\n`);
  console.log(summary);
  log(`results: ${out}`);
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 2;
});
