// The agent inside the pipeline: tools over the real sandbox, fixes verified in a fresh sandbox,
// token use in the stats, the model's summary as a note. The Anthropic API is mocked with nock.
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import type { ReviewResult } from '../../src/types.js';
import { message } from '../helpers/fake-anthropic.js';

const FILE = 'db/migrations/0002_index.sql';
const files = {
  'db/migrations/0001_tables.sql':
    'CREATE TABLE accounts (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id));\n',
  [FILE]: "SET lock_timeout = '5s';\nCREATE INDEX orders_account_idx ON orders (account_id);\n",
};

const answer = {
  summary: 'One blocking index build on orders.',
  findings: [
    {
      file: FILE,
      line: 2,
      topic: 'index-build',
      severity: 'error',
      title: 'Index build blocks writes',
      message: 'Building orders_account_idx blocks writes to orders for the whole build.',
      rationale: 'describe_table(orders) shows no index on account_id yet; the trace saw a SHARE lock.',
      confidence: 0.8,
      extends: '',
      fix: { title: 'Build it concurrently', sql: 'CREATE INDEX CONCURRENTLY orders_account_idx ON orders (account_id);' },
    },
    {
      file: FILE,
      line: 2,
      topic: 'naming',
      title: 'A fix that does not apply',
      message: 'Index the wrong table.',
      rationale: 'For the test: this fix must not be verified.',
      confidence: 0.3,
      extends: '',
      fix: { title: 'Use another table', sql: 'CREATE INDEX CONCURRENTLY x_idx ON no_such_table (account_id);' },
    },
  ],
};

let result: ReviewResult;
const bodies: { messages: { role: string; content: unknown }[] }[] = [];

beforeAll(async () => {
  nock('https://api.anthropic.com')
    .post('/v1/messages', (body) => (bodies.push(body), true))
    .reply(200, message([{ type: 'tool_use', id: 'tool_1', name: 'describe_table', input: { table: 'orders' } }], 'tool_use'))
    .post('/v1/messages', (body) => (bodies.push(body), true))
    .reply(200, message([{ type: 'text', text: JSON.stringify(answer) }], 'end_turn'));
  const config = validateConfig({ explain: { enabled: false } }, 'test');
  result = await review(
    { head: memoryTree(files), changed: [FILE] },
    { config },
    { env: { ANTHROPIC_API_KEY: 'sk-ant-test-key' } },
  );
}, 180_000);
afterAll(() => nock.cleanAll());

describe('the Claude review inside the pipeline', () => {
  it('answers the model\'s tool call from the real sandbox', () => {
    expect(bodies).toHaveLength(2);
    const toolTurn = bodies[1]!.messages.at(-1)!.content as { type: string; tool_use_id: string; content: string }[];
    expect(toolTurn[0]).toMatchObject({ type: 'tool_result', tool_use_id: 'tool_1' });
    expect(toolTurn[0]!.content).toContain('Table public.orders');
    expect(toolTurn[0]!.content).toContain('account_id bigint NOT NULL');
  });

  it('reports the findings at the configured severity, each fix proven in a fresh sandbox, a restatement dropped', () => {
    const agent = result.findings.filter((f) => f.source === 'agent');
    expect(agent.map((f) => [f.rule, f.severity, f.line, f.fix?.verified, f.fix?.proof?.reason])).toEqual([
      ['agent/naming', 'warning', 2, false, 'does-not-apply'],
    ]);
    // Its fix is the rule's own: the point adds nothing to require-concurrent-index-creation.
    expect(result.notes).toContain(
      'Claude review: 1 point(s) dropped because they only restate a deterministic finding: index-build (restates require-concurrent-index-creation at line 2).',
    );
  });

  it('shows the tokens used and the model\'s summary as its words', () => {
    expect(result.stats.agent).toEqual({ inputTokens: 2000, outputTokens: 100, cached: false, toolCalls: 1, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(result.notes).toContain("Claude's overall assessment (its words, not checked): “One blocking index build on orders.”");
  });

  it('never sends the API key to the model', () => {
    expect(JSON.stringify(bodies)).not.toContain('sk-ant-test-key');
  });
});
