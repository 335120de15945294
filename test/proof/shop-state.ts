// The state the prover tests start from: customers and orders with rows (so a blocking build or a
// validating scan has something to hold its lock over), saved as a snapshot each fix replays from.
import { createSandbox } from '../../src/sandbox/index.js';
import type { CatalogSnapshot } from '../../src/types.js';

// Generous: a statement (or a start) on a machine busy with other work must not look like a runaway one.
export const PROOF_SANDBOX = { statementTimeoutMs: 120_000, memoryMb: 2048, startTimeoutMs: 600_000 };

export async function shopState(): Promise<{ start: Uint8Array; catalogBefore: CatalogSnapshot }> {
  const base = await createSandbox(PROOF_SANDBOX);
  try {
    await base.exec(`
      CREATE TABLE customers (id bigint PRIMARY KEY, email text);
      CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id bigint, note text, total int);
      INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 300) g;
      INSERT INTO orders (customer_id, note) SELECT 1 + g % 300, 'n' || g FROM generate_series(1, 2000) g;`);
    return { catalogBefore: await base.catalog(), start: await base.snapshot() };
  } finally {
    await base.close();
  }
}
