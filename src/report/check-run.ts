// The check run's output: title, an overview summary, the findings as text, and annotations in the
// batches GitHub accepts per request (50).
import { compareFindings } from '../finding.js';
import type { Finding, ReviewResult, Severity } from '../types.js';
import { clip, clipBytes, GITHUB_TEXT_LIMIT, resultTitle } from './common.js';
import {
  cutNotice,
  findingsMarkdown,
  fitFindings,
  headerMarkdown,
  migrationsMarkdown,
  notesMarkdown,
  statsMarkdown,
} from './markdown-parts.js';

export const ANNOTATIONS_PER_REQUEST = 50;
/** GitHub's limits on annotation fields (the message and details in bytes). */
const TITLE_LIMIT = 255;
const ANNOTATION_TEXT_LIMIT = 64 * 1024 - 1;

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
  raw_details?: string;
}

export interface CheckRunOutput {
  conclusion: ReviewResult['conclusion'];
  title: string;
  summary: string;
  text?: string;
  annotations: Annotation[][];
}

export interface CheckRunOptions {
  /** Defaults to GitHub's 65,535 bytes (summary and text each). */
  maxLength?: number;
  /** Base URL of the rule pages. */
  docsUrl?: string;
}

const LEVELS: Record<Severity, Annotation['annotation_level']> = { error: 'failure', warning: 'warning', info: 'notice' };

function annotation(finding: Finding): Annotation {
  const fix = finding.fix ? `\n\nFix: ${finding.fix.title}${finding.fix.sql ? `\n${finding.fix.sql}` : ''}` : '';
  const out: Annotation = {
    path: finding.file,
    start_line: Math.max(1, finding.line),
    end_line: Math.max(1, finding.line, finding.endLine),
    annotation_level: LEVELS[finding.severity],
    title: clip(finding.rule, TITLE_LIMIT),
    message: clipBytes(`${finding.message}${fix}`, ANNOTATION_TEXT_LIMIT),
  };
  if (finding.evidence) out.raw_details = clipBytes(finding.evidence, ANNOTATION_TEXT_LIMIT);
  return out;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function checkRunOutput(result: ReviewResult, options: CheckRunOptions = {}): CheckRunOutput {
  const limit = options.maxLength ?? GITHUB_TEXT_LIMIT;
  const summary = clipBytes(
    [headerMarkdown(result), migrationsMarkdown(result), notesMarkdown(result), statsMarkdown(result)]
      .filter((part) => part !== '')
      .join('\n\n'),
    limit,
  );
  const output: CheckRunOutput = {
    conclusion: result.conclusion,
    title: resultTitle(result),
    summary,
    // A deleted file is not in the head commit that annotations belong to: its finding is in the text.
    annotations: chunk(
      [...result.findings].filter((f) => f.rule !== 'removed-applied-migration').sort(compareFindings).map(annotation),
      ANNOTATIONS_PER_REQUEST,
    ),
  };
  if (result.findings.length > 0) {
    output.text = fitFindings(result.findings, limit, (shown, cut) =>
      [cutNotice(cut, 'Every finding is also an annotation on its file.'), findingsMarkdown(shown, { all: result.findings, evidence: cut.evidence, docsUrl: options.docsUrl })]
        .filter((part) => part !== '')
        .join('\n\n'),
    );
  }
  return output;
}
