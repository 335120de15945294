// `npm run build`, after tsc: the CLI bundled into a few ES modules in dist/bundle/, and dist/cli/main.js
// made to load them. Node 20 has no module compile cache, and a review loaded ~680 small modules (ours
// and its packages') one file at a time: ~1 s of a warm CLI review before any work. Bundled, their code
// is read from a handful of files.
//
// What stays a package import, resolved at run time beside pgpro: PGlite and libpg-query (they load
// their WASM and data files relative to their own modules), pg, and the GitHub App's optional peers
// (probot…: loadAppModule tells a missing one by its package name). Each dynamic import stays a lazy
// chunk, so `--help`, `--version` and `lint` load no more than before. The sandbox worker is an entry of
// its own (worker.js beside the chunks, where worker-client.ts looks for it), and the library
// (dist/index.js) and the App's server stay the plain tsc build.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { APP_PACKAGES } from '../src/app-stack.js';
import { BUILD_ID_FILE, sourceTreeHash } from '../src/code-id.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT = join(ROOT, 'dist', 'bundle');

rmSync(OUT, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: { main: 'src/cli/main.ts', worker: 'src/sandbox/worker.ts' },
  outdir: OUT,
  // Chunks beside the entries: import.meta.url-relative paths (the worker) resolve the same from each.
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['@electric-sql/pglite', '@electric-sql/pglite-pgvector', 'libpg-query', 'pg', 'tsx', ...APP_PACKAGES],
  // Bundled CommonJS packages (yaml, picomatch) call require() for Node's modules.
  banner: { js: "import { createRequire as __pgproRequire } from 'node:module'; const require = __pgproRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The path every caller uses (bin, the Action, the deploy examples) loads the bundle.
const main = join(ROOT, 'dist', 'cli', 'main.js');
writeFileSync(main, "#!/usr/bin/env node\n// The bundled CLI (scripts/bundle-cli.ts); src/cli/main.ts is its entry.\nimport '../bundle/main.js';\n");
rmSync(`${main}.map`, { force: true });
// The code this build runs, named in every cache key (src/code-id.ts).
writeFileSync(join(ROOT, BUILD_ID_FILE), `${JSON.stringify({ id: sourceTreeHash(ROOT) })}\n`);
