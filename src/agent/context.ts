// The facts Claude reviews with, each as compact text: what every statement did in the sandbox, the
// deterministic findings (one line for info), the tables the change touches with their foreign-key
// neighbours and stated sizes, the plans of the application's queries, and the rest of the pull
// request. Each renderer also gives a "key" variant without run-to-run noise (durations), so that an
// identical change finds Claude's earlier answer in the cache.
import { LOCK_NAME, strongest } from '../trace/locks.js';
import type { CatalogSnapshot, CatalogTable, Finding, LockMode } from '../types.js';
import { qualifiedName, renderTable } from './catalog-text.js';
import type { AgentQueryPlan, AgentStatement, TableSize } from './types.js';

export interface Rendered {
  text: string;
  /** The same without values that differ between identical runs. */
  key: string;
}

const DATA_TAGS =
  /<(\/?)(migration|statements|findings|schema|query_plans|pr_diff|untrusted|omitted|schema_before)\b/gi;

/** Text inside a data block must not be able to close it and speak outside it. */
export function neutraliseTags(text: string): string {
  return text.replace(DATA_TAGS, '&lt;$1$2');
}

/** Relfilenodes and oids change with every run and say nothing a reviewer needs. */
export function withoutVolatileNumbers(text: string): string {
  return text
    .replace(/relfilenode \d+ → \d+/g, 'relfilenode changed')
    .replace(/\b(oid|relfilenode)[ =]\d+/gi, '$1 …');
}

export function shortTable(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name;
}

function lineSpan(line: number, endLine: number): string {
  return endLine > line ? `${line}-${endLine}` : String(line);
}

function rows(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function duration(ms: number): string {
  if (ms < 1) return '<1';
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

// ---- per-statement table ------------------------------------------------------------------------

function locksCell(statement: AgentStatement): string {
  const observation = statement.observation;
  if (!observation) return '?';
  const acquired = (observation as { acquired?: typeof observation.locks }).acquired ?? observation.locks;
  const byTable = new Map<string, LockMode[]>();
  for (const lock of acquired) {
    if (lock.kind !== 'table') continue;
    byTable.set(lock.relation, [...(byTable.get(lock.relation) ?? []), lock.mode]);
  }
  const byMode = new Map<string, string[]>();
  for (const [table, modes] of byTable) {
    const mode = strongest(modes);
    if (!mode) continue;
    byMode.set(LOCK_NAME[mode], [...(byMode.get(LOCK_NAME[mode]) ?? []), shortTable(table)]);
  }
  if (byMode.size === 0) return '-';
  return [...byMode].map(([mode, tables]) => `${mode} ${tables.sort().join(', ')}`).join('; ');
}

/** One row per statement: line, locks taken, rewrite, rows scanned, duration, lock_timeout. */
export function renderStatements(statements: readonly AgentStatement[]): Rendered | undefined {
  if (statements.length === 0) return undefined;
  const header =
    'What the sandbox observed each statement do (synthetic rows; durations are the sandbox\'s, not production\'s; ' +
    'locks taken on tables that existed before, held until the statement\'s transaction ends):';
  const text: string[] = [header];
  const key: string[] = [header];
  let file: string | undefined;
  for (const s of statements) {
    if (s.file !== file) {
      file = s.file;
      const heading = `${file}\nline | locks taken | rewrite | rows scanned | ms | lock_timeout`;
      text.push(heading);
      key.push(heading);
    }
    const where = lineSpan(s.line, s.endLine);
    if (s.status !== 'ok') {
      const row = `${where} | ${s.status === 'error' ? `FAILED: ${s.error ?? 'error'}` : 'not run'}`;
      text.push(row);
      key.push(row);
      continue;
    }
    const o = s.observation;
    const rewrite = o && o.rewrites.length ? o.rewrites.map(shortTable).join(', ') : '-';
    const scanned = o && o.scans.length ? o.scans.map((x) => `${shortTable(x.relation)} ${rows(x.rowsRead)}`).join(', ') : '-';
    const timeout = o ? o.lockTimeout : '?';
    text.push(`${where} | ${locksCell(s)} | ${rewrite} | ${scanned} | ${duration(s.durationMs)} | ${timeout}`);
    key.push(`${where} | ${locksCell(s)} | ${rewrite} | ${scanned} | · | ${timeout}`);
  }
  return { text: neutraliseTags(text.join('\n')), key: neutraliseTags(key.join('\n')) };
}

// ---- findings -----------------------------------------------------------------------------------

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Deterministic findings in the order they are shown, each with its id (F1, F2…). */
export function numberFindings(findings: readonly Finding[]): Map<string, Finding> {
  const sorted = [...findings].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.file.localeCompare(b.file) || a.line - b.line,
  );
  return new Map(sorted.map((f, i) => [`F${i + 1}`, f]));
}

function firstSentence(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.:;](\s|$)/);
  const sentence = end > 20 ? flat.slice(0, end + 1) : flat;
  return sentence.length > max ? `${sentence.slice(0, max - 1)}…` : sentence;
}

/** Evidence parts the per-statement table already says, or that say nothing. */
const REDUNDANT_EVIDENCE = /^(pg_locks:|seq scans on |changes: |rewrite: |lock_timeout |observed in the sandbox \(|\S+ exists before this change$)/;

/** Evidence without what the statement table already says (locks, scans, catalog changes, timeouts). */
function compactEvidence(evidence: string, max: number): string {
  const kept = withoutVolatileNumbers(evidence)
    .split('\n')
    .filter((line) => !/^\s*observed in the sandbox \(/.test(line)) // a merged finding's message: the table has its facts
    .map((line) => line.replace(/(^|;\s*)changes: .*?(?=;\s*lock_timeout |$)/, '$1'))
    .flatMap((line) => line.split(/;\s+/))
    .map((part) => part.trim())
    .filter((part) => part && !REDUNDANT_EVIDENCE.test(part))
    .join('; ')
    .replace(/\s+/g, ' ')
    .trim();
  return kept.length > max ? `${kept.slice(0, max - 1)}…` : kept;
}

/**
 * Times measured in a run: the lock-time estimate's range ("≈ 3–6 min") and the times it was measured at
 * ("120 ms"). The model is told them; the cache key leaves them out, as it leaves out the per-statement
 * table's durations, so that the same change finds its earlier answer whatever the machine's load was.
 */
export function withoutMeasuredTimes(text: string): string {
  return text
    .replace(/≈ \d[\d.,]*(?:–\d[\d.,]*)? (?:ms|s|min|h)\b/g, '≈ …')
    .replace(/\b\d[\d.,]* (?:ms|s|min|h)\b/g, '…');
}

/** A deterministic finding; its key is rendered from the finding without measured times, before any cut. */
export function renderFinding(id: string, f: Finding): Rendered {
  const steady: Finding = { ...f, message: withoutMeasuredTimes(f.message), ...(f.evidence ? { evidence: withoutMeasuredTimes(f.evidence) } : {}) };
  return { text: renderFindingText(id, f), key: withoutCosts(renderFindingText(id, steady)) };
}

function renderFindingText(id: string, f: Finding): string {
  const where = `${f.file}:${lineSpan(f.line, f.endLine)}`;
  if (f.severity === 'info') return neutraliseTags(`${id} info ${f.rule} ${where} — ${firstSentence(f.message, 160)}`);
  const lines = [`${id} ${f.severity} ${f.rule} ${where} — ${withoutVolatileNumbers(f.message.replace(/\s+/g, ' '))}`];
  if (f.fix) lines.push(`   fix: ${f.fix.title.replace(/\s+/g, ' ')}`);
  const evidence = f.evidence ? compactEvidence(f.evidence, 240) : '';
  if (evidence) lines.push(`   evidence: ${evidence}`);
  return neutraliseTags(lines.join('\n'));
}

// ---- schema -------------------------------------------------------------------------------------

function sizeComment(table: CatalogTable, sizes: Record<string, TableSize> | undefined, sandboxRows: Record<string, number> | undefined): string {
  const key = `${table.schema}.${table.name}`;
  const size = sizes?.[key];
  const production = size
    ? `production: ~${rows(size.rows)} rows${size.bytes ? `, ${formatBytes(size.bytes)}` : ''} (assumed, from ${size.source})`
    : 'production size: unknown';
  const synthetic = sandboxRows?.[key];
  return synthetic !== undefined ? `${production}; sandbox: ${rows(synthetic)} synthetic rows` : production;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A table's CREATE TABLE text with the size line replacing the catalog's (pre-fill) row estimate. */
export function renderSizedTable(table: CatalogTable, sizes?: Record<string, TableSize>, sandboxRows?: Record<string, number>): string {
  const text = renderTable(table).replace(/ -- ~[\d,]+ rows$/m, ` -- ${sizeComment(table, sizes, sandboxRows)}`);
  return neutraliseTags(withoutVolatileNumbers(text));
}

/**
 * A foreign-key neighbour in one line per key that links it to a touched table: what a reviewer needs
 * from it (the delete path, whether the referencing side is indexed, its size), not its whole shape.
 */
export function renderNeighbour(
  table: CatalogTable,
  touched: readonly CatalogTable[],
  sizes?: Record<string, TableSize>,
  sandboxRows?: Record<string, number>,
): string {
  const name = `${table.schema}.${table.name}`;
  const lines: string[] = [];
  const indexed = (t: CatalogTable, columns: string[]) =>
    t.indexes.some((i) => i.valid && columns.every((c, n) => i.columns[n] === c)) ? 'indexed' : 'no index on these columns';
  for (const fk of table.constraints) {
    if (fk.type !== 'f' || !touched.some((t) => `${t.schema}.${t.name}`.toLowerCase() === fk.references?.toLowerCase())) continue;
    lines.push(`  ${fk.definition} (${indexed(table, fk.columns)})`);
  }
  for (const t of touched) {
    for (const fk of t.constraints) {
      if (fk.type !== 'f' || fk.references?.toLowerCase() !== name.toLowerCase()) continue;
      lines.push(`  referenced by ${qualifiedName(t)}: ${fk.definition}`);
    }
  }
  const key = table.constraints.find((c) => c.type === 'p');
  return neutraliseTags(
    withoutVolatileNumbers(`-- ${qualifiedName(table)} (${sizeComment(table, sizes, sandboxRows)})${key ? `, ${key.definition}` : ''}\n${lines.join('\n')}`),
  );
}

export interface SchemaScope {
  touched: CatalogTable[];
  neighbours: CatalogTable[];
  others: CatalogTable[];
}

const MAX_NEIGHBOURS = 12;

/** The tables the change names, the tables they reference or are referenced by, and the rest. */
export function schemaScope(catalog: CatalogSnapshot, touchedNames: readonly string[]): SchemaScope {
  const byName = new Map(catalog.tables.map((t) => [`${t.schema}.${t.name}`.toLowerCase(), t]));
  const touched = new Set<CatalogTable>();
  for (const name of touchedNames) {
    const table = byName.get(name.toLowerCase());
    if (table) touched.add(table);
  }
  const neighbours = new Set<CatalogTable>();
  for (const table of catalog.tables) {
    if (touched.has(table)) continue;
    const refersToTouched = table.constraints.some(
      (c) => c.type === 'f' && c.references && touched.has(byName.get(c.references.toLowerCase())!),
    );
    const referencedByTouched = [...touched].some((t) =>
      t.constraints.some((c) => c.type === 'f' && c.references?.toLowerCase() === `${table.schema}.${table.name}`.toLowerCase()),
    );
    if (refersToTouched || referencedByTouched) neighbours.add(table);
  }
  const shownNeighbours = [...neighbours].slice(0, MAX_NEIGHBOURS);
  const shown = new Set([...touched, ...shownNeighbours]);
  return {
    touched: [...touched],
    neighbours: shownNeighbours,
    others: catalog.tables.filter((t) => !shown.has(t)),
  };
}

/** Extensions, and the enums and functions the shown tables use; the rest are counted. */
export function renderExtras(catalog: CatalogSnapshot, shown: readonly CatalogTable[]): string {
  const lines: string[] = [];
  if (catalog.extensions.length) lines.push(`-- extensions: ${catalog.extensions.join(', ')}`);
  const types = new Set(shown.flatMap((t) => t.columns.map((c) => c.type.replace(/\[\]$/, '').toLowerCase())));
  const used = catalog.enums.filter((e) => types.has(e.name.toLowerCase()) || types.has(`${e.schema}.${e.name}`.toLowerCase()));
  for (const e of used) {
    lines.push(`CREATE TYPE ${e.schema}.${e.name} AS ENUM (${e.values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')});`);
  }
  if (catalog.enums.length > used.length) lines.push(`-- ${catalog.enums.length - used.length} other enum type(s): use run_query on pg_enum`);
  if (catalog.functions.length) {
    const volatility = { i: 'IMMUTABLE', s: 'STABLE', v: 'VOLATILE' } as const;
    const listed = catalog.functions.slice(0, 20).map((f) => `${f.schema}.${f.name} (${volatility[f.volatility]})`);
    const more = catalog.functions.length > listed.length ? ` and ${catalog.functions.length - listed.length} more` : '';
    lines.push(`-- functions: ${listed.join(', ')}${more}`);
  }
  return neutraliseTags(lines.join('\n'));
}

export function renderOtherTables(others: readonly CatalogTable[]): string {
  if (others.length === 0) return '';
  const names = others.slice(0, 80).map(qualifiedName);
  const more = others.length > names.length ? ` and ${others.length - names.length} more` : '';
  return neutraliseTags(`-- other tables (${others.length}; describe_table shows any of them): ${names.join(', ')}${more}`);
}

// ---- query plans --------------------------------------------------------------------------------

const MAX_PLAN_LINES = 8;

function planLines(plan: string): string {
  const lines = plan.split('\n');
  const kept = lines.slice(0, MAX_PLAN_LINES).map((l) => `      ${l}`);
  if (lines.length > MAX_PLAN_LINES) kept.push(`      … ${lines.length - MAX_PLAN_LINES} more plan lines`);
  return kept.join('\n');
}

/** Costs are estimates over the synthetic data's pages: kept out of the cache key. */
export function withoutCosts(text: string): string {
  return text
    .replace(/cost([ =])[\d.]+/g, 'cost$1…')
    .replace(/plan total [\d.]+/g, 'plan total …')
    .replace(/rows=\d+/g, 'rows=…');
}

export function renderPlan(id: string, plan: AgentQueryPlan): Rendered {
  const sql = plan.sql.replace(/\s+/g, ' ').trim();
  const head = `${id} ${plan.file}:${plan.line}${plan.name ? ` (${plan.name})` : ''}: ${sql.length > 240 ? `${sql.slice(0, 239)}…` : sql}`;
  const parts = [head];
  if (plan.before !== undefined && plan.after !== undefined && plan.before === plan.after) {
    parts.push(`   before = after:\n${planLines(plan.before)}`);
  } else {
    parts.push(plan.before !== undefined ? `   before:\n${planLines(plan.before)}` : '   before: not planned');
    if (plan.after !== undefined) parts.push(`   after:\n${planLines(plan.after)}`);
    else parts.push(`   after: ${plan.error ? `fails: ${plan.error}` : 'not planned'}`);
  }
  const text = neutraliseTags(parts.join('\n'));
  return { text, key: withoutCosts(text) };
}

// ---- the pull request's other files -------------------------------------------------------------

const SKIPPED_FILES = /(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|go\.sum|poetry\.lock|Gemfile\.lock|composer\.lock)$|\.(min\.js|map|svg|png|jpe?g|gif|ico|pdf|woff2?|ttf|snap)$|(^|\/)(dist|build|vendor|node_modules)\//;

export interface DiffParts {
  files: { path: string; text: string }[];
  /** Files the budget left out. */
  omitted: string[];
  /** Lockfiles, generated and binary files: never shown. */
  skipped: string[];
}

/**
 * The diff of the files that are not migrations, most relevant first (those naming a table the change
 * touches), each cut to a share of `budgetChars`; lockfiles, generated and binary files are left out.
 */
export function selectDiff(patches: Record<string, string>, exclude: ReadonlySet<string>, mentions: readonly string[], budgetChars: number): DiffParts {
  const candidates = Object.entries(patches).filter(([path]) => !exclude.has(path));
  const omitted: string[] = [];
  const skipped: string[] = [];
  const words = mentions.map((m) => m.toLowerCase()).filter((m) => m.length >= 3);
  const relevance = (patch: string) => {
    const lower = patch.toLowerCase();
    return words.filter((w) => lower.includes(w)).length;
  };
  const kept = candidates
    .filter(([path]) => {
      if (SKIPPED_FILES.test(path)) {
        skipped.push(path);
        return false;
      }
      return true;
    })
    .map(([path, patch]) => ({ path, patch, score: relevance(patch) }))
    .sort((a, b) => b.score - a.score || a.patch.length - b.patch.length || a.path.localeCompare(b.path));
  const files: { path: string; text: string }[] = [];
  let left = budgetChars;
  for (const [i, file] of kept.entries()) {
    const share = Math.max(400, Math.floor(left / (kept.length - i)));
    if (left < 200) {
      omitted.push(file.path);
      continue;
    }
    const allowed = Math.min(share * 2, left);
    const text = file.patch.length <= allowed ? file.patch : `${file.patch.slice(0, allowed)}\n… [${file.patch.length - allowed} more characters of this diff left out]`;
    files.push({ path: file.path, text: neutraliseTags(text) });
    left -= Math.min(text.length, allowed);
  }
  return { files, omitted, skipped };
}
