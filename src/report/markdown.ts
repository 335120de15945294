// The sticky PR summary comment. Hidden markers come first so that (a) the comment can be found and
// updated in place and (b) the fingerprints survive any cut and are read before untrusted text.
import type { Finding, ReviewResult } from '../types.js';
import { GITHUB_TEXT_LIMIT, hazardIds } from './common.js';
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
const SINCE_PATTERN = /<!-- pgpro:since new=([\w,-]*);fixed=([\w,-]*) -->/;
const PUSH_PATTERN = /<!-- pgpro:push ([0-9a-f]{7,64}) -->/;
/** ~17 bytes each: keeps the marker under about half of the comment budget. */
const MAX_EMBEDDED_FINGERPRINTS = 2_000;
/** The delta of a push, kept so that a re-run of it can say it again: new and fixed ids, each at most. */
const MAX_EMBEDDED_DELTA = 500;

export interface MarkdownOptions {
  /** The hazards of the push the delta compares with (see previousHazards). */
  previous?: string[];
  /** The head commit this summary is for: a re-run of the same push keeps its delta. */
  headSha?: string;
  /** Link to the check run, where the full report lives when the comment has to be cut. */
  checkRunUrl?: string;
  /** Defaults to GitHub's 65,535 bytes. */
  maxLength?: number;
  /** Base URL of the rule pages. */
  docsUrl?: string;
}

export interface FingerprintDiff {
  /** Current findings with a hazard absent from the previous push. */
  new: Finding[];
  /** Current findings whose hazards were all present in the previous push. */
  open: Finding[];
  /** Previous hazards no current finding has. */
  fixed: string[];
  /** Current hazards the previous push did not have. */
  added: string[];
  /** The same, counted in hazards (a finding that groups statements counts each). */
  counts: { new: number; open: number; fixed: number };
}

/** What changed since the previous push, compared hazard by hazard (a grouped finding is several). */
export function diffFingerprints(previous: readonly string[], current: readonly Finding[]): FingerprintDiff {
  const before = new Set(previous);
  const now = new Set(current.flatMap(hazardIds));
  const fixed = [...before].filter((fp) => !now.has(fp));
  const added = [...now].filter((id) => !before.has(id));
  return {
    added,
    new: current.filter((f) => hazardIds(f).some((id) => !before.has(id))),
    open: current.filter((f) => hazardIds(f).every((id) => before.has(id))),
    fixed,
    counts: {
      new: added.length,
      open: [...now].filter((id) => before.has(id)).length,
      fixed: fixed.length,
    },
  };
}

function ids(text: string | undefined): string[] {
  return (text ?? '').split(',').filter((fp) => fp.length > 0);
}

/** The hazards a previous summary embedded; [] when the body has none. */
export function readFingerprints(body: string): string[] {
  return ids(FINGERPRINTS_PATTERN.exec(body)?.[1]);
}

/**
 * The hazards to compare this push with, from the summary comment as it stands. A new push compares with
 * the hazards the comment shows; a re-run of the same push (`/pgpro review`, a re-requested check)
 * compares with what that push was compared with, so its delta does not reset to zero. Undefined: no
 * previous push to compare with.
 */
export function previousHazards(body: string | undefined, headSha: string | undefined): string[] | undefined {
  if (!body) return undefined;
  const shown = readFingerprints(body);
  if (!headSha || PUSH_PATTERN.exec(body)?.[1] !== headSha) return shown;
  const since = SINCE_PATTERN.exec(body);
  if (!since) return undefined;
  const added = new Set(ids(since[1]));
  return [...shown.filter((id) => !added.has(id)), ...ids(since[2])];
}

function cleanIds(list: readonly string[], max: number): string[] | undefined {
  const unique = [...new Set(list.filter((fp) => /^[\w-]+$/.test(fp)))];
  return unique.length <= max ? unique : undefined;
}

export function fingerprintsMarker(findings: readonly Finding[]): string {
  return `<!-- pgpro:fingerprints ${(cleanIds(findings.flatMap(hazardIds), Infinity) ?? []).slice(0, MAX_EMBEDDED_FINGERPRINTS).join(',')} -->`;
}

/** This push's delta, for a re-run of the same push; nothing when it is too large to keep. */
function sinceMarker(diff: FingerprintDiff): string | undefined {
  const added = cleanIds(diff.added, MAX_EMBEDDED_DELTA);
  const fixed = cleanIds(diff.fixed, MAX_EMBEDDED_DELTA);
  if (!added || !fixed) return undefined;
  return `<!-- pgpro:since new=${added.join(',')};fixed=${fixed.join(',')} -->`;
}

function sinceMarkdown(diff: FingerprintDiff): string {
  return [
    '### Since the previous push',
    '',
    `🆕 **${diff.counts.new}** new · ✅ **${diff.counts.fixed}** fixed · ⏳ **${diff.counts.open}** still open`,
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
  const delta = diff ? sinceMarker(diff) : undefined;
  const markers = [
    SUMMARY_MARKER,
    fingerprintsMarker(result.findings),
    ...(options.headSha && /^[0-9a-f]{7,64}$/.test(options.headSha) ? [`<!-- pgpro:push ${options.headSha} -->`] : []),
    ...(delta ? [delta] : []),
  ].join('\n');
  const header = headerMarkdown(result);
  const since = diff ? sinceMarkdown(diff) : '';
  const tail = [migrationsMarkdown(result), notesMarkdown(result), statsMarkdown(result)];

  return fitFindings(result.findings, limit, (shown, cut) =>
    [
      markers,
      header,
      cutNotice(cut, pointer(options.checkRunUrl)),
      since,
      findingsMarkdown(shown, {
        all: result.findings,
        evidence: cut.evidence,
        isNew: fresh ? (f) => fresh.has(f) : undefined,
        docsUrl: options.docsUrl,
      }),
      ...tail,
    ]
      .filter((part) => part !== '')
      .join('\n\n') + '\n',
  );
}
