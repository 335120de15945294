import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

// Each rule's verdict for one SQL text under the four combinations of file mode and the
// `assume-in-transaction` override: the override wins over the file's own mode.
const matrix: { rule: string; sql: string; flaggedInTransaction: boolean }[] = [
  { rule: 'ban-concurrent-index-creation-in-transaction', sql: 'CREATE INDEX CONCURRENTLY i ON orders (a);', flaggedInTransaction: true },
  { rule: 'transaction-nesting', sql: 'BEGIN;\nALTER TABLE orders ADD COLUMN x int;\nCOMMIT;', flaggedInTransaction: true },
  { rule: 'statement-after-access-exclusive-lock', sql: 'ALTER TABLE orders ADD COLUMN x int;\nUPDATE orders SET x = 1;', flaggedInTransaction: true },
  { rule: 'adding-enum-value-in-transaction', sql: "ALTER TYPE status ADD VALUE 'paused';\nUPDATE orders SET status = 'paused';", flaggedInTransaction: true },
  { rule: 'constraint-missing-not-valid', sql: 'ALTER TABLE orders ADD CONSTRAINT pos CHECK (amount > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT pos;', flaggedInTransaction: true },
  { rule: 'prefer-robust-stmts', sql: 'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);', flaggedInTransaction: false },
];

const modes = [
  { name: 'autocommit file', inTransaction: false, override: undefined, effective: false },
  { name: 'transactional file', inTransaction: true, override: undefined, effective: true },
  { name: 'autocommit file, assume-in-transaction: true', inTransaction: false, override: true, effective: true },
  { name: 'transactional file, assume-in-transaction: false', inTransaction: true, override: false, effective: false },
] as const;

describe('transaction mode and the assume-in-transaction override', () => {
  for (const { rule, sql, flaggedInTransaction } of matrix) {
    for (const mode of modes) {
      const expected = mode.effective === flaggedInTransaction;
      it(`${rule}: ${mode.name} → ${expected ? 'flagged' : 'quiet'}`, async () => {
        const config = mode.override === undefined ? {} : { 'assume-in-transaction': mode.override };
        const found = (await lint({ sql, inTransaction: mode.inTransaction }, { config })).filter((f) => f.rule === rule);
        expect(found.length > 0).toBe(expected);
      });
    }
  }

  it('ban-lock-table says why: it fails outside a transaction and blocks inside one', async () => {
    const sql = 'LOCK TABLE orders;';
    const [outside] = (await lint({ sql, inTransaction: true }, { config: { 'assume-in-transaction': false } })).filter((f) => f.rule === 'ban-lock-table');
    const [inside] = (await lint({ sql }, { config: { 'assume-in-transaction': true } })).filter((f) => f.rule === 'ban-lock-table');
    expect(outside!.message).toContain('can only be used in transaction blocks');
    expect(inside!.message).toContain('holds it until the transaction ends');
  });

  it('a CONCURRENTLY fix is a drop-in only when the effective mode is autocommit', async () => {
    const sql = 'REINDEX INDEX orders_code_idx;';
    const fixOf = async (config: object, inTransaction: boolean) =>
      (await lint({ sql, inTransaction }, { config })).find((f) => f.rule === 'require-concurrent-reindex')!.fix!;
    expect(await fixOf({ 'assume-in-transaction': false }, true)).toMatchObject({ sql: 'REINDEX INDEX CONCURRENTLY orders_code_idx;', replacesStatement: true });
    expect((await fixOf({ 'assume-in-transaction': true }, false)).replacesStatement).toBeUndefined();
  });
});
