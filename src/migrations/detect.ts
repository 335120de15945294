// Which files of a tree are migrations, of which tool, in what order — from paths alone.
//
// Discovery heuristics (auto mode, no configured globs):
//  - Never looked at: anything under node_modules, vendor, .git, test(s), __tests__, spec(s),
//    fixtures, testdata, queries, seed(s), dist, build, target; un-numbered files named like seeds
//    or dumps (seed.sql, seeds.sql, schema.sql, structure.sql, dump.sql, data.sql).
//  - Shapes decided by names: `<dir>/migration.sql` (Prisma), `<dir>/up.sql` (diesel),
//    `V1__x.sql`/`R__x.sql`/`U1__x.sql` (Flyway), `<n>_<name>.up.sql` (golang-migrate, or sqlx when a
//    Cargo.toml sits next to the directory), a `sqitch.plan` with its `deploy/` scripts.
//  - Other `.sql` files form a plain directory when the directory's path mentions "migrat"
//    (migrations, db/migrate …) or when it holds two or more files that all start with a number.
//    Under supabase/migrations they are Supabase's; next to a Cargo.toml, sqlx's; a plain file whose
//    text has `-- migrate:up` turns out to be dbmate's once read (`needsContentCheck`).
// Configured globs replace these heuristics: every `.sql` file they match is a migration.
// Each directory is its own ordered sequence; sequences follow each other in directory path order.

import picomatch from 'picomatch';
import type { Convention } from '../types.js';
import { compareDigits, compareFlywayVersions, compareLexical, flywayVersionParts } from './order.js';

export type MigrationOrder = 'auto' | 'lexical' | 'numeric';

export interface DetectOptions {
  /** Force one tool's conventions; files that cannot belong to it are left out. */
  convention?: Convention | 'auto';
  /** Globs (or plain directory/file paths) of migrations; replaces the discovery heuristics. */
  globs?: readonly string[];
  /** Order of plain directories: by leading number when every file has one (auto), or forced. */
  order?: MigrationOrder;
}

export interface MigrationCandidate {
  path: string;
  convention: Convention;
  version: string;
  name: string;
  kind: 'versioned' | 'repeatable' | 'undo';
  downPath?: string;
  /** Reading the file may still change the convention (plain → dbmate) or the order (sqitch plan). */
  needsContentCheck?: boolean;
  /** The migration directory this file belongs to (one ordered sequence per directory). */
  directory: string;
}

const EXCLUDED_SEGMENTS = new Set([
  'node_modules', 'vendor', '.git', 'test', 'tests', '__tests__', 'spec', 'specs', 'fixtures',
  '__fixtures__', 'testdata', 'queries', 'query', 'seed', 'seeds', 'seeders', 'dist', 'build', 'target',
]);
const EXCLUDED_FILE = /^(seeds?|seed[-_.].*|schema|structure|dump|data|.*[-_.]dump)\.sql$/i;

const FLYWAY = /^([VU])(\d[\d._]*)__(.+)\.sql$/;
const FLYWAY_REPEATABLE = /^R__(.+)\.sql$/;
const UP_DOWN = /^(\d+)_(.+)\.(up|down)\.sql$/;
const NUMBERED = /^(\d+)(?:[-_.]?(.*))?\.sql$/;
const DIR_VERSION = /^([\d-]+)_(.+)$/;

const dirname = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

export function isExcludedByHeuristics(path: string): boolean {
  const segments = path.split('/');
  const file = segments.pop()!;
  if (segments.some((s) => EXCLUDED_SEGMENTS.has(s.toLowerCase()))) return true;
  return !/^\d/.test(file) && EXCLUDED_FILE.test(file);
}

function globFilter(globs: readonly string[]): (path: string) => boolean {
  const matchers = globs.map((glob) => {
    const clean = glob.replace(/^\.\//, '').replace(/\/+$/, '');
    if (clean === '' || clean === '.') return () => true;
    if (!picomatch.scan(clean).isGlob) return (p: string) => p === clean || p.startsWith(`${clean}/`);
    const match = picomatch(clean, { dot: true });
    return (p: string) => match(p) || match(dirname(p));
  });
  return (path) => matchers.some((m) => m(path));
}

interface Group {
  directory: string;
  candidates: MigrationCandidate[];
}

/** Migration files among `paths`, in apply order. Pure: looks at paths only. */
export function detectMigrations(paths: readonly string[], options: DetectOptions = {}): MigrationCandidate[] {
  const forced = options.convention && options.convention !== 'auto' ? options.convention : undefined;
  const explicit = (options.globs?.length ?? 0) > 0;
  const inScope = explicit ? globFilter(options.globs!) : (p: string) => !isExcludedByHeuristics(p);
  const all = new Set(paths);
  const sql = paths.filter((p) => /\.sql$/i.test(p) && inScope(p));
  const claimed = new Set<string>();
  const groups: Group[] = [];
  const allows = (...conventions: Convention[]) => !forced || conventions.includes(forced);

  // sqitch: a plan file owns deploy/, revert/ and verify/ next to it.
  for (const plan of paths.filter((p) => basename(p) === 'sqitch.plan' && (explicit || !isExcludedByHeuristics(p)))) {
    const root = dirname(plan);
    const under = (sub: string) => sql.filter((p) => p.startsWith(`${join(root, sub)}/`));
    const deploy = under('deploy');
    for (const p of [...deploy, ...under('revert'), ...under('verify')]) claimed.add(p);
    if (!allows('sqitch') || deploy.length === 0) continue;
    const candidates = deploy.sort(compareLexical).map((path): MigrationCandidate => {
      const change = path.slice(join(root, 'deploy').length + 1, -'.sql'.length);
      const revert = join(root, `revert/${change}.sql`);
      return withDown({ path, convention: 'sqitch', version: '', name: change, kind: 'versioned', needsContentCheck: true, directory: root }, all.has(revert) ? revert : undefined);
    });
    groups.push({ directory: root, candidates });
  }

  // Prisma (`<root>/<ts>_<name>/migration.sql`) and diesel (`<root>/<version>_<name>/up.sql`).
  const nested = new Map<string, { convention: 'prisma' | 'diesel'; files: string[] }>();
  for (const path of sql) {
    if (claimed.has(path)) continue;
    const file = basename(path);
    const convention = file === 'migration.sql' ? 'prisma' : file === 'up.sql' || file === 'down.sql' ? 'diesel' : undefined;
    if (!convention || dirname(path) === '') continue;
    claimed.add(path);
    if (!allows(convention) || file === 'down.sql') continue;
    const root = dirname(dirname(path));
    const key = `${convention}\0${root}`;
    const entry = nested.get(key) ?? { convention, files: [] };
    entry.files.push(path);
    nested.set(key, entry);
  }
  for (const [key, { convention, files }] of nested) {
    const root = key.slice(key.indexOf('\0') + 1);
    const candidates = files.map((path): MigrationCandidate => {
      const dir = basename(dirname(path));
      const match = DIR_VERSION.exec(dir);
      const version = match ? (convention === 'diesel' ? match[1]!.replace(/-/g, '') : match[1]!) : dir;
      const down = join(dirname(path), 'down.sql');
      return withDown(
        { path, convention, version, name: match ? match[2]! : dir, kind: 'versioned', directory: root },
        convention === 'diesel' && all.has(down) ? down : undefined,
      );
    });
    // Prisma sorts migration folders by name; diesel by version, then name.
    candidates.sort((a, b) =>
      convention === 'diesel'
        ? compareLexical(a.version, b.version) || compareLexical(a.path, b.path)
        : compareLexical(a.path, b.path),
    );
    groups.push({ directory: root, candidates });
  }

  // Everything else, one directory at a time.
  const byDir = new Map<string, string[]>();
  for (const path of sql) {
    if (claimed.has(path)) continue;
    const dir = dirname(path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), path]);
  }
  const flyway = new Map<string, string[]>();
  for (const [dir, files] of byDir) {
    const names = files.map(basename);
    if (names.some((n) => FLYWAY.test(n) || FLYWAY_REPEATABLE.test(n))) {
      if (!allows('flyway')) continue;
      // Flyway scans its location recursively: one sequence per `db/migration` location.
      const location = /^(.*?(?:^|\/)db\/migration)(?:\/|$)/.exec(dir)?.[1] ?? dir;
      flyway.set(location, [...(flyway.get(location) ?? []), ...files]);
    } else if (names.some((n) => UP_DOWN.test(n))) {
      if (!allows('golang-migrate', 'sqlx')) continue;
      const convention = forced ?? (hasCargoManifest(all, dir) ? 'sqlx' : 'golang-migrate');
      groups.push({ directory: dir, candidates: upDownCandidates(files, convention as 'golang-migrate' | 'sqlx', dir) });
    } else {
      if (!allows('plain', 'dbmate', 'supabase', 'sqlx')) continue;
      const numbered = names.filter((n) => NUMBERED.test(n)).length;
      const qualifies =
        explicit || /migrat/i.test(dir) || (numbered >= 2 && numbered === names.length) || (forced !== undefined && numbered > 0);
      if (!qualifies) continue;
      const convention: Convention =
        forced ?? (/(^|\/)supabase\/migrations$/.test(dir) ? 'supabase' : hasCargoManifest(all, dir) && numbered === names.length ? 'sqlx' : 'plain');
      const candidates = flatCandidates(files, convention, dir, options.order ?? 'auto', forced === undefined);
      if (candidates.length > 0) groups.push({ directory: dir, candidates });
    }
  }
  for (const [location, files] of flyway) groups.push({ directory: location, candidates: flywayCandidates(files, location) });

  groups.sort((a, b) => compareLexical(a.directory, b.directory));
  return groups.flatMap((g) => g.candidates);
}

function withDown(candidate: MigrationCandidate, downPath: string | undefined): MigrationCandidate {
  if (downPath !== undefined) candidate.downPath = downPath;
  return candidate;
}

function hasCargoManifest(all: ReadonlySet<string>, dir: string): boolean {
  return all.has(join(dir, 'Cargo.toml')) || all.has(join(dirname(dir), 'Cargo.toml'));
}

function upDownCandidates(files: string[], convention: 'golang-migrate' | 'sqlx', dir: string): MigrationCandidate[] {
  const downs = new Map<string, string>();
  const ups: { path: string; version: string; name: string }[] = [];
  for (const path of files) {
    const match = UP_DOWN.exec(basename(path));
    if (!match) continue; // both tools ignore files outside their naming scheme
    if (match[3] === 'down') downs.set(match[1]!.replace(/^0+(?=\d)/, ''), path);
    else ups.push({ path, version: match[1]!, name: match[2]! });
  }
  return ups
    .sort((a, b) => compareDigits(a.version, b.version) || compareLexical(a.path, b.path))
    .map((u) =>
      withDown({ path: u.path, convention, version: u.version, name: u.name, kind: 'versioned', directory: dir }, downs.get(u.version.replace(/^0+(?=\d)/, ''))),
    );
}

function flatCandidates(files: string[], convention: Convention, dir: string, order: MigrationOrder, mayBeDbmate: boolean): MigrationCandidate[] {
  const entries = files.map((path) => {
    const file = basename(path);
    const match = NUMBERED.exec(file);
    return { path, file, version: match?.[1], name: match ? match[2] || file.slice(0, -4) : file.slice(0, -4) };
  });
  // Only plain directories run un-numbered files; the tools require a version prefix.
  const usable = convention === 'plain' ? entries : entries.filter((e) => e.version !== undefined);
  const allNumbered = usable.every((e) => e.version !== undefined);
  const numeric = convention === 'sqlx' || (convention === 'plain' && (order === 'numeric' || (order === 'auto' && allNumbered)));
  usable.sort((a, b) => {
    if (numeric) {
      if (a.version === undefined || b.version === undefined) {
        if (a.version !== b.version) return a.version === undefined ? 1 : -1;
      } else {
        const diff = compareDigits(a.version, b.version);
        if (diff !== 0) return diff;
      }
    }
    return compareLexical(a.file, b.file);
  });
  return usable.map((e) => {
    const candidate: MigrationCandidate = { path: e.path, convention, version: e.version ?? e.file.slice(0, -4), name: e.name, kind: 'versioned', directory: dir };
    if (convention === 'plain' && mayBeDbmate) candidate.needsContentCheck = true;
    return candidate;
  });
}

function flywayCandidates(files: string[], location: string): MigrationCandidate[] {
  const versioned: MigrationCandidate[] = [];
  const undo: MigrationCandidate[] = [];
  const repeatable: MigrationCandidate[] = [];
  for (const path of files) {
    const file = basename(path);
    const match = FLYWAY.exec(file);
    if (match) {
      const version = flywayVersionParts(match[2]!).join('.');
      const entry: MigrationCandidate = { path, convention: 'flyway', version, name: match[3]!, kind: match[1] === 'U' ? 'undo' : 'versioned', directory: location };
      (match[1] === 'U' ? undo : versioned).push(entry);
      continue;
    }
    const rep = FLYWAY_REPEATABLE.exec(file);
    if (rep) repeatable.push({ path, convention: 'flyway', version: '', name: rep[1]!, kind: 'repeatable', directory: location });
    // Anything else (beforeMigrate.sql, afterMigrate.sql …) is a Flyway callback, not a migration.
  }
  versioned.sort((a, b) => compareFlywayVersions(a.version, b.version) || compareLexical(a.path, b.path));
  repeatable.sort((a, b) => compareLexical(a.name, b.name) || compareLexical(a.path, b.path));
  const unmatched: MigrationCandidate[] = [];
  for (const u of undo) {
    const target = versioned.find((v) => compareFlywayVersions(v.version, u.version) === 0);
    if (target && target.downPath === undefined) target.downPath = u.path;
    else unmatched.push(u);
  }
  return [...versioned, ...repeatable, ...unmatched];
}
