// `pgpro review --fix`: only fixes the proof verified are written, with the proof's own text
// replacement; overlapping fixes converge in one run; --dry-run prints a unified diff and writes nothing.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFixesToTexts, fixDiff, writableFix } from '../../src/cli/fix.js';
import type { Finding } from '../../src/types.js';
import { cli, tempTree, type CliRun } from './helpers.js';

const FILE = 'db/migrations/0002_change.sql';

function finding(line: number, endLine: number, sql: string, proof: { verified: boolean; replacesStatement: boolean }): Finding {
  return {
    rule: 'require-concurrent-index-creation', severity: 'error', source: 'lint', file: FILE, line, endLine, message: 'm',
    fix: { title: 't', sql, replacesStatement: proof.replacesStatement, verified: proof.verified }, fingerprint: `fp${line}`,
  };
}

describe('applyFixesToTexts', () => {
  const text = '-- housekeeping\nCREATE INDEX i\n  ON orders (a); -- by customer\nDROP INDEX j;\n';

  it('writes a proven fix with the text replacement the proof applied: no ";" after a trailing comment', () => {
    const fix = finding(2, 3, 'CREATE INDEX CONCURRENTLY i\n  ON orders (a); -- by customer', { verified: true, replacesStatement: true });
    const { texts, applied } = applyFixesToTexts(new Map([[FILE, text]]), [fix]);
    expect(applied).toEqual([`${FILE}:2`]);
    expect(texts.get(FILE)).toBe('-- housekeeping\nCREATE INDEX CONCURRENTLY i\n  ON orders (a); -- by customer\nDROP INDEX j;\n');
  });

  it('never writes a fix the proof did not verify, even one marked as replacing its statement', () => {
    const unproven = finding(4, 4, 'DROP INDEX CONCURRENTLY j;', { verified: false, replacesStatement: true });
    expect(writableFix(unproven)).toBe(false);
    expect(applyFixesToTexts(new Map([[FILE, text]]), [unproven])).toEqual({ texts: new Map(), applied: [] });
  });

  it('applies one of two overlapping fixes per pass, the first listed (the worst)', () => {
    const first = finding(2, 3, 'CREATE INDEX CONCURRENTLY i ON orders (a);', { verified: true, replacesStatement: true });
    const second = finding(2, 3, "SET lock_timeout = '5s';\nCREATE INDEX i ON orders (a);", { verified: true, replacesStatement: true });
    const { texts } = applyFixesToTexts(new Map([[FILE, text]]), [first, second]);
    expect(texts.get(FILE)).toBe('-- housekeeping\nCREATE INDEX CONCURRENTLY i ON orders (a);\nDROP INDEX j;\n');
  });

  it('prints a unified diff that git apply reads', () => {
    const diff = fixDiff(new Map([[FILE, { before: 'a\nb\n', after: 'a\nc\n' }]]));
    expect(diff).toBe(`--- a/${FILE}\n+++ b/${FILE}\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n`);
  });
});

describe('pgpro review --fix on a real review', () => {
  const HISTORY = 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);\n';
  // The proofs are what --fix writes from: time enough for them on a busy machine; no rehearsals (not tested here).
  const FIX_CONFIG = 'explain:\n  enabled: false\nlimits:\n  fix-proof-seconds: 1800\nrehearsal:\n  retry: false\n  lock-time: false\n';
  const CHANGE = [
    '-- housekeeping',
    'CREATE INDEX orders_customer_idx',
    '  ON orders (customer_id); -- by customer',
    "ALTER TABLE orders ADD COLUMN \"hintText\" varchar(20) DEFAULT 'x';",
    '',
  ].join('\n');
  const files = { 'db/migrations/0001_init.sql': HISTORY, [FILE]: CHANGE, 'pgpro.yml': FIX_CONFIG };
  let root: string;
  let dry: CliRun;
  let fixed: CliRun;
  let again: CliRun;
  let afterFix: string;

  beforeAll(async () => {
    root = await tempTree(files);
    dry = await cli(['review', FILE, '-C', root, '--fix', '--dry-run', '--no-cache']);
    fixed = await cli(['review', FILE, '-C', root, '--fix', '--no-cache']);
    afterFix = await readFile(join(root, FILE), 'utf8');
    again = await cli(['review', FILE, '-C', root, '--fix', '--no-cache']);
  }, 900_000);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('--dry-run prints the diff of what --fix then writes, and writes nothing itself', () => {
    expect(dry.stderr).toMatch(/--dry-run: would apply \d+ proven fix/);
    expect(dry.stdout).toMatch(new RegExp(`^--- a/${FILE}\\n\\+\\+\\+ b/${FILE}\\n`));
    expect(dry.stdout).toContain('+CREATE INDEX CONCURRENTLY orders_customer_idx');
    const lines = afterFix.split('\n');
    // Applying the printed diff to the original gives the file --fix wrote.
    for (const line of dry.stdout.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++'))) expect(lines).toContain(line.slice(1));
  });

  it('writes the proven fixes of overlapping findings in one run: a second run finds nothing to apply', () => {
    expect(fixed.stderr).toMatch(/applied \d+ proven fix/);
    expect(afterFix).toContain('CREATE INDEX CONCURRENTLY orders_customer_idx\n  ON orders (customer_id); -- by customer\n');
    expect(afterFix).toContain("SET lock_timeout = '5s';");
    expect(again.stderr).toContain('no proven fixes to apply');
  });

  it('leaves the varchar(20) DEFAULT column alone: its text CHECK rewrite is not proven', () => {
    expect(afterFix).toContain("ADD COLUMN \"hintText\" varchar(20) DEFAULT 'x';");
    expect(afterFix).not.toContain('CHECK');
  });
});
