// A sandbox opened ahead (SandboxPool.prepare: the CLI opens the proofs' sandbox at the fix point while
// the review goes on) must serve the first work asking for that state as it is, without a restore, and
// a proof in it must reach the verdict a restored or new sandbox reaches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { createFixProver, createSandboxPool, type ProofFile, type ProofTarget } from '../../src/proof/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import type { CatalogSnapshot, MigrationFile } from '../../src/types.js';
import { PROOF_SANDBOX, shopState } from './shop-state.js';

let start: Uint8Array;
let catalogBefore: CatalogSnapshot;
const opened: Sandbox[] = [];

beforeAll(async () => {
  ({ start, catalogBefore } = await shopState());
}, 600_000);

afterAll(async () => {
  await Promise.all(opened.map((db) => db.close().catch(() => undefined)));
});

/** Opens a real sandbox and counts it, and counts the restores asked of it. */
function counting(): { open: (tarball: Uint8Array) => Promise<Sandbox>; restores: () => number } {
  let restores = 0;
  const open = async (tarball: Uint8Array): Promise<Sandbox> => {
    const db = await createSandbox({ ...PROOF_SANDBOX, tarball });
    opened.push(db);
    const restore = db.restore!.bind(db);
    db.restore = (t: Uint8Array) => {
      restores++;
      return restore(t);
    };
    return db;
  };
  return { open, restores: () => restores };
}

const exists = async (db: Sandbox, table: string) =>
  (await db.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [table])).rows[0]?.t !== null;

describe('SandboxPool.prepare', () => {
  it('serves the first work in that state without a restore, and closes a sandbox adopted meanwhile', { timeout: 900_000 }, async () => {
    const { open, restores } = counting();
    const pool = createSandboxPool(1);
    pool.prepare(open, start);
    // The review's own sandbox, moved past the start, handed over while the one opened ahead is there.
    const own = await createSandbox({ ...PROOF_SANDBOX, tarball: start });
    await own.exec('CREATE TABLE leftover (x int)');
    expect(pool.adopt(own)).toBe(true);
    const signal = new AbortController().signal;
    try {
      const first = await pool.use(signal, open, start, async (db) => {
        const state = { leftover: await exists(db, 'public.leftover'), orders: (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]?.n };
        await db.exec('CREATE TABLE mine (x int)');
        return state;
      });
      expect(first).toEqual({ leftover: false, orders: 2000 });
      expect(opened.length).toBe(1);
      expect(restores()).toBe(0);
      // The adopted sandbox is closed, not kept beside the one opened ahead.
      await expect(own.query('SELECT 1')).rejects.toThrow();
      // The next work in that state gets the used sandbox restored, as before.
      const second = await pool.use(signal, open, start, async (db) => exists(db, 'public.mine'));
      expect(second).toBe(false);
      expect(opened.length).toBe(1);
      expect(restores()).toBe(1);
    } finally {
      await pool.close();
      await own.close().catch(() => undefined);
    }
  });

  it('gives a fix the verdict it gets without a sandbox opened ahead', { timeout: 900_000 }, async () => {
    const sql = 'CREATE INDEX orders_note_idx ON orders (note);\nALTER TABLE orders ADD COLUMN shipped boolean;\n';
    const migration: MigrationFile = { path: 'db/0002_index.sql', convention: 'plain', version: '0002', name: 'index', kind: 'versioned', sql, lineOffset: 0, inTransaction: false, transactionReason: 'test' };
    const files: ProofFile[] = [{ migration, parsed: await parseMigrationSql(sql, migration.path) }];
    const target: ProofTarget = { file: migration.path, line: 1, endLine: 1, rule: 'require-concurrent-index-creation', sql: 'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);' };
    const verdicts = [];
    for (const ahead of [false, true]) {
      const { open } = counting();
      const pool = createSandboxPool(1);
      if (ahead) pool.prepare(open, start);
      const prover = createFixProver({ config: defaultConfig(), files, catalogBefore, start, open, pool });
      try {
        verdicts.push(await prover.prove([target], { budgetMs: 600_000 }));
      } finally {
        await prover.close();
        await pool.close();
      }
    }
    expect(verdicts[0]).toEqual([{ verified: true, reason: 'verified' }]);
    expect(verdicts[1]).toEqual(verdicts[0]);
  });
});
