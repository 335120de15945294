// What names pgpro's own code in the keys of its caches. A cached snapshot, parse or lint result is the
// work of pgpro's code as much as of its input, and the version changes only with a release: a build
// that changes how a history replays or a rule reads must not be answered from what an earlier build of
// the same version wrote. The build (scripts/bundle-cli.ts) writes the hash of the sources it compiled
// to dist/build-id.json; run from the sources (tests, tsx), the sources are hashed when first needed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCrypto } from './node-crypto.js';
import { packageFile } from './package-file.js';
import { VERSION } from './version.js';

/** Relative to pgpro's package root. */
export const BUILD_ID_FILE = 'dist/build-id.json';

/** What the hash covers, relative to the package root: the code, and the dependencies it was built with. */
const SOURCES = ['src', 'package-lock.json'];

/** The hash of pgpro's sources under `root`: every file's path and bytes, in a fixed order. */
export function sourceTreeHash(root: string): string {
  const hash = nodeCrypto().createHash('sha256');
  const add = (relative: string): void => {
    const path = join(root, relative);
    let names;
    try {
      names = readdirSync(path);
    } catch {
      hash.update(`${relative}\0`).update(readFileOrEmpty(path)).update('\0');
      return;
    }
    for (const name of names.sort()) add(`${relative}/${name}`);
  };
  for (const source of SOURCES) add(source);
  return hash.digest('hex');
}

function readFileOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

const FROM_SOURCES = import.meta.url.endsWith('.ts');

let id: string | undefined;

/** pgpro's version and the hash of the code running: the part of every cache key that names pgpro. */
export function codeId(): string {
  // A build without its id (tsc alone) is named by the version, as before ids existed.
  id ??= FROM_SOURCES ? `${VERSION}+${sourceTreeHash(fileURLToPath(packageFile('.')))}` : (builtCodeId() ?? `${VERSION}+unbuilt`);
  return id;
}

let built: string | undefined | null = null;

/** The code id a build wrote for itself; none when run from the sources, or from a build without one. */
export function builtCodeId(): string | undefined {
  if (built !== null) return built;
  built = undefined;
  if (FROM_SOURCES) return built;
  try {
    const parsed = JSON.parse(readFileSync(packageFile(BUILD_ID_FILE), 'utf8')) as { id?: unknown };
    if (typeof parsed.id === 'string') built = `${VERSION}+${parsed.id}`;
  } catch {
    // none
  }
  return built;
}
