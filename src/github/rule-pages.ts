// The App serves the rule pages of its own version at a stable path, so that links in its reports work
// for self-hosters (and stay right for the version that wrote them). Pages are docs/rules/<id>.md,
// shipped in the package; they are shown as text, escaped, in a minimal HTML page.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PgproConfig } from '../config/schema.js';

export const RULE_PAGES_PATH = '/pgpro/rules/';

/** The App's own rule pages, when it knows its public URL (PGPRO_PUBLIC_URL). */
export function appRulesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.PGPRO_PUBLIC_URL?.trim();
  if (!base || !/^https?:\/\//.test(base)) return undefined;
  return `${base.replace(/\/+$/, '')}${RULE_PAGES_PATH}`;
}

/** Where a report's rule links point: the repository's `docs-url`, else the App's pages, else the default. */
export function docsUrlFor(config: PgproConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return config['docs-url'] ?? appRulesUrl(env);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;font:14px/1.5 ui-monospace,monospace}</style>',
    '</head><body>',
    `<p><a href="${RULE_PAGES_PATH}">pgpro rules</a></p>`,
    `<pre>${escapeHtml(body)}</pre>`,
    '</body></html>',
  ].join('\n');
}

/** GET /pgpro/rules/<id> (and /pgpro/rules/ for the index). Returns false for other requests. */
export function rulePagesHandler(dir: URL = new URL('../../docs/rules/', import.meta.url)) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = req.url?.split('?')[0] ?? '';
    if (req.method !== 'GET' || !(path === RULE_PAGES_PATH.slice(0, -1) || path.startsWith(RULE_PAGES_PATH))) return false;
    const id = decodeURIComponent(path.slice(RULE_PAGES_PATH.length)).replace(/\.md$/, '') || 'README';
    void (async () => {
      // Only page names: nothing outside docs/rules/ can be asked for.
      const text = /^[A-Za-z0-9-]+$/.test(id) ? await readFile(new URL(`${id}.md`, dir), 'utf8').catch(() => undefined) : undefined;
      if (text === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`No pgpro rule page named ${id}.\n`);
        return;
      }
      const title = /^#\s+(.+)$/m.exec(text)?.[1] ?? id;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(page(`pgpro: ${title}`, text));
    })();
    return true;
  };
}
