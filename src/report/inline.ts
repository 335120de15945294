// Inline review comments. GitHub rejects a whole review when one comment targets a line outside the
// diff, so placement is computed from each file's patch, and comments carry their finding's
// fingerprint so a later run does not post them again.
import { parsePatch } from 'diff';
import { compareFindings } from '../finding.js';
import type { Finding } from '../types.js';
import { clip } from './common.js';
import { evidenceBlock, fence, findingHeadline, fixBlock, prose } from './markdown-parts.js';

const FINGERPRINT_PATTERN = /<!-- pgpro:fp ([\w-]+) -->/;
const MAX_MESSAGE = 4_000;

export interface InlineComment {
  path: string;
  line: number;
  start_line?: number;
  side: 'RIGHT';
  start_side?: 'RIGHT';
  body: string;
}

export interface InlineResult {
  comments: InlineComment[];
  /** Findings whose lines are not in the diff: they appear only in the summary and the check run. */
  skipped: Finding[];
  /** Findings already commented on by an earlier run, or repeated within this one. */
  duplicates: Finding[];
}

/** Right-side line numbers of each hunk: added and context lines; deleted lines have none. */
function hunkLines(patch: string): Set<number>[] {
  let parsed: ReturnType<typeof parsePatch>;
  try {
    parsed = parsePatch(patch);
  } catch {
    return []; // A malformed or truncated patch: place nothing rather than risk a rejected review.
  }
  const hunks: Set<number>[] = [];
  for (const file of parsed) {
    for (const hunk of file.hunks) {
      const lines = new Set<number>();
      let right = hunk.newStart;
      for (const text of hunk.lines) {
        const op = text[0] ?? ' ';
        if (op === '+' || op === ' ') lines.add(right++);
        // '-' has no right-side line; '\' ("No newline at end of file") is not a line at all.
      }
      hunks.push(lines);
    }
  }
  return hunks;
}

export function commentableLines(patch: string): Set<number> {
  const all = new Set<number>();
  for (const hunk of hunkLines(patch)) for (const line of hunk) all.add(line);
  return all;
}

export function fingerprintMarker(fingerprint: string): string {
  return `<!-- pgpro:fp ${fingerprint} -->`;
}

/** The fingerprint a pgpro inline comment carries, if it is one. */
export function readCommentFingerprint(body: string): string | undefined {
  return FINGERPRINT_PATTERN.exec(body)?.[1];
}

function commentBody(finding: Finding, suggestion: boolean): string {
  const fix = finding.fix;
  const fixLines =
    suggestion && fix?.sql
      ? [
          '',
          `**Fix:** ${prose(fix.title)}${fix.verified ? ' _(verified in a fresh sandbox)_' : ''}`,
          '',
          fence(fix.sql, 'suggestion'),
        ]
      : fixBlock(finding);
  // The marker goes first: readers take the first match, before any quoted untrusted text.
  return [
    fingerprintMarker(finding.fingerprint),
    findingHeadline(finding),
    '',
    prose(clip(finding.message, MAX_MESSAGE)),
    ...fixLines,
    ...evidenceBlock(finding.evidence),
  ].join('\n');
}

export function inlineComments(
  findings: readonly Finding[],
  patches: Record<string, string | undefined>,
  options: { alreadyPosted: Set<string> },
): InlineResult {
  const result: InlineResult = { comments: [], skipped: [], duplicates: [] };
  const seen = new Set(options.alreadyPosted);
  const hunksByFile = new Map<string, Set<number>[]>();

  for (const finding of [...findings].sort(compareFindings)) {
    if (seen.has(finding.fingerprint)) {
      result.duplicates.push(finding);
      continue;
    }
    const patch = patches[finding.file];
    if (patch === undefined) {
      result.skipped.push(finding);
      continue;
    }
    let hunks = hunksByFile.get(finding.file);
    if (!hunks) {
      hunks = hunkLines(patch);
      hunksByFile.set(finding.file, hunks);
    }
    const endLine = Math.max(finding.line, finding.endLine);
    const startHunk = hunks.find((h) => h.has(finding.line));
    const endInDiff = hunks.some((h) => h.has(endLine));
    if (!startHunk || !endInDiff) {
      result.skipped.push(finding);
      continue;
    }

    seen.add(finding.fingerprint);
    // A multi-line comment must stay inside one hunk; across hunks, fall back to the first line.
    const spans = endLine > finding.line && startHunk.has(endLine);
    const wholeStatement = endLine === finding.line || spans;
    const suggestion = Boolean(finding.fix?.sql && finding.fix.replacesStatement && wholeStatement);
    const comment: InlineComment = {
      path: finding.file,
      line: spans ? endLine : finding.line,
      side: 'RIGHT',
      body: commentBody(finding, suggestion),
    };
    if (spans) {
      comment.start_line = finding.line;
      comment.start_side = 'RIGHT';
    }
    result.comments.push(comment);
  }
  return result;
}
