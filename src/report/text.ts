// The terminal report: findings per file with the statement they point at, then migrations, notes, totals.
import type { Finding, MigrationStatus, ReviewResult, Severity } from '../types.js';
import type { SeverityCounts } from './common.js';
import {
  isBackgroundNote,
  countBySeverity,
  engineLabel,
  excerpt,
  formatCounts,
  formatDuration,
  groupByFile,
  newMigrations,
  notReviewedReason,
  notReviewedTitle,
  plural,
  resultTitle,
  stripControl,
  waiverLines,
} from './common.js';

export interface TextOptions {
  /** ANSI colors; the CLI decides (TTY, NO_COLOR). */
  color?: boolean;
}

const EXCERPT_MAX_LINES = 8;

type Style = (text: string) => string;

interface Palette {
  bold: Style;
  dim: Style;
  severity: Record<Severity, Style>;
  good: Style;
}

function ansi(code: number): Style {
  return (text) => (text === '' ? text : `\x1b[${code}m${text}\x1b[0m`);
}

const plain: Style = (text) => text;

function palette(color: boolean): Palette {
  if (!color) return { bold: plain, dim: plain, severity: { error: plain, warning: plain, info: plain }, good: plain };
  return {
    bold: ansi(1),
    dim: ansi(2),
    severity: { error: ansi(31), warning: ansi(33), info: ansi(36) },
    good: ansi(32),
  };
}

function indent(text: string, prefix: string): string[] {
  return text.split(/\r?\n/).map((line) => `${prefix}${line}`.trimEnd());
}

function renderFinding(finding: Finding, source: string | undefined, p: Palette): string[] {
  const out: string[] = [];
  const where = `${stripControl(finding.file)}:${finding.line}`;
  out.push(
    `  ${p.bold(where)}  ${p.severity[finding.severity](finding.severity)}  ${finding.rule}  ${stripControl(finding.message)}`,
  );

  const { lines, truncated } = excerpt(source, finding.line, finding.endLine, EXCERPT_MAX_LINES);
  if (lines.length > 0) {
    const width = String(lines[lines.length - 1]!.number).length;
    for (const { number, text } of lines) {
      out.push(`    ${p.dim(`${String(number).padStart(width)} │`)} ${stripControl(text)}`.trimEnd());
    }
    if (truncated) out.push(`    ${p.dim(`${' '.repeat(width)} │`)} …`);
  }

  if (finding.evidence) {
    out.push(`    ${p.dim('evidence:')}`);
    for (const line of indent(stripControl(finding.evidence), '      ')) out.push(p.dim(line));
  }

  const fix = finding.fix;
  if (fix) {
    const verified = fix.verified ? ` ${p.good('(verified)')}` : '';
    out.push(`    ${p.bold('fix:')} ${stripControl(fix.title)}${verified}`);
    fix.steps?.forEach((step, i) => out.push(`      ${i + 1}. ${stripControl(step)}`));
    if (fix.sql) out.push(...indent(stripControl(fix.sql), '      '));
  }
  return out;
}

function renderMigrations(result: ReviewResult, p: Palette): string[] {
  // `pgpro lint` ran nothing: there is no status to show per file.
  if (isStatic(result)) return [];
  const fresh = newMigrations(result);
  const history = result.migrations.length - fresh.length;
  const heading =
    `Migrations: ${fresh.length} new` + (history > 0 ? `, ${plural(history, 'history migration')} replayed` : '');
  if (fresh.length === 0) return [p.bold(heading)];

  const rows: string[][] = [['file', 'status', 'statements', 'ms']];
  for (const m of fresh) {
    rows.push([stripControl(m.file), m.edit ? `${m.status} (edit)` : m.status, String(m.statements), String(Math.round(m.durationMs))]);
  }
  const widths = [0, 1, 2, 3].map((col) => Math.max(...rows.map((row) => row[col]!.length)));
  const format = (row: string[]): string =>
    `  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]!.padStart(widths[2]!)}  ${row[3]!.padStart(widths[3]!)}`;

  const out = [p.bold(heading), p.dim(format(rows[0]!))];
  fresh.forEach((m: MigrationStatus, i) => {
    const line = format(rows[i + 1]!);
    out.push(m.status === 'failed' ? p.severity.error(line) : line);
    if (m.error) out.push(`    line ${m.error.line}: ${stripControl(m.error.message)}`);
    const reason = notReviewedReason(result, m.file);
    if (reason) out.push(p.severity.warning(`    ${stripControl(reason)}`));
  });
  return out;
}

export function renderText(result: ReviewResult, options: TextOptions = {}): string {
  const { sections, end } = renderTextParts(result, options);
  return `${[...sections.values()].join('')}${end}`;
}

/**
 * The text report in parts: each file's findings (files in report order, each part ending in a newline),
 * then the rest. `pgpro lint` keeps them apart, to print a run where one file changed without rendering
 * every other file's findings again.
 */
export function renderTextParts(result: ReviewResult, options: TextOptions = {}): { sections: Map<string, string>; end: string } {
  return { sections: renderTextSections(result.findings, result.sources, options), end: renderTextEnd(result, countBySeverity(result.findings), options) };
}

/** Each file's findings as the text report prints them, files in report order (each part ends in a newline). */
export function renderTextSections(findings: readonly Finding[], sources: Readonly<Record<string, string>> | undefined, options: TextOptions = {}): Map<string, string> {
  const p = palette(options.color ?? false);
  const sections = new Map<string, string>();
  for (const [file, inFile] of groupByFile(findings)) {
    const out = [`${p.bold(stripControl(file))} ${p.dim(`(${formatCounts(countBySeverity(inFile))})`)}`];
    for (const finding of inFile) out.push(...renderFinding(finding, sources?.[file], p), '');
    sections.set(file, `${out.join('\n')}\n`);
  }
  return sections;
}

/**
 * What the text report prints after the findings: migrations, waivers, notes, totals. `counts` are those
 * of every finding; `result.findings` is read only when there is none.
 */
export function renderTextEnd(result: ReviewResult, counts: SeverityCounts, options: TextOptions = {}): string {
  const p = palette(options.color ?? false);
  const out: string[] = [];
  const none = counts.error + counts.warning + counts.info === 0;

  const migrations = renderMigrations(result, p);
  if (migrations.length > 0) out.push(...migrations, '');

  const waivers = waiverLines(result);
  if (waivers.length > 0) {
    out.push(p.bold('Waivers:'), ...waivers.map((w) => `  - ${stripControl(w)}`), '');
  }

  if (result.notes.length > 0) {
    out.push(p.bold('Notes:'));
    // Notes about the sandbox's own synthetic data and cache are one line; --format json lists them.
    const background = result.notes.filter(isBackgroundNote);
    for (const note of result.notes.filter((n) => !isBackgroundNote(n))) {
      const [first = '', ...rest] = stripControl(note).split(/\r?\n/);
      out.push(`  - ${first}`.trimEnd(), ...rest.map((line) => `    ${line}`.trimEnd()));
    }
    if (background.length) out.push(p.dim(`  - ${plural(background.length, 'note')} about the sandbox's synthetic data and cache (see --format json)`));
    out.push('');
  }

  const stats = result.stats;
  out.push(
    p.dim(
      `${isStatic(result) ? 'Linted' : 'Reviewed'} ${plural(newMigrations(result).length, 'migration')}, ${plural(stats.newStatements ?? stats.statements, 'statement')} in ${formatDuration(stats.durationMs)}` +
        (stats.engine ? ` on ${engineLabel(stats.engine)}` : '') +
        (isStatic(result) ? ' (static: parsed, not run; `pgpro review` runs them)' : ''),
    ),
  );
  const conclusionStyle =
    result.conclusion === 'failure' ? p.severity.error : result.conclusion === 'neutral' ? p.severity.warning : p.good;
  const unreviewed = notReviewedTitle(result);
  out.push(
    `${formatCounts(counts, true)} — ${conclusionStyle(result.conclusion)}${
      none ? ` (${resultTitle(result)})` : unreviewed ? ` (${p.severity.warning(unreviewed)})` : ''
    }`,
  );
  return `${out.join('\n')}\n`;
}

/** A result of `pgpro lint`: parsed and linted, nothing run. */
function isStatic(result: ReviewResult): boolean {
  return result.stats.mode === 'static';
}
