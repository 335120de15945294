// The migrations the walk over every fix reviews: each rule page's flagged examples (docs/rules/*.md,
// so a new rule's page brings its examples along), each also spread over several lines with quoted
// mixed-case identifiers, and in a file that runs in one transaction.
import { readdirSync, readFileSync } from 'node:fs';
import { scanSync } from 'libpg-query';

export const DOCS_DIR = new URL('../../docs/rules/', import.meta.url);

export type Variant = 'doc' | 'multi-line, quoted' | 'transaction';

export interface FixCase {
  /** The rule page the example comes from. */
  page: string;
  variant: Variant;
  sql: string;
  inTransaction: boolean;
}

/**
 * The schema every example runs against, with a few rows per table: what the pages' examples name.
 * Identifiers in QUOTED are written quoted and mixed-case in the quoted variant (history included).
 */
export const HISTORY = `
CREATE TYPE order_status AS ENUM ('new', 'paid');
CREATE SCHEMA app;
CREATE DOMAIN positive AS int;
CREATE TABLE customers (id bigint PRIMARY KEY, mail text, name text);
CREATE TABLE orders (
  id bigint NOT NULL, customer_id bigint, status text, total numeric(12,2), amount numeric,
  number text, paid boolean NOT NULL DEFAULT false, legacy_code text, code text, invoice_id bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX orders_id_key ON orders (id);
CREATE INDEX orders_legacy_idx ON orders (legacy_code);
CREATE INDEX orders_code_idx ON orders (code);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE TABLE legacy_orders (id bigint PRIMARY KEY);
CREATE TABLE invoices_archive (id bigint PRIMARY KEY);
CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE MATERIALIZED VIEW daily_totals AS SELECT created_at::date AS day, count(*) AS n FROM orders GROUP BY 1;
CREATE UNIQUE INDEX daily_totals_day_key ON daily_totals (day);
INSERT INTO customers SELECT g, 'm' || g || '@example.com', 'n' || g FROM generate_series(1, 50) g;
INSERT INTO orders (id, customer_id, status, total, amount, number, legacy_code, code, invoice_id)
  SELECT g, 1 + g % 50, 'new', g, g, 'N' || g, 'L' || g, 'C' || g, g FROM generate_series(1, 200) g;
INSERT INTO events VALUES (1, '2020-06-01');
REFRESH MATERIALIZED VIEW daily_totals;
`;

/** Pages whose examples need the history changed a little (a column they add, or update, exists or not). */
export const PAGE_SETUP: Record<string, string> = {
  'adding-required-field': 'ALTER TABLE orders DROP COLUMN status;',
  'backfill-in-one-statement': "ALTER TABLE orders ADD COLUMN note text; UPDATE orders SET note = 'n';",
};

/** Renamed in the quoted variant: the table and columns fixes most often name. */
const QUOTED: Record<string, string> = {
  orders: '"Orders"',
  customers: '"Customers"',
  customer_id: '"customerId"',
  status: '"orderStatus"',
  note: '"noteText"',
  total: '"totalAmount"',
  legacy_code: '"legacyCode"',
};

/** Identifiers of QUOTED replaced by their quoted mixed-case names, token by token (strings untouched). */
export function quoteIdentifiers(sql: string): string {
  const bytes = Buffer.from(sql, 'utf8');
  let out = '';
  let at = 0;
  for (const token of scanSync(sql).tokens) {
    const replacement = token.tokenName === 'IDENT' ? QUOTED[token.text.toLowerCase()] : undefined;
    if (!replacement) continue;
    out += bytes.subarray(at, token.start).toString('utf8') + replacement;
    at = token.end;
  }
  return out + bytes.subarray(at).toString('utf8');
}

/** Each statement of more than three tokens broken over two lines at its middle token. */
export function spreadOverLines(sql: string): string {
  const bytes = Buffer.from(sql, 'utf8');
  const tokens = scanSync(sql).tokens.filter((t) => t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT');
  const breaks = new Set<number>();
  let statement: typeof tokens = [];
  const flush = () => {
    if (statement.length > 3) breaks.add(statement[Math.floor(statement.length / 2)]!.start);
    statement = [];
  };
  for (const token of tokens) {
    if (token.text === ';') flush();
    else statement.push(token);
  }
  flush();
  let out = '';
  let at = 0;
  for (const start of [...breaks].sort((a, b) => a - b)) {
    out += bytes.subarray(at, start).toString('utf8').replace(/[ \t]+$/, '') + '\n  ';
    at = start;
  }
  return out + bytes.subarray(at).toString('utf8');
}

/** The SQL of each "Flagged" block of a rule page. */
export function flaggedExamples(markdown: string): string[] {
  const out: string[] = [];
  for (const match of markdown.matchAll(/Flagged[^\n]*\n+```sql\n([\s\S]*?)```/g)) out.push(match[1]!.trim() + '\n');
  return out;
}

export function fixCases(): FixCase[] {
  const cases: FixCase[] = [];
  for (const name of readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md') && f !== 'README.md').sort()) {
    const page = name.slice(0, -3);
    for (const sql of flaggedExamples(readFileSync(new URL(name, DOCS_DIR), 'utf8'))) {
      cases.push({ page, variant: 'doc', sql, inTransaction: false });
      // One variant for both: each statement over two lines, with quoted mixed-case names.
      const varied = spreadOverLines(quoteIdentifiers(sql));
      if (varied !== sql) cases.push({ page, variant: 'multi-line, quoted', sql: varied, inTransaction: false });
      cases.push({ page, variant: 'transaction', sql, inTransaction: true });
    }
  }
  return cases;
}
