// The sticky PR summary comment. Hidden markers come first so that (a) the comment can be found and
// updated in place and (b) the fingerprints survive any cut and are read before untrusted text.
import type { Finding, ReviewResult } from '../types.js';
import { GITHUB_TEXT_LIMIT } from './common.js';
import {
  cutNotice,
  findingsMarkdown,
  fitFindings,
  headerMarkdown,
  migrationsMarkdown,
  notesMarkdown,
  statsMarkdown,
} from './markdown-parts.js';

export const SUMMARY_MARKER = '<!-- pgpro:summary -->';
const FINGERPRINTS_PATTERN = /<!-- pgpro:fingerprints ([\w,-]*) -->/;
/** ~17 characters each: keeps the marker under about half of the comment budget. */
const MAX_EMBEDDED_FINGERPRINTS = 2_000;

export interface MarkdownOptions {
  /** Fingerprints embedded in the previous summary comment (see readFingerprints). */
  previous?: string[];
  /** Link to the check run, where the full report lives when the comment has to be cut. */
  checkRunUrl?: string;
  /** Defaults to GitHub's 65,535 characters. */
  maxLength?: number;
}

export interface FingerprintDiff {
  /** Current findings absent from the previous push. */
  new: Finding[];
  /** Current findings already present in the previous push. */
  open: Finding[];
  /** Previous fingerprints no current finding has. */
  fixed: string[];
}

export function diffFingerprints(previous: readonly string[], current: readonly Finding[]): FingerprintDiff {
  const before = new Set(previous);
  const now = new Set(current.map((f) => f.fingerprint));
  return {
    new: current.filter((f) => !before.has(f.fingerprint)),
    open: current.filter((f) => before.has(f.fingerprint)),
    fixed: [...before].filter((fp) => !now.has(fp)),
  };
}

/** The fingerprints a previous summary embedded; [] when the body has none. */
export function readFingerprints(body: string): string[] {
  const match = FINGERPRINTS_PATTERN.exec(body);
  if (!match?.[1]) return [];
  return match[1].split(',').filter((fp) => fp.length > 0);
}

export function fingerprintsMarker(findings: readonly Finding[]): string {
  const unique = [...new Set(findings.map((f) => f.fingerprint).filter((fp) => /^[\w-]+$/.test(fp)))];
  return `<!-- pgpro:fingerprints ${unique.slice(0, MAX_EMBEDDED_FINGERPRINTS).join(',')} -->`;
}

function sinceMarkdown(diff: FingerprintDiff): string {
  return [
    '### Since the previous push',
    '',
    `🆕 **${diff.new.length}** new · ✅ **${diff.fixed.length}** fixed · ⏳ **${diff.open.length}** still open`,
  ].join('\n');
}

function pointer(checkRunUrl: string | undefined): string {
  return checkRunUrl
    ? `The full report is in the [check run](${checkRunUrl}).`
    : 'The full report is in the pgpro check run.';
}

export function renderMarkdown(result: ReviewResult, options: MarkdownOptions = {}): string {
  const limit = options.maxLength ?? GITHUB_TEXT_LIMIT;
  const diff = options.previous ? diffFingerprints(options.previous, result.findings) : undefined;
  const fresh = diff ? new Set(diff.new) : undefined;
  const markers = `${SUMMARY_MARKER}\n${fingerprintsMarker(result.findings)}`;
  const header = headerMarkdown(result);
  const since = diff ? sinceMarkdown(diff) : '';
  const tail = [migrationsMarkdown(result), notesMarkdown(result), statsMarkdown(result)];

  return fitFindings(result.findings, limit, (shown, cut) =>
    [
      markers,
      header,
      cutNotice(cut, pointer(options.checkRunUrl)),
      since,
      findingsMarkdown(shown, { all: result.findings, evidence: cut.evidence, isNew: fresh ? (f) => fresh.has(f) : undefined }),
      ...tail,
    ]
      .filter((part) => part !== '')
      .join('\n\n') + '\n',
  );
}
