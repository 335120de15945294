// Reporters: pure functions from a ReviewResult to what a terminal, a file or GitHub shows.
import type { ReviewResult } from '../types.js';
import { renderJson } from './json.js';
import { renderMarkdown, type MarkdownOptions } from './markdown.js';
import { renderSarif, type SarifOptions } from './sarif.js';
import { renderText } from './text.js';

import { renderCompact } from './compact.js';
import { FORMATS, type Format } from './formats.js';
import { renderGithub } from './github.js';
import { renderGitlab } from './gitlab.js';

export { FORMATS, isFormat, type Format } from './formats.js';

export interface RenderOptions extends MarkdownOptions, Omit<SarifOptions, 'cwd'> {
  /** ANSI colors in the text format. */
  color?: boolean;
  /** SARIF: the directory repo-relative paths resolve against. */
  cwd?: string;
}

const RENDERERS: Record<Format, (result: ReviewResult, options: RenderOptions) => string> = {
  text: (result, options) => renderText(result, { color: options.color }),
  json: (result) => renderJson(result),
  markdown: (result, options) => renderMarkdown(result, options),
  sarif: (result, options) => renderSarif(result, options),
  github: (result) => renderGithub(result),
  gitlab: (result) => renderGitlab(result),
  compact: (result) => renderCompact(result),
};


export function render(format: Format, result: ReviewResult, options: RenderOptions = {}): string {
  const renderer = RENDERERS[format];
  if (!renderer) throw new Error(`Unknown report format "${String(format)}"; use one of: ${FORMATS.join(', ')}`);
  return renderer(result, options);
}

export { renderText, type TextOptions } from './text.js';
export { renderCompact } from './compact.js';
export { renderGithub } from './github.js';
export { renderGitlab, toGitlab, type GitlabIssue } from './gitlab.js';
export { renderJson, toJsonReport, type JsonReport } from './json.js';
export {
  renderMarkdown,
  diffFingerprints,
  readFingerprints,
  previousHazards,
  fingerprintsMarker,
  SUMMARY_MARKER,
  type MarkdownOptions,
  type FingerprintDiff,
} from './markdown.js';
export { renderSarif, toSarif, SARIF_SCHEMA, type SarifLog, type SarifOptions } from './sarif.js';
export {
  checkRunOutput,
  ANNOTATIONS_PER_REQUEST,
  type Annotation,
  type CheckRunOutput,
  type CheckRunOptions,
} from './check-run.js';
export {
  commentableLines,
  inlineComments,
  readCommentFingerprint,
  readCommentFingerprints,
  fingerprintMarker,
  DEFAULT_MAX_INLINE_COMMENTS,
  type InlineComment,
  type InlineOptions,
  type InlineResult,
} from './inline.js';
export { RULE_DOCS_BASE_URL, GITHUB_TEXT_LIMIT, ruleDocUrl, resultTitle, hazardIds } from './common.js';
