// The message of adding-foreign-key-constraint names the locks PostgreSQL takes: ADD COLUMN … REFERENCES
// holds ACCESS EXCLUSIVE on the table it alters (every ADD COLUMN does) and SHARE ROW EXCLUSIVE on the
// referenced table; ADD CONSTRAINT … FOREIGN KEY holds SHARE ROW EXCLUSIVE on both.
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

async function messageOf(sql: string): Promise<string> {
  const found = (await lint({ sql })).filter((f) => f.rule === 'adding-foreign-key-constraint');
  expect(found).toHaveLength(1);
  return found[0]!.message;
}

describe('adding-foreign-key-constraint names the locks taken', () => {
  it('ADD COLUMN … REFERENCES: ACCESS EXCLUSIVE on the table, SHARE ROW EXCLUSIVE on the referenced one', async () => {
    expect(await messageOf('ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id);')).toBe(
      'Adding orders.customer_id with REFERENCES customers takes an ACCESS EXCLUSIVE lock on orders and a SHARE ROW ' +
        'EXCLUSIVE lock on customers: every query on orders, and INSERT, UPDATE and DELETE on customers, wait for the ' +
        'statement, which itself queues behind running queries.',
    );
  });

  it('a column referencing its own table names one lock', async () => {
    expect(await messageOf('ALTER TABLE employees ADD COLUMN manager_id bigint REFERENCES employees (id);')).toBe(
      'Adding employees.manager_id with REFERENCES employees takes an ACCESS EXCLUSIVE lock on employees: every query ' +
        'on employees waits for the statement, which itself queues behind running queries.',
    );
  });

  it('ADD CONSTRAINT … FOREIGN KEY: SHARE ROW EXCLUSIVE on both tables', async () => {
    expect(await messageOf('ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id);')).toContain(
      'while holding SHARE ROW EXCLUSIVE locks on orders and customers',
    );
  });
});
