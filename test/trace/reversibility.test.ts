import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/sandbox/cluster.js';
import { checkReversibility, schemaObjects } from '../../src/trace/reversibility.js';
import { seedSql } from './observe-helpers.js';
import { parse } from './run-helpers.js';

const S = 'rev';
const UP = `CREATE TABLE ${S}.notes (id int PRIMARY KEY, body text);
ALTER TABLE ${S}.orders ADD COLUMN priority int NOT NULL DEFAULT 0;
CREATE INDEX orders_priority_idx ON ${S}.orders (priority);`;

let db: PGlite;
beforeAll(async () => {
  db = await openPglite();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.exec(seedSql(S));
});

async function check(down: string, up = UP) {
  return checkReversibility(db, { file: 'up.sql', up: await parse(up, 'up.sql'), downFile: 'down.sql', down: await parse(down) });
}

describe('checkReversibility', () => {
  it('a down that restores the schema: no findings, and the database is left as it was', async () => {
    const before = await schemaObjects(db);
    const result = await check(`DROP INDEX ${S}.orders_priority_idx;\nALTER TABLE ${S}.orders DROP COLUMN priority;\nDROP TABLE ${S}.notes;`);
    expect(result).toEqual({ findings: [], differences: [] });
    expect(await schemaObjects(db)).toEqual(before);
  });

  it('a down that forgets a column: says which, and up cannot run again', async () => {
    const result = await check(`DROP TABLE ${S}.notes;`);
    expect(result.differences).toEqual([
      'column rev.orders.priority remains (it did not exist before up: integer not null default 0)',
      'index rev.orders_priority_idx remains (it did not exist before up: CREATE INDEX orders_priority_idx ON rev.orders USING btree (priority))',
    ]);
    const rules = result.findings.map((f) => [f.rule, f.file, f.line]);
    expect(rules).toEqual([['down-migration-incomplete', 'down.sql', 1], ['up-after-down-fails', 'up.sql', 2]]);
    expect(result.findings[0]!.evidence).toContain('column rev.orders.priority remains');
    expect(result.findings[1]!.message).toContain('column "priority" of relation "orders" already exists');
  });

  it('a down that fails: the statement, its line and the error', async () => {
    const result = await check(`DROP INDEX ${S}.orders_priority_idx;\nDROP TABLE ${S}.no_such_table;`);
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ rule: 'down-migration-fails', severity: 'error', source: 'trace', file: 'down.sql', line: 2 });
    expect(result.findings[0]!.message).toContain('table "no_such_table" does not exist');
  });

  // crates.io versions_tar_sha256_not_null: production has a CHECK made by hand, which the up drops with
  // IF EXISTS and the down makes again; the history never made it.
  it('an object the up drops IF EXISTS and the down creates is not a difference, but said as unseen', async () => {
    const up = `ALTER TABLE ${S}.orders ALTER COLUMN status SET NOT NULL;\nALTER TABLE ${S}.orders DROP CONSTRAINT IF EXISTS orders_status_present;\nDROP INDEX IF EXISTS ${S}.orders_status_idx;`;
    const down = `ALTER TABLE ${S}.orders ADD CONSTRAINT orders_status_present CHECK (status IS NOT NULL) NOT VALID;\nCREATE INDEX orders_status_idx ON ${S}.orders (status);\nALTER TABLE ${S}.orders ALTER COLUMN status DROP NOT NULL;`;
    const result = await check(down, up);
    expect(result).toEqual({
      findings: [],
      differences: [],
      unseenBeforeUp: [
        { object: 'constraint rev.orders.orders_status_present', line: 2 },
        { object: 'index rev.orders_status_idx', line: 3 },
      ],
    });
  });

  it('an object the down creates that the up never drops IF EXISTS stays a difference', async () => {
    const up = `ALTER TABLE ${S}.orders DROP CONSTRAINT IF EXISTS some_other_name;`;
    const result = await check(`ALTER TABLE ${S}.orders ADD CONSTRAINT orders_status_present CHECK (status IS NOT NULL) NOT VALID;`, up);
    expect(result.unseenBeforeUp).toBeUndefined();
    expect(result.differences).toEqual(['constraint rev.orders.orders_status_present remains (it did not exist before up: CHECK ((status IS NOT NULL)) NOT VALID)']);
    expect(result.findings.map((f) => f.rule)).toEqual(['down-migration-incomplete']);
  });

  it('a down that restores a different type: the column differs', async () => {
    const up = `ALTER TABLE ${S}.orders ALTER COLUMN status TYPE text;`;
    const result = await check(`ALTER TABLE ${S}.orders ALTER COLUMN status TYPE varchar(20);`, up);
    expect(result.differences).toEqual(['column rev.orders.status differs: was character varying(10), now character varying(20)']);
  });

  it('an up that fails is not this check’s finding: it says why it stopped', async () => {
    const result = await check('SELECT 1;', `ALTER TABLE ${S}.missing ADD COLUMN x int;`);
    expect(result.findings).toEqual([]);
    expect(result.skipped).toMatch(/^up failed at line 1: relation "rev.missing" does not exist/);
  });
});
