// The App serves the rule pages of its own version, so that report links work for self-hosters.
import { createServer, type Server } from 'node:http';
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { appRulesUrl, docsUrlFor, rulePagesHandler } from '../../src/github/rule-pages.js';

let server: Server;
let base: string;
beforeAll(async () => {
  const handle = rulePagesHandler();
  server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  nock.enableNetConnect('127.0.0.1');
});
afterAll(async () => {
  nock.disableNetConnect();
  await new Promise((resolve) => server.close(resolve));
});

describe('GET /pgpro/rules/<id>', () => {
  it('serves every rule page as escaped text in HTML', async () => {
    const ids = readdirSync(new URL('../../docs/rules/', import.meta.url)).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3));
    expect(ids.length).toBeGreaterThan(20);
    for (const id of ['ban-drop-column', 'agent', 'apply-error']) {
      const res = await fetch(`${base}/pgpro/rules/${id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).toContain('<pre>');
      expect(html).not.toMatch(/<pre>[\s\S]*<(?!\/pre>)[a-z]/); // page text is escaped
    }
    expect((await fetch(`${base}/pgpro/rules/`)).status).toBe(200);
    expect((await fetch(`${base}/pgpro/rules/ban-drop-column.md`)).status).toBe(200);
  });

  it('answers 404 for unknown pages and never reads outside docs/rules', async () => {
    expect((await fetch(`${base}/pgpro/rules/no-such-rule`)).status).toBe(404);
    expect((await fetch(`${base}/pgpro/rules/..%2F..%2Fpackage`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(418);
  });

  it('links go to the repository\'s docs-url, else to the App\'s pages when it knows its public URL', () => {
    expect(appRulesUrl({ PGPRO_PUBLIC_URL: 'https://pgpro.example.com/' })).toBe('https://pgpro.example.com/pgpro/rules/');
    expect(appRulesUrl({})).toBeUndefined();
    expect(docsUrlFor(defaultConfig(), { PGPRO_PUBLIC_URL: 'https://pgpro.example.com' })).toBe('https://pgpro.example.com/pgpro/rules/');
    expect(docsUrlFor({ ...defaultConfig(), 'docs-url': 'https://wiki.example.com/pg' }, { PGPRO_PUBLIC_URL: 'https://pgpro.example.com' })).toBe('https://wiki.example.com/pg');
    expect(docsUrlFor(defaultConfig(), {})).toBeUndefined();
  });
});
