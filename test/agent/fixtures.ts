import { readFileSync } from 'node:fs';
import type { CatalogSnapshot, Finding } from '../../src/types.js';
import type { AgentInput, AgentOptions } from '../../src/agent/index.js';
import { message } from '../helpers/fake-anthropic.js';

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/agent/${name}`, import.meta.url), 'utf8');
}

export const FK_FILE = 'db/migrations/20260101120000_add_customer.sql';

export const CATALOG: CatalogSnapshot = {
  tables: [
    {
      schema: 'public',
      name: 'orders',
      estimatedRows: 1_200_000,
      columns: [
        { name: 'id', type: 'bigint', notNull: true, default: "nextval('orders_id_seq'::regclass)" },
        { name: 'total', type: 'numeric(12,2)', notNull: true },
      ],
      indexes: [
        { name: 'orders_pkey', definition: 'CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)', unique: true, primary: true, columns: ['id'], valid: true },
      ],
      constraints: [{ name: 'orders_pkey', type: 'p', definition: 'PRIMARY KEY (id)', validated: true, columns: ['id'] }],
    },
    {
      schema: 'public',
      name: 'customers',
      estimatedRows: 50_000,
      columns: [
        { name: 'id', type: 'bigint', notNull: true },
        { name: 'email', type: 'text', notNull: true },
      ],
      indexes: [
        { name: 'customers_pkey', definition: 'CREATE UNIQUE INDEX customers_pkey ON public.customers USING btree (id)', unique: true, primary: true, columns: ['id'], valid: true },
        { name: 'customers_email_key', definition: 'CREATE UNIQUE INDEX customers_email_key ON public.customers USING btree (email)', unique: true, primary: false, columns: ['email'], valid: true },
      ],
      constraints: [
        { name: 'customers_pkey', type: 'p', definition: 'PRIMARY KEY (id)', validated: true, columns: ['id'] },
        { name: 'customers_email_key', type: 'u', definition: 'UNIQUE (email)', validated: true, columns: ['email'] },
      ],
    },
    {
      schema: 'audit',
      name: 'events',
      estimatedRows: 9_000_000,
      columns: [{ name: 'payload', type: 'jsonb', notNull: false }],
      indexes: [],
      constraints: [],
    },
  ],
  functions: [],
  extensions: ['pgcrypto'],
  enums: [{ schema: 'public', name: 'order_state', values: ['new', 'paid'] }],
};

export const FK_FINDING: Finding = {
  rule: 'adding-foreign-key-constraint',
  severity: 'error',
  source: 'trace',
  file: FK_FILE,
  line: 2,
  endLine: 2,
  message: 'Adding a validated foreign key locks orders (ShareRowExclusiveLock) and customers while every row is checked.',
  evidence: 'locks: orders ShareRowExclusiveLock, customers ShareRowExclusiveLock; scans: orders 1 seq scan',
  fix: { title: 'Add the constraint NOT VALID, then VALIDATE it in a separate migration' },
  fingerprint: 'aaaaaaaaaaaaaaaa',
};

export function fkInput(): AgentInput {
  return {
    migrations: [{ file: FK_FILE, sql: fixture('add_customer_fk.sql'), lineOffset: 0, convention: 'plain', inTransaction: true }],
    catalog: CATALOG,
    findings: [structuredClone(FK_FINDING)],
    postgresVersion: 16,
  };
}

export function options(overrides: Partial<AgentOptions> = {}): AgentOptions {
  return {
    model: 'claude-sonnet-5-5',
    maxTokens: 4000,
    inputTokenBudget: 60_000,
    maxToolCalls: 4,
    timeoutMs: 10_000,
    severity: 'warning',
    apiKey: 'sk-ant-test-key-0000000000000000',
    baseURL: 'https://api.anthropic.com',
    maxRetries: 2,
    ...overrides,
  };
}

/** A Messages API response body as the API sends it. */
export function apiMessage(
  content: unknown[],
  stopReason: string,
  usage: { input_tokens: number; output_tokens: number } = { input_tokens: 100, output_tokens: 20 },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { ...message(content, stopReason, usage), id: 'msg_test', ...extra };
}

export function textAnswer(answer: unknown): Record<string, unknown> {
  return apiMessage([{ type: 'text', text: typeof answer === 'string' ? answer : JSON.stringify(answer) }], 'end_turn');
}
