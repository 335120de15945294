// Inline review comments. GitHub rejects a whole review when one comment targets a line outside the
// diff, so placement is computed from each file's patch. One comment per line holds every finding that
// starts there; a review holds at most `max` comments, most severe first (the rest are in the summary and
// the check run's annotations). Comments carry their findings' hazard fingerprints so that a later run
// does not post them again.
import { parsePatch } from 'diff';
import { compareFindings, severityRank } from '../finding.js';
import type { Finding } from '../types.js';
import { clip, clipBytes, hazardIds } from './common.js';
import { evidenceBlock, fence, findingHeadline, fixBlock, prose } from './markdown-parts.js';

const FINGERPRINT_PATTERN = /<!-- pgpro:fp ([\w,-]+) -->/;
const MAX_MESSAGE = 4_000;
/** GitHub's limit for a review comment body, in bytes, with room for the marker. */
const MAX_BODY_BYTES = 65_000;
/** Comments per review when the config does not say. */
export const DEFAULT_MAX_INLINE_COMMENTS = 25;

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
  /** Findings left out by the per-review cap: in the summary and the annotations. */
  capped: Finding[];
}

export interface InlineOptions {
  /** Hazard fingerprints of comments posted by earlier runs (see readCommentFingerprints). */
  alreadyPosted: Set<string>;
  /** At most this many comments in one review (default 25). */
  max?: number;
  /** Base URL of the rule pages. */
  docsUrl?: string;
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

export function fingerprintMarker(fingerprints: string | readonly string[]): string {
  return `<!-- pgpro:fp ${(typeof fingerprints === 'string' ? [fingerprints] : fingerprints).join(',')} -->`;
}

/** The hazard fingerprints a pgpro inline comment carries ([] for any other comment). */
export function readCommentFingerprints(body: string): string[] {
  return FINGERPRINT_PATTERN.exec(body)?.[1]?.split(',').filter(Boolean) ?? [];
}

/** The first fingerprint a pgpro inline comment carries, if it is one. */
export function readCommentFingerprint(body: string): string | undefined {
  return readCommentFingerprints(body)[0];
}

interface Slot {
  path: string;
  line: number;
  endLine: number;
  /** The comment spans line..endLine (inside one hunk); false: a one-line comment at `line`. */
  spans: boolean;
  findings: Finding[];
}

function findingSection(finding: Finding, suggestion: boolean, docsUrl: string | undefined): string[] {
  const fix = finding.fix;
  const fixLines =
    suggestion && fix?.sql
      ? ['', `**Fix:** ${prose(fix.title)}${fix.verified ? ' _(verified in a fresh sandbox)_' : ''}`, '', fence(fix.sql, 'suggestion')]
      : fixBlock(finding);
  return [findingHeadline(finding, '', docsUrl), '', prose(clip(finding.message, MAX_MESSAGE)), ...fixLines, ...evidenceBlock(finding.evidence)];
}

/** A drop-in fix becomes a suggestion when the comment covers exactly the lines it replaces (one per comment). */
function commentBody(slot: Slot, docsUrl: string | undefined): string {
  const commentStart = slot.line;
  const commentEnd = slot.spans ? slot.endLine : slot.line;
  let suggested = false;
  const sections = slot.findings.map((finding) => {
    const exact = finding.line === commentStart && Math.max(finding.line, finding.endLine) === commentEnd;
    const suggestion = !suggested && exact && Boolean(finding.fix?.sql && finding.fix.replacesStatement);
    if (suggestion) suggested = true;
    return findingSection(finding, suggestion, docsUrl).join('\n');
  });
  // The marker goes first: readers take the first match, before any quoted untrusted text.
  const marker = fingerprintMarker(slot.findings.flatMap(hazardIds));
  return `${marker}\n${clipBytes(sections.join('\n\n---\n\n'), MAX_BODY_BYTES - marker.length)}`;
}

const importance = (a: Finding, b: Finding) => severityRank(b.severity) - severityRank(a.severity) || compareFindings(a, b);

export function inlineComments(findings: readonly Finding[], patches: Record<string, string | undefined>, options: InlineOptions): InlineResult {
  const result: InlineResult = { comments: [], skipped: [], duplicates: [], capped: [] };
  const seen = new Set(options.alreadyPosted);
  const hunksByFile = new Map<string, Set<number>[]>();
  const slots = new Map<string, Slot>();

  for (const finding of [...findings].sort(importance)) {
    const ids = hazardIds(finding);
    if (ids.every((id) => seen.has(id))) {
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
    if (!startHunk || !hunks.some((h) => h.has(endLine))) {
      result.skipped.push(finding);
      continue;
    }
    ids.forEach((id) => seen.add(id));
    const key = `${finding.file}\0${finding.line}`;
    const slot = slots.get(key);
    if (slot) {
      slot.findings.push(finding);
      continue;
    }
    // A multi-line comment must stay inside one hunk; across hunks it falls back to the first line.
    const spans = endLine > finding.line && startHunk.has(endLine);
    slots.set(key, { path: finding.file, line: finding.line, endLine, spans, findings: [finding] });
  }

  // Slots were created most severe finding first: the cap keeps the most severe lines.
  const max = options.max ?? DEFAULT_MAX_INLINE_COMMENTS;
  const ordered = [...slots.values()];
  for (const slot of ordered.slice(max)) result.capped.push(...slot.findings);
  for (const slot of ordered.slice(0, max).sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line)) {
    const comment: InlineComment = { path: slot.path, line: slot.spans ? slot.endLine : slot.line, side: 'RIGHT', body: commentBody(slot, options.docsUrl) };
    if (slot.spans) {
      comment.start_line = slot.line;
      comment.start_side = 'RIGHT';
    }
    result.comments.push(comment);
  }
  return result;
}
