// `npm run build`, last: the fresh cluster every sandbox starts from, made once here rather than by the
// first review on each machine. initdb in PGlite takes ~2-8 s and its process peaks at ~0.7-0.9 GB, more
// than a whole review of the bundled example; the gzipped data directory is ~4.5 MB. It is kept in dist/
// beside the code that reads it (src/sandbox/cluster.ts), named by the PGlite version it was made with,
// and made again only when that version changes.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFreshCluster, pgliteVersion } from '../src/sandbox/cluster.js';

const DIST = join(dirname(dirname(fileURLToPath(import.meta.url))), 'dist');
const target = join(DIST, `pglite-${pgliteVersion()}-fresh.tar.gz`);

if (!existsSync(target)) {
  mkdirSync(DIST, { recursive: true });
  for (const old of readdirSync(DIST).filter((name) => /^pglite-.+-fresh\.tar\.gz$/.test(name))) rmSync(join(DIST, old));
  // Written then renamed: an interrupted build leaves no half-written tarball to start sandboxes from.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, await createFreshCluster());
  renameSync(tmp, target);
  console.log(`pgpro: made ${basename(target)} (the cluster every sandbox starts from)`);
}
