// A scripted Messages API on loopback: ANTHROPIC_BASE_URL points the real SDK at it. Each POST
// /v1/messages gets the next scripted reply (a function may build it from the request) and its body is
// recorded; a request beyond the script gets a 500 and is recorded too, so a test sees it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestBody = Record<string, unknown> & { messages: { role: string; content: unknown }[] };

export type Reply = Record<string, unknown> | ((body: RequestBody) => Record<string, unknown>);

export interface FakeAnthropic {
  url: string;
  bodies: RequestBody[];
  /** Replies not used yet. */
  remaining(): number;
  close(): Promise<void>;
}

export async function fakeAnthropic(script: Reply[]): Promise<FakeAnthropic> {
  const bodies: RequestBody[] = [];
  const queue = [...script];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody;
      bodies.push(body);
      const next = req.method === 'POST' && req.url === '/v1/messages' ? queue.shift() : undefined;
      if (!next) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'no scripted reply left' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(typeof next === 'function' ? next(body) : next));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    remaining: () => queue.length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Messages API response as the API sends it. */
export function message(content: unknown[], stopReason: string, usage: Record<string, number> = { input_tokens: 1000, output_tokens: 50 }): Record<string, unknown> {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-5-5',
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
  };
}
