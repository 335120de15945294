// `npx tsx bench/agent-prompt.ts`: the size of the Claude review's first request on the bundled example
// and on a generated 50-table schema whose change touches 3 tables. A local HTTP server stands in for
// the Messages API (ANTHROPIC_BASE_URL), records the first request and answers with no findings.
// Tokens are estimated as characters / 4 (no tokenizer is available offline); the split shows which
// part of the request the characters belong to.
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../src/config/parse.js';
import { memoryTree } from '../src/migrations/tree.js';
import { review } from '../src/review.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

interface Captured {
  system: unknown;
  tools?: unknown;
  messages: { content: unknown }[];
}

async function withFakeApi<T>(work: (baseURL: string, first: () => Captured | undefined) => Promise<T>): Promise<T> {
  let first: Captured | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      first ??= JSON.parse(body) as Captured;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'msg_bench',
          type: 'message',
          role: 'assistant',
          model: 'bench',
          content: [{ type: 'text', text: JSON.stringify({ summary: 'ok', findings: [] }) }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => first);
  } finally {
    server.close();
  }
}

function chars(value: unknown): number {
  return value === undefined ? 0 : typeof value === 'string' ? value.length : JSON.stringify(value).length;
}

function userText(captured: Captured): string {
  const content = captured.messages[0]?.content;
  if (typeof content === 'string') return content;
  return (content as { type: string; text?: string }[]).map((b) => b.text ?? '').join('');
}

async function measure(name: string, files: Record<string, string>, changed: string[], explainQueries: string[] = []) {
  return withFakeApi(async (baseURL, first) => {
    const config = validateConfig({ explain: { queries: explainQueries } }, 'bench');
    await review(
      { head: memoryTree(files), changed },
      { config },
      { env: { ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: baseURL } },
    );
    const captured = first();
    if (!captured) throw new Error(`${name}: no request reached the fake API`);
    const user = userText(captured);
    const total = chars(captured);
    return {
      name,
      totalChars: total,
      systemChars: chars(captured.system),
      toolsChars: chars(captured.tools),
      userChars: user.length,
      estimatedTokens: Math.ceil(total / 4),
      user,
    };
  });
}

async function example(): Promise<Record<string, string>> {
  const dir = join(ROOT, 'examples/shop/db/migrations');
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) files[`db/migrations/${name}`] = await readFile(join(dir, name), 'utf8');
  return files;
}

/** 50 tables with 8 columns each, chained by foreign keys; the change touches 3 of them. */
function fiftyTables(): { files: Record<string, string>; changed: string[] } {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 50; i++) {
    const parent = i > 1 ? `t${Math.ceil(i / 2)}` : undefined;
    files[`db/migrations/${String(i).padStart(4, '0')}_t${i}.sql`] = [
      `CREATE TABLE t${i} (`,
      '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
      ...(parent ? [`  ${parent}_id bigint REFERENCES ${parent} (id),`] : []),
      '  name text NOT NULL,',
      '  status varchar(20) NOT NULL DEFAULT \'new\',',
      '  amount_cents bigint NOT NULL DEFAULT 0,',
      '  note text,',
      '  created_at timestamptz NOT NULL DEFAULT now(),',
      '  updated_at timestamptz',
      ');',
      ...(parent ? [`CREATE INDEX t${i}_${parent}_id_idx ON t${i} (${parent}_id);`] : []),
      `CREATE INDEX t${i}_created_at_idx ON t${i} (created_at);`,
      '',
    ].join('\n');
  }
  const change = 'db/migrations/0051_change.sql';
  files[change] = [
    "SET lock_timeout = '5s';",
    'ALTER TABLE t7 ADD COLUMN archived_at timestamp;',
    'ALTER TABLE t12 ADD COLUMN t7_id bigint REFERENCES t7 (id);',
    "UPDATE t30 SET status = 'archived' WHERE created_at < now() - interval '1 year';",
    'CREATE INDEX t30_status_idx ON t30 (status);',
    '',
  ].join('\n');
  return { files, changed: [change] };
}

const results = [];
results.push(await measure('examples/shop (0009 + 0010)', await example(), [
  'db/migrations/0009_order_tracking.sql',
  'db/migrations/0010_customer_tiers.sql',
]));
const fifty = fiftyTables();
results.push(await measure('50 tables, change touches 3', fifty.files, fifty.changed));

console.log('| case | request chars | system | tools | user message | ≈ tokens (chars/4) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.totalChars} | ${r.systemChars} | ${r.toolsChars} | ${r.userChars} | ${r.estimatedTokens} |`);
}
if (process.env.SHOW_PROMPT) for (const r of results) console.log(`\n===== ${r.name}\n${r.user}`);
