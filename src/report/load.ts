// One reporter at a time, for the CLI: a run loads only the formats it prints (`render` in index.ts
// loads them all, markdown's diff package included, which is a good part of a `pgpro lint` start).
import type { ReviewResult } from '../types.js';
import { FORMATS, type Format } from './formats.js';
import type { RenderOptions } from './index.js';

type Renderer = (result: ReviewResult, options: RenderOptions) => string;

const LOADERS: Record<Format, () => Promise<Renderer>> = {
  text: async () => {
    const { renderText } = await import('./text.js');
    return (result, options) => renderText(result, { color: options.color });
  },
  json: async () => (await import('./json.js')).renderJson,
  markdown: async () => (await import('./markdown.js')).renderMarkdown,
  sarif: async () => (await import('./sarif.js')).renderSarif,
  github: async () => (await import('./github.js')).renderGithub,
  gitlab: async () => (await import('./gitlab.js')).renderGitlab,
  compact: async () => (await import('./compact.js')).renderCompact,
};

/** Renders `result` in `format`, loading that format's reporter only. */
export async function renderLazily(format: Format, result: ReviewResult, options: RenderOptions = {}): Promise<string> {
  const load = LOADERS[format];
  if (!load) throw new Error(`Unknown report format "${String(format)}"; use one of: ${FORMATS.join(', ')}`);
  return (await load())(result, options);
}
