// Which PostgreSQL extensions the PGlite sandbox can load, and how. PGlite ships contrib modules as
// separate imports (`@electric-sql/pglite/contrib/<module>`) that must be passed when the instance is
// constructed; CREATE EXTENSION of anything else fails with "extension … is not available".
// pgvector is not a contrib module: it is published apart as @electric-sql/pglite-pgvector, whose
// bundle is loaded the same way (see package.json for why its version is pinned with PGlite's).
import type { Extension } from '@electric-sql/pglite';

/** Always present in the cluster: nothing to load. */
const BUILT_IN = new Set(['plpgsql']);

/** CREATE EXTENSION name → PGlite contrib module that provides it. */
const CONTRIB_MODULE: Record<string, string> = {
  amcheck: 'amcheck',
  bloom: 'bloom',
  btree_gin: 'btree_gin',
  btree_gist: 'btree_gist',
  citext: 'citext',
  cube: 'cube',
  dict_int: 'dict_int',
  dict_xsyn: 'dict_xsyn',
  earthdistance: 'earthdistance',
  file_fdw: 'file_fdw',
  fuzzystrmatch: 'fuzzystrmatch',
  hstore: 'hstore',
  intarray: 'intarray',
  isn: 'isn',
  lo: 'lo',
  ltree: 'ltree',
  pageinspect: 'pageinspect',
  pg_buffercache: 'pg_buffercache',
  pg_freespacemap: 'pg_freespacemap',
  pg_stat_statements: 'pg_stat_statements',
  pg_surgery: 'pg_surgery',
  pg_trgm: 'pg_trgm',
  pg_visibility: 'pg_visibility',
  pg_walinspect: 'pg_walinspect',
  pgcrypto: 'pgcrypto',
  seg: 'seg',
  tablefunc: 'tablefunc',
  tcn: 'tcn',
  tsm_system_rows: 'tsm_system_rows',
  tsm_system_time: 'tsm_system_time',
  unaccent: 'unaccent',
  'uuid-ossp': 'uuid_ossp',
  // The "spi" bundle holds all four of these; PGlite exports it under the name moddatetime.
  moddatetime: 'moddatetime',
  autoinc: 'moddatetime',
  insert_username: 'moddatetime',
  refint: 'moddatetime',
  // Not in PGlite's package: loaded from @electric-sql/pglite-pgvector (PACKAGED below).
  vector: 'vector',
};

/** Modules that live in their own package rather than under @electric-sql/pglite/contrib. */
const PACKAGED: Record<string, () => Promise<Extension | undefined>> = {
  vector: async () => (await import('@electric-sql/pglite-pgvector')).vector,
};

/** The extensions PGlite can create here, for notes and docs: built-in and loadable ones, sorted. */
export function supportedExtensions(): string[] {
  return [...BUILT_IN, ...Object.keys(CONTRIB_MODULE)].sort();
}

/** Extensions whose CREATE EXTENSION … CASCADE needs another one installed too. */
const REQUIRES: Record<string, string[]> = { earthdistance: ['cube'] };

function normalize(name: string): string {
  return name.trim().replace(/^"|"$/g, '').toLowerCase();
}

export function isSupportedExtension(name: string): boolean {
  const n = normalize(name);
  return BUILT_IN.has(n) || n in CONTRIB_MODULE;
}

const CREATE_EXTENSION = /\bcreate\s+extension\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][a-z0-9_$-]*)/gi;

/** Names of the extensions created by `sql`, lower-cased, in order, without duplicates. */
export function extensionsIn(sql: string): string[] {
  const names = new Set<string>();
  for (const match of sql.matchAll(CREATE_EXTENSION)) {
    const raw = match[1] ?? '';
    names.add(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase());
  }
  return [...names];
}

/** The PGlite modules to load for the given CREATE EXTENSION names (unsupported names are ignored). */
export function contribModulesFor(names: readonly string[]): string[] {
  const modules = new Set<string>();
  const add = (name: string): void => {
    const n = normalize(name);
    for (const dep of REQUIRES[n] ?? []) add(dep);
    const module = CONTRIB_MODULE[n];
    if (module) modules.add(module);
  };
  names.forEach(add);
  return [...modules];
}

/** Imports the PGlite contrib modules, keyed as PGlite's `extensions` option expects. */
export async function loadContribModules(modules: readonly string[]): Promise<Record<string, Extension>> {
  const loaded: Record<string, Extension> = {};
  for (const module of modules) {
    const packaged = PACKAGED[module];
    if (packaged) {
      const extension = await packaged();
      if (!extension) throw new Error(`the package providing ${module} does not export it`);
      loaded[module] = extension;
      continue;
    }
    if (!/^[a-z_]+$/.test(module)) throw new Error(`not a PGlite contrib module: ${module}`);
    const imported = (await import(`@electric-sql/pglite/contrib/${module}`)) as Record<string, Extension>;
    const extension = imported[module];
    if (!extension) throw new Error(`@electric-sql/pglite/contrib/${module} does not export ${module}`);
    loaded[module] = extension;
  }
  return loaded;
}
