// A fake GitHub REST API on loopback for end-to-end tests: answers the handful of endpoints pgpro uses
// (under GitHub Enterprise's /api/v3 prefix, so GHE_HOST points a real Probot server at it) and records
// every request.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the /api/v3 prefix and without the query. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** A hung request (fault `hang`) the client gave up on: it closed the connection unanswered. */
  abandoned?: boolean;
}

export interface FakePullRequest {
  number: number;
  headSha: string;
  baseSha: string;
  files: { filename: string; status: string; patch?: string }[];
}

export interface FakeRepo {
  owner: string;
  repo: string;
  /** Commit sha → file path → content. */
  commits: Record<string, Record<string, string>>;
  pulls: FakePullRequest[];
  /** `.github/pgpro.yml` on the default branch; absent means 404 (the org repo is 404 too). */
  config?: string;
  /** login → role_name; absent users are not collaborators. */
  roles?: Record<string, 'admin' | 'maintain' | 'write' | 'triage' | 'read'>;
}

export interface CheckRunState {
  id: number;
  head_sha: string;
  name: string;
  status: string;
  conclusion?: string;
  output?: { title?: string; summary?: string; text?: string; annotations?: unknown[] };
  annotations: unknown[];
}

/** A fault injected into matching requests, `times` times (then the normal answer). */
export interface Fault {
  method?: string;
  /** Matched against the path without /api/v3 and query. */
  path: RegExp;
  match?: (request: FakeRequest) => boolean;
  times: number;
  /** Wait this long before answering (a slow GitHub; clients with a timeout give up first). */
  delayMs?: number;
  /** Never answer: the request hangs until the client gives up (then it is marked `abandoned`). */
  hang?: boolean;
  /** Answer with this instead of the normal response. */
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGitHub {
  /** host:port, for GHE_HOST. */
  host: string;
  requests: FakeRequest[];
  inject(fault: Fault): void;
  checkRuns: CheckRunState[];
  comments: { id: number; issue: number; body: string; user: { login: string; type: string } }[];
  reviews: { pull: number; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** Like git: the blob sha depends on the content only, so an unchanged file has the same sha in every commit. */
const blobSha = (content: string) => createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0${content}`).digest('hex');

export async function startFakeGitHub(state: FakeRepo): Promise<FakeGitHub> {
  const requests: FakeRequest[] = [];
  const checkRuns: CheckRunState[] = [];
  const comments: FakeGitHub['comments'] = [];
  const reviews: FakeGitHub['reviews'] = [];
  const blobs = new Map<string, string>();
  const faults: Fault[] = [];
  let nextId = 1000;
  const repoPrefix = `/repos/${state.owner}/${state.repo}`;

  function route(method: string, path: string, body: unknown): [number, unknown] {
    let m: RegExpExecArray | null;
    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return [201, { token: 'ghs_fake', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} }];
    }
    if (method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/contents\/(.+)$/.exec(path))) {
      const file = decodeURIComponent(m[1]!);
      if (path.startsWith(repoPrefix) && file === '.github/pgpro.yml' && state.config !== undefined) return [200, state.config];
      return [404, { message: 'Not Found' }];
    }
    if (!path.startsWith(`${repoPrefix}/`)) return [404, { message: 'Not Found' }];
    const rest = path.slice(repoPrefix.length);
    const pull = (n: string) => state.pulls.find((p) => p.number === Number(n));

    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/files$/.exec(rest))) return [200, pull(m[1]!)?.files ?? []];
    if (method === 'GET' && (m = /^\/pulls\/(\d+)$/.exec(rest))) {
      const p = pull(m[1]!);
      if (!p) return [404, { message: 'Not Found' }];
      return [200, { number: p.number, draft: false, changed_files: p.files.length, head: { sha: p.headSha }, base: { sha: p.baseSha } }];
    }
    if (method === 'GET' && (m = /^\/git\/trees\/([0-9a-f]+)$/.exec(rest))) {
      const files = state.commits[m[1]!];
      if (!files) return [404, { message: 'Not Found' }];
      const tree = Object.entries(files).map(([p, content]) => {
        const sha = blobSha(content);
        blobs.set(sha, content);
        return { path: p, mode: '100644', type: 'blob', sha, size: Buffer.byteLength(content) };
      });
      return [200, { sha: `tree${m[1]!.slice(4)}`, truncated: false, tree }];
    }
    if (method === 'GET' && (m = /^\/git\/blobs\/([0-9a-f]+)$/.exec(rest))) {
      const content = blobs.get(m[1]!);
      if (content === undefined) return [404, { message: 'Not Found' }];
      return [200, { sha: m[1], encoding: 'base64', content: Buffer.from(content).toString('base64') }];
    }
    if (method === 'POST' && rest === '/check-runs') {
      const input = body as Omit<CheckRunState, 'id' | 'annotations'>;
      const run: CheckRunState = { ...input, id: nextId++, annotations: [...(input.output?.annotations ?? [])] };
      checkRuns.push(run);
      return [201, { ...run, html_url: `https://github.example/${state.owner}/${state.repo}/runs/${run.id}` }];
    }
    if (method === 'PATCH' && (m = /^\/check-runs\/(\d+)$/.exec(rest))) {
      const run = checkRuns.find((r) => r.id === Number(m![1]));
      if (!run) return [404, { message: 'Not Found' }];
      const update = body as Partial<CheckRunState>;
      run.annotations.push(...(update.output?.annotations ?? []));
      Object.assign(run, update);
      return [200, run];
    }
    if (method === 'GET' && (m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      return [200, comments.filter((c) => c.issue === Number(m![1]))];
    }
    if (method === 'POST' && (m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const comment = { id: nextId++, issue: Number(m[1]), body: (body as { body: string }).body, user: { login: 'pgpro[bot]', type: 'Bot' } };
      comments.push(comment);
      return [201, comment];
    }
    if (method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const comment = comments.find((c) => c.id === Number(m![1]));
      if (!comment) return [404, { message: 'Not Found' }];
      comment.body = (body as { body: string }).body;
      return [200, comment];
    }
    if (method === 'POST' && /^\/issues\/comments\/\d+\/reactions$/.test(rest)) return [201, { id: nextId++, content: 'eyes' }];
    if (method === 'GET' && /^\/pulls\/\d+\/comments$/.test(rest)) return [200, []];
    if (method === 'POST' && (m = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) {
      reviews.push({ pull: Number(m[1]), body: body as Record<string, unknown> });
      return [200, { id: nextId++ }];
    }
    if (method === 'GET' && (m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest))) {
      const role = state.roles?.[decodeURIComponent(m[1]!)];
      if (!role) return [404, { message: 'Not Found' }];
      const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return [200, { permission, role_name: role }];
    }
    return [404, { message: `fake GitHub has no route for ${method} ${path}` }];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api\/v3/, '');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text
    }
    const method = req.method ?? 'GET';
    const request: FakeRequest = { method, path, query: Object.fromEntries(url.searchParams), body };
    requests.push(request);
    const fault = faults.find(
      (f) => f.times > 0 && (!f.method || f.method === method) && f.path.test(path) && (!f.match || f.match(request)),
    );
    if (fault) {
      fault.times--;
      if (fault.hang) {
        await new Promise((resolve) => res.once('close', resolve));
        request.abandoned = true;
        return;
      }
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.status !== undefined) {
        if (res.destroyed) return;
        res
          .writeHead(fault.status, { 'content-type': 'application/json; charset=utf-8', ...fault.headers })
          .end(JSON.stringify(fault.body ?? { message: 'injected fault' }));
        return;
      }
    }
    if (res.destroyed) return;
    const [status, response] = route(method, path, body);
    if (typeof response === 'string') {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(response);
    } else {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(response));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    inject: (fault) => void faults.push(fault),
    checkRuns,
    comments,
    reviews,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
