// `npm run build`, last: the fresh cluster every sandbox starts from, made once here rather than by the
// first review on each machine. initdb in PGlite takes ~2-8 s and its process peaks at ~0.7-0.9 GB, more
// than a whole review of the bundled example; the gzipped data directory is ~3 MB. It is kept in dist/
// beside the code that reads it (src/sandbox/cluster.ts), named by the PGlite version it was made with,
// and made again when that version or the code that makes it changes (a digest of it beside the tarball).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFreshCluster, pgliteVersion } from '../src/sandbox/cluster.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DIST = join(ROOT, 'dist');
const target = join(DIST, `pglite-${pgliteVersion()}-fresh.tar.gz`);
const stamp = `${target}.source`;
const MAKERS = ['src/sandbox/cluster.ts', 'src/sandbox/dump.ts'];
const source = createHash('sha256')
  .update(pgliteVersion())
  .update(MAKERS.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\0'))
  .digest('hex');

if (!existsSync(target) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== source) {
  mkdirSync(DIST, { recursive: true });
  for (const old of readdirSync(DIST).filter((name) => /^pglite-.+-fresh\.tar\.gz(\.source)?$/.test(name))) rmSync(join(DIST, old));
  // Written then renamed: an interrupted build leaves no half-written tarball to start sandboxes from.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, await createFreshCluster());
  renameSync(tmp, target);
  writeFileSync(stamp, source);
  console.log(`pgpro: made ${basename(target)} (the cluster every sandbox starts from)`);
}
