// Helpers shared by the reporters: counting, grouping, wording and making untrusted text safe to show.
import { ownPackageJson } from '../package-file.js';
import { compareFindings, severityRank, sortFindings } from '../finding.js';
import { plural } from '../text/grammar.js';
import type { Finding, MigrationStatus, ReviewResult, Severity } from '../types.js';

export { formatDuration, formatNumber, plural } from '../text/grammar.js';

interface PackageInfo {
  version?: string;
  repository?: string | { url?: string };
}

function readPackage(): PackageInfo {
  try {
    return ownPackageJson() as PackageInfo;
  } catch {
    return {};
  }
}

/** https://github.com/owner/name from package.json's repository field (a string or { url }). */
export function repositoryUrl(repository: PackageInfo['repository']): string | undefined {
  const raw = typeof repository === 'string' ? repository : repository?.url;
  if (!raw) return undefined;
  const short = /^(?:github:)?([\w.-]+\/[\w.-]+)$/.exec(raw);
  if (short) return `https://github.com/${short[1]}`;
  const match = /github\.com[/:]([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(raw);
  return match ? `https://github.com/${match[1]}` : undefined;
}

const PACKAGE = readPackage();

/**
 * Where rule pages live by default: the docs of the version that wrote the report (package.json's
 * repository at the version's tag), so a link never points at a page that changed since.
 */
export const RULE_DOCS_BASE_URL = `${repositoryUrl(PACKAGE.repository) ?? 'https://github.com/pgpro-dev/pgpro'}/blob/v${PACKAGE.version ?? '0.0.0'}/docs/rules/`;

/** GitHub's limit for a comment body, a check run summary and a check run text, in UTF-8 bytes. */
export const GITHUB_TEXT_LIMIT = 65_535;

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * A rule's page. `base` is a config `docs-url` or the App's own pages (`…/pgpro/rules/`): a base without
 * `.md` pages ends in `/` and takes the id alone; the default (the repository at this version) takes `<id>.md`.
 */
export function ruleDocUrl(rule: string, base: string = RULE_DOCS_BASE_URL): string {
  const page = encodeURIComponent(rule.startsWith('agent/') ? 'agent' : rule);
  if (base === RULE_DOCS_BASE_URL || /\/docs\/rules\/$/.test(base)) return `${base}${page}.md`;
  return `${base.endsWith('/') ? base : `${base}/`}${page}`;
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Shorten to at most `max` UTF-8 bytes (never splitting a character), marking the cut. */
export function clipBytes(text: string, max: number): string {
  if (byteLength(text) <= max) return text;
  const bytes = Buffer.from(text, 'utf8').subarray(0, Math.max(0, max - 3));
  // A cut inside a multi-byte character decodes to U+FFFD: drop it.
  return `${bytes.toString('utf8').replace(/\uFFFD+$/, '')}…`;
}

/** The hazards a finding stands for: one per statement it covers. */
export function hazardIds(finding: Finding): string[] {
  return finding.occurrences?.map((o) => o.fingerprint) ?? [finding.fingerprint];
}

/**
 * Notes about what the sandbox did for itself (synthetic rows it could or could not add, snapshots it
 * restored): true, but nothing for the author to act on.
 */
export function isBackgroundNote(note: string): boolean {
  return (
    /^[^\s:]+\.[^\s:]+: (not filled|filled with|\d+ of \d+ rows)/.test(note) ||
    /^synthetic data: /i.test(note) ||
    /^Restored \d+ history migrations? from the snapshot cache/.test(note) ||
    /^Snapshot cache: /.test(note)
  );
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

const SEVERITY_NOUNS: Record<Severity, [string, string]> = {
  error: ['error', 'errors'],
  warning: ['warning', 'warnings'],
  info: ['info', 'info'],
};

/** "2 errors, 1 warning" — severities with no findings are left out unless `all`. */
export function formatCounts(counts: SeverityCounts, all = false): string {
  const parts = SEVERITIES.filter((s) => all || counts[s] > 0).map((s) =>
    plural(counts[s], SEVERITY_NOUNS[s][0], SEVERITY_NOUNS[s][1]),
  );
  return parts.join(', ');
}

/** One line that says what was found and where: the check run title and the summary header. */
export function resultTitle(result: ReviewResult): string {
  const unreviewed = notReviewedTitle(result);
  if (result.findings.length === 0) {
    return unreviewed ?? (newMigrations(result).length === 0 ? 'No new migrations to review' : 'No migration hazards found');
  }
  const files = new Set(result.findings.map((f) => f.file)).size;
  const counts = `${formatCounts(countBySeverity(result.findings))} in ${plural(files, 'migration')}`;
  return unreviewed ? `${unreviewed}; ${counts}` : counts;
}

/**
 * "Not reviewed: 2 of 3 new migrations", when a new migration was left out for a reason other than a
 * failure before it (which its own finding reports).
 */
export function notReviewedTitle(result: ReviewResult): string | undefined {
  const left = (result.notReviewed ?? []).filter((m) => m.reason !== 'earlier-migration-failed');
  if (left.length === 0) return undefined;
  const total = newMigrations(result).length;
  return `Not reviewed: ${left.length} of ${plural(total, 'new migration')}`;
}

/** Per file: "not reviewed: <why>" for a skipped or not-run new migration. */
export function notReviewedReason(result: ReviewResult, file: string): string | undefined {
  const entry = result.notReviewed?.find((m) => m.file === file);
  return entry ? `not reviewed: ${entry.message}` : undefined;
}

/** "-- pgpro-ignore-file a, b (line 3)" per waiver of the new migrations. */
export function waiverLines(result: ReviewResult): string[] {
  return (result.waivers ?? []).map((w) => `${w.file}:${w.line} waives ${w.rules.join(', ')} for the whole file (pgpro-ignore-file)`);
}

export function engineLabel(engine: { name: 'pglite' | 'postgres'; version: string }): string {
  return `${engine.name === 'pglite' ? 'PGlite' : 'PostgreSQL'} ${engine.version}`;
}

/** Findings in report order, grouped by file (files in path order). */
export function groupByFile(findings: readonly Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of sortFindings([...findings])) {
    const group = groups.get(finding.file);
    if (group) group.push(finding);
    else groups.set(finding.file, [finding]);
  }
  return groups;
}

/** Worst first; ties keep report order. The order in which findings survive a size cut. */
export function byImportance(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || compareFindings(a, b));
}

/**
 * The migrations this change adds. `migrations` lists the replayed history first and the new ones last;
 * a file whose source is attached is new too.
 */
export function newMigrations(result: ReviewResult): MigrationStatus[] {
  const firstNew = result.migrations.length - Math.max(0, result.stats.migrationsNew);
  const sources = result.sources ?? {};
  // An edited history file is listed twice: as history (its base version) and, among the new, as the edit.
  const edits = new Set(result.migrations.filter((m) => m.edit).map((m) => m.file));
  return result.migrations.filter((m, index) => index >= firstNew || (Object.hasOwn(sources, m.file) && !edits.has(m.file)));
}

export interface ExcerptLine {
  number: number;
  text: string;
}

// Reports take the excerpts of one file's findings one after the other: its lines are split once.
let lastSource: string | undefined;
let lastLines: string[] = [];
function linesOf(source: string): string[] {
  if (source !== lastSource) {
    lastSource = source;
    lastLines = source.split(/\r?\n/);
  }
  return lastLines;
}

/** Lines line..endLine of a source, at most `max` of them; `truncated` says lines were left out. */
export function excerpt(
  source: string | undefined,
  line: number,
  endLine: number,
  max = 8,
): { lines: ExcerptLine[]; truncated: boolean } {
  if (source === undefined || line < 1) return { lines: [], truncated: false };
  const all = linesOf(source);
  const last = Math.min(Math.max(endLine, line), all.length);
  const lines: ExcerptLine[] = [];
  for (let n = line; n <= last && lines.length < max; n++) lines.push({ number: n, text: all[n - 1] ?? '' });
  return { lines, truncated: last - line + 1 > lines.length };
}

/**
 * Migration text, messages and evidence are untrusted: a terminal must not receive their control
 * characters (ANSI escapes could rewrite the screen). Tabs and newlines stay.
 */
export function stripControl(text: string): string {
  // Most text has none: tested first, it is returned as is without building a copy.
  return CONTROL.test(text) ? text.replace(CONTROLS, '\uFFFD') : text;
}
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Shorten to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
