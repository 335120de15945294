// Markdown building blocks shared by the PR summary comment, the check run and inline comments.
import type { Finding, ReviewResult, Severity } from '../types.js';
import {
  byImportance,
  byteLength,
  clip,
  clipBytes,
  countBySeverity,
  engineLabel,
  formatCounts,
  formatDuration,
  formatNumber,
  groupByFile,
  isBackgroundNote,
  newMigrations,
  plural,
  resultTitle,
  ruleDocUrl,
  waiverLines,
} from './common.js';

export const SEVERITY_EMOJI: Record<Severity, string> = { error: '🔴', warning: '🟠', info: '🔵' };
const CONCLUSION_EMOJI: Record<ReviewResult['conclusion'], string> = { failure: '❌', neutral: '⚠️', success: '✅' };

/** One finding must not eat the budget of all the others. */
const MAX_MESSAGE = 4_000;
const MAX_EVIDENCE = 4_000;
const MAX_SQL = 8_000;
const MAX_MIGRATION_ROWS = 100;

/**
 * Prose from rules and the agent may quote migration text: keep it from opening HTML tags or
 * pinging people. A lone `<` (as in `a < b`) is left alone.
 */
export function prose(text: string): string {
  return text.replace(/<(?=[a-zA-Z!/?])/g, '&lt;').replace(/@(?=[a-zA-Z0-9])/g, '@\u200b');
}

/** A fenced block whose fence is longer than any backtick run inside, so content cannot close it. */
export function fence(content: string, lang = ''): string {
  const longestRun = Math.max(2, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longestRun + 1);
  return `${ticks}${lang}\n${content.replace(/(\r?\n)+$/, '')}\n${ticks}`;
}

export function codeSpan(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\r?\n/g, ' ')}\``;
}

function tableCell(text: string): string {
  return prose(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function lineRange(finding: Finding): string {
  return finding.endLine > finding.line ? `lines ${finding.line}–${finding.endLine}` : `line ${finding.line}`;
}

export function findingHeadline(finding: Finding, extra = '', docsUrl?: string): string {
  const confidence =
    finding.confidence !== undefined ? ` · confidence ${Math.round(finding.confidence * 100)}%` : '';
  const statements = finding.occurrences && finding.occurrences.length > 1 ? ` · ${plural(finding.occurrences.length, 'statement')}` : '';
  return `${SEVERITY_EMOJI[finding.severity]} **${finding.severity}** · [${codeSpan(finding.rule)}](${ruleDocUrl(finding.rule, docsUrl)}) · ${lineRange(finding)}${statements}${confidence}${extra}`;
}

export function fixBlock(finding: Finding, sqlLang = 'sql'): string[] {
  const fix = finding.fix;
  if (!fix) return [];
  const out = ['', `**Fix:** ${prose(fix.title)}${fix.verified ? ' _(verified in a fresh sandbox)_' : ''}`];
  if (fix.steps && fix.steps.length > 0) {
    out.push('', ...fix.steps.map((step, i) => `${i + 1}. ${prose(step).replace(/\r?\n/g, ' ')}`));
  }
  if (fix.sql) out.push('', fence(clip(fix.sql, MAX_SQL), sqlLang));
  return out;
}

export function evidenceBlock(evidence: string | undefined): string[] {
  if (!evidence) return [];
  return ['', '<details><summary>Evidence</summary>', '', fence(clip(evidence, MAX_EVIDENCE), 'text'), '', '</details>'];
}

export interface FindingsMarkdownOptions {
  evidence: boolean;
  /** Marks findings that are new since the previous push. */
  isNew?: (finding: Finding) => boolean;
  /** All findings, when `findings` is a cut of them: file headings then say how many are not shown. */
  all?: readonly Finding[];
  /** Base URL of the rule pages (config `docs-url`, the App's own pages); default: this version's docs. */
  docsUrl?: string;
}

export function findingsMarkdown(findings: readonly Finding[], options: FindingsMarkdownOptions): string {
  const sections: string[] = [];
  const perFile = new Map<string, number>();
  for (const finding of options.all ?? []) perFile.set(finding.file, (perFile.get(finding.file) ?? 0) + 1);
  for (const [file, group] of groupByFile(findings)) {
    const hidden = (perFile.get(file) ?? group.length) - group.length;
    const counts = formatCounts(countBySeverity(group)) + (hidden > 0 ? ` (${formatNumber(hidden)} more not shown)` : '');
    const block = (finding: Finding) => {
      const badge = options.isNew?.(finding) ? ' · 🆕 new' : '';
      return [
        findingHeadline(finding, badge, options.docsUrl),
        '',
        prose(clip(finding.message, MAX_MESSAGE)),
        ...fixBlock(finding),
        ...(options.evidence ? evidenceBlock(finding.evidence) : []),
      ].join('\n');
    };
    // Reviewers act on errors and warnings; info findings stay one click away.
    const major = group.filter((f) => f.severity !== 'info').map(block);
    const info = group.filter((f) => f.severity === 'info');
    const folded = info.length > 0 ? [`<details><summary>${plural(info.length, 'info finding')}</summary>\n\n${info.map(block).join('\n\n')}\n\n</details>`] : [];
    sections.push(`### ${codeSpan(file)}\n\n${counts}\n\n${[...major, ...folded].join('\n\n')}`);
  }
  return sections.join('\n\n');
}

export function headerMarkdown(result: ReviewResult): string {
  const fresh = newMigrations(result);
  const facts = [
    `**Conclusion: ${result.conclusion}**`,
    plural(fresh.length, 'new migration'),
    // The pull request's statements, not the history replayed before them.
    plural(result.stats.newStatements ?? result.stats.statements, 'statement'),
  ];
  const lines = [`## ${CONCLUSION_EMOJI[result.conclusion]} pgpro: ${resultTitle(result)}`, facts.join(' · ')];
  const unreviewed = (result.notReviewed ?? []).filter((m) => m.reason !== 'earlier-migration-failed');
  if (unreviewed.length > 0) {
    lines.push(
      [
        '**Not reviewed** (not applied in the sandbox; only the static rules saw it):',
        ...unreviewed.slice(0, 10).map((m) => `- ${codeSpan(m.file)}: ${prose(clip(m.message, 300))}`),
        ...(unreviewed.length > 10 ? [`- … and ${unreviewed.length - 10} more`] : []),
      ].join('\n'),
    );
  }
  const waivers = waiverLines(result);
  if (waivers.length > 0) {
    lines.push(['**Waivers:**', ...waivers.slice(0, 10).map((w) => `- ${prose(clip(w, 300))}`), ...(waivers.length > 10 ? [`- … and ${waivers.length - 10} more`] : [])].join('\n'));
  }
  return lines.join('\n\n');
}

export function migrationsMarkdown(result: ReviewResult): string {
  const fresh = newMigrations(result);
  const history = result.migrations.length - fresh.length;
  const summary =
    `Migrations: ${fresh.length} new` + (history > 0 ? `, ${plural(history, 'history migration')} replayed` : '');
  if (fresh.length === 0) return `<details><summary>${summary}</summary>\n\nNo new migrations.\n\n</details>`;
  const icon: Record<string, string> = { applied: '✅', failed: '❌', skipped: '⏭️', 'not-run': '⏸️' };
  const rows = fresh.slice(0, MAX_MIGRATION_ROWS).map((m) => {
    const why = m.error ? ` (line ${m.error.line}: ${clip(m.error.message, 200)})` : m.reason ? ` (${clip(m.reason.message, 200)})` : '';
    const status = `${icon[m.status] ?? ''} ${m.status}${m.edit ? ' (the statements an edit of an applied migration adds or changes)' : ''}${why}`;
    return `| ${tableCell(m.file)} | ${tableCell(status)} | ${m.statements} | ${formatDuration(m.durationMs)} |`;
  });
  if (fresh.length > MAX_MIGRATION_ROWS) rows.push(`| … and ${fresh.length - MAX_MIGRATION_ROWS} more | | | |`);
  return [
    `<details><summary>${summary}</summary>`,
    '',
    '| File | Status | Statements | Time |',
    '| --- | --- | ---: | ---: |',
    ...rows,
    '',
    '</details>',
  ].join('\n');
}

const MAX_BACKGROUND_NOTES = 20;

function noteItem(note: string): string {
  return `- ${prose(clip(note, 2_000)).replace(/\r?\n/g, ' ')}`;
}

/**
 * Notes worth reading are listed; notes about what the sandbox did for itself (synthetic rows it could
 * not add, restored snapshots) are one collapsed line, with at most 20 of them inside.
 */
export function notesMarkdown(result: ReviewResult): string {
  if (result.notes.length === 0) return '';
  const background = result.notes.filter(isBackgroundNote);
  const actionable = result.notes.filter((note) => !isBackgroundNote(note));
  const parts: string[] = [];
  if (actionable.length) parts.push(actionable.map(noteItem).join('\n'));
  if (background.length) {
    const shown = background.slice(0, MAX_BACKGROUND_NOTES).map(noteItem);
    if (background.length > shown.length) shown.push(`- … and ${formatNumber(background.length - shown.length)} more`);
    parts.push(`<details><summary>${plural(background.length, 'note')} about the sandbox's synthetic data and cache</summary>\n\n${shown.join('\n')}\n\n</details>`);
  }
  return `### Notes\n\n${parts.join('\n\n')}`;
}

export function statsMarkdown(result: ReviewResult): string {
  const s = result.stats;
  const parts = ['pgpro'];
  if (s.engine) parts.push(engineLabel(s.engine));
  parts.push(`${plural(s.newStatements ?? s.statements, 'statement')} in ${plural(s.migrationsNew, 'new migration')}`);
  parts.push(formatDuration(s.durationMs));
  if (s.agent) {
    parts.push(
      `agent: ${formatNumber(s.agent.inputTokens)} input / ${formatNumber(s.agent.outputTokens)} output tokens` +
        `, ${plural(s.agent.toolCalls, 'tool call')}${s.agent.cached ? ' (cached)' : ''}`,
    );
  }
  return `<sub>${parts.join(' · ')}</sub>`;
}

export interface CutState {
  shown: number;
  total: number;
  evidence: boolean;
}

/** Says what was left out and where the rest is; empty when nothing was. */
export function cutNotice(cut: CutState, where: string): string {
  if (cut.shown === cut.total && cut.evidence) return '';
  const what =
    cut.shown < cut.total
      ? `Showing the ${formatNumber(cut.shown)} most severe of ${formatNumber(cut.total)} findings${cut.evidence ? '' : ', without evidence,'}`
      : 'Evidence is left out';
  return `> [!NOTE]\n> ${what} to fit GitHub's size limit. ${where}`;
}

/**
 * The longest rendering that fits `limit` UTF-8 bytes (GitHub counts bytes: a text of 65,535 characters
 * with accents or emoji is refused): everything; else without evidence; else the most severe findings
 * that fit (binary search over how many). `compose` gets the findings to show, in any order.
 */
export function fitFindings(
  findings: readonly Finding[],
  limit: number,
  compose: (shown: readonly Finding[], cut: CutState) => string,
): string {
  const total = findings.length;
  const full = compose(findings, { shown: total, total, evidence: true });
  if (byteLength(full) <= limit) return full;
  const bare = compose(findings, { shown: total, total, evidence: false });
  if (byteLength(bare) <= limit) return bare;

  const ranked = byImportance(findings);
  let best = compose([], { shown: 0, total, evidence: false });
  let lo = 1;
  let hi = total - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const candidate = compose(ranked.slice(0, mid), { shown: mid, total, evidence: false });
    if (byteLength(candidate) <= limit) {
      best = candidate;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (byteLength(best) <= limit) return best;
  // Even the frame is too long (huge notes or migration lists): cut the text itself.
  const tail = '\n\n… (cut to fit GitHub\'s size limit)';
  return clipBytes(best, limit - byteLength(tail)) + tail;
}
