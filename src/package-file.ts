import { existsSync, readFileSync } from 'node:fs';

/**
 * A file of pgpro's own package, relative to its root: the nearest directory above this module that
 * holds a package.json. src/ and dist/ sit one level below the root, the bundled CLI (dist/bundle/)
 * two, and a module's own path says nothing about which of them it was built into.
 */
export function packageFile(relative: string): URL {
  let dir = new URL('./', import.meta.url);
  for (;;) {
    if (existsSync(new URL('package.json', dir))) return new URL(relative, dir);
    const up = new URL('../', dir);
    if (up.href === dir.href) throw new Error(`pgpro's package.json was not found above ${import.meta.url}`);
    dir = up;
  }
}

let manifest: unknown;

/** pgpro's package.json, parsed: read once per process (the version and the report's links both use it). */
export function ownPackageJson(): unknown {
  manifest ??= JSON.parse(readFileSync(packageFile('package.json'), 'utf8'));
  return manifest;
}
