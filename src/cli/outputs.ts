// Writes a run's reports: one to stdout, the others to files (`--format sarif=pgpro.sarif`). In GitHub
// Actions with no --format, the text report is followed by annotations (the `github` format).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { RenderOptions } from '../report/index.js';
import { formatDuration } from '../text/grammar.js';
import { renderLazily } from '../report/load.js';
import { VERSION } from '../version.js';
import type { ReviewResult } from '../types.js';
import type { CliArgs, Output } from './args.js';
import type { CliIo } from './io.js';

const outputsOf = (args: CliArgs, io: CliIo): Output[] =>
  !args.formatGiven && io.env.GITHUB_ACTIONS === 'true' ? [{ format: 'text' }, { format: 'github' }] : args.outputs;

const colorOf = (output: Output, args: CliArgs, io: CliIo): boolean =>
  output.path === undefined && output.format === 'text' && (args.color ?? (io.stdout.isTTY === true && !io.env.NO_COLOR));

/**
 * A report that `pgpro lint` keeps as rendered: the run prints one report, to stdout, text or JSON, in
 * which nothing but the run's duration differs between two runs with the same result.
 */
export interface KeptReport {
  key: string;
  format: 'text' | 'json';
  color: boolean;
}

export function keptReportOf(args: CliArgs, io: CliIo): KeptReport | undefined {
  const outputs = outputsOf(args, io);
  const [output] = outputs;
  if (outputs.length !== 1 || output!.path !== undefined || (output!.format !== 'text' && output!.format !== 'json')) return undefined;
  const color = colorOf(output!, args, io);
  return { key: `${output!.format}${color ? '+color' : ''}`, format: output!.format, color };
}

/** The duration as `report` prints it. */
export function durationText(report: KeptReport, ms: number): string {
  return report.format === 'json' ? String(ms) : formatDuration(ms);
}

/** Far from any real duration, and printed as no other number in a report is. */
export const DURATION_MARK = 987_654_321_012;

/**
 * `result` rendered as `report`, cut where its duration is printed: undefined when that place cannot be
 * told (the mark printed other than once).
 */
export async function renderCut(result: ReviewResult, report: KeptReport, root: string): Promise<{ before: string; after: string } | undefined> {
  const marked = { ...result, stats: { ...result.stats, durationMs: DURATION_MARK } };
  const text = await renderLazily(report.format, marked, { color: report.color, cwd: root });
  const mark = durationText(report, DURATION_MARK);
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) return undefined;
  return { before: text.slice(0, at), after: text.slice(at + mark.length) };
}

export async function writeReports(result: ReviewResult, args: CliArgs, io: CliIo, root: string): Promise<void> {
  for (const output of outputsOf(args, io)) {
    const toStdout = output.path === undefined;
    const color = colorOf(output, args, io);
    const text = output.format === 'sarif' ? await sarifReport(result, root) : await renderLazily(output.format, result, { color, cwd: root });
    if (toStdout) {
      io.stdout.write(text);
      continue;
    }
    const file = resolve(args.cwd, output.path!);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

/**
 * SARIF for code scanning: the tool's version, the rules' descriptions, which analysis it is, and
 * URIs relative to the repository's root (code scanning resolves them there) even when pgpro ran in
 * a subfolder.
 */
async function sarifReport(result: ReviewResult, root: string): Promise<string> {
  const { rules } = await import('../rules/index.js');
  const repoRoot = repositoryRoot(root) ?? root;
  const prefix = relative(repoRoot, root).split(sep).join('/');
  const inRepo = prefix === '' ? result : { ...result, findings: result.findings.map((f) => ({ ...f, file: `${prefix}/${f.file}` })) };
  const options: RenderOptions & { cwd: string } = {
    cwd: repoRoot,
    toolVersion: VERSION,
    ruleDescriptions: Object.fromEntries(rules.map((r) => [r.meta.id, r.meta.description])),
    automationId: `pgpro/${result.stats.mode === 'static' ? 'lint' : 'review'}/`,
  };
  return renderLazily('sarif', inRepo, options);
}

/** The nearest directory at or above `dir` that holds .git. */
function repositoryRoot(dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}
