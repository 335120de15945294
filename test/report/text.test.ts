import { describe, expect, it } from 'vitest';
import { render } from '../../src/report/index.js';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { ADD_NOTE, cleanResult, finding, sampleResult } from './fixture.js';

describe('text report', () => {
  it('shows findings per file with statement, evidence and fix, then migrations, notes and totals', () => {
    expect(renderText(sampleResult())).toMatchInlineSnapshot(`
      "db/migrations/20240102_add_note.sql (1 error, 1 warning, 1 info)
        db/migrations/20240102_add_note.sql:2  warning  adding-not-nullable-field  Adding a NOT NULL column takes an AccessExclusiveLock on orders.
          2 │ ALTER TABLE orders
          3 │   ADD COLUMN note text NOT NULL DEFAULT 'n/a';
          fix: Add the column nullable, backfill, then add a NOT NULL constraint
            1. Add the column without NOT NULL
            2. Backfill in batches
            3. Validate a CHECK constraint

        db/migrations/20240102_add_note.sql:5  error  require-concurrent-index-creation  CREATE INDEX locks orders against writes (ShareLock) while the index builds.
          5 │ CREATE INDEX orders_note_idx ON orders (note);
          evidence:
            ShareLock on public.orders
            seq scans: public.orders 1 (0 rows)
          fix: Build the index concurrently, outside a transaction
            CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);

        db/migrations/20240102_add_note.sql:7  info  agent/batch-backfill  This UPDATE touches every open order in one transaction.
           7 │ UPDATE orders
           8 │    SET note = upper(note)
           9 │  WHERE id > 0
          10 │    AND note IS NOT NULL
          11 │    AND note <> ''
          12 │    AND created_at > now() - interval '1 day'
          13 │    AND status = 'open'
          14 │    AND total > 0
             │ …
          evidence:
            Rows estimated: 120000

      db/migrations/20240103_bad.sql (1 error)
        db/migrations/20240103_bad.sql:1  error  apply-error  relation "nope" does not exist (42P01)
          1 │ ALTER TABLE nope ADD COLUMN x int;

      Migrations: 2 new, 1 history migration replayed
        file                                 status   statements  ms
        db/migrations/20240102_add_note.sql  applied           3  14
        db/migrations/20240103_bad.sql       failed            1   2
          line 1: relation "nope" does not exist

      Notes:
        - The agent review used a cached answer.

      Reviewed 2 migrations, 4 statements in 1.2 s on PGlite 18.6
      2 errors, 1 warning, 1 info — failure
      "
    `);
  });

  it('colors severities and dims evidence only when asked', () => {
    const colored = renderText(sampleResult(), { color: true });
    expect(colored).toContain('\x1b[31merror\x1b[0m');
    expect(colored).toContain('\x1b[33mwarning\x1b[0m');
    expect(colored).toContain('\x1b[2m      ShareLock on public.orders\x1b[0m');
    expect(renderText(sampleResult(), { color: false })).not.toContain('\x1b');
  });

  it('never passes control characters from untrusted text to the terminal', () => {
    const result = sampleResult({
      findings: [finding({ rule: 'r', file: ADD_NOTE, line: 2, message: 'evil \x1b[2J clear', evidence: 'bell\x07' })],
      sources: { [ADD_NOTE]: 'x\n\x1b]0;title\x07\n' },
    });
    const text = renderText(result);
    expect(text).not.toMatch(/[\x07\x1b]/);
    expect(text).toContain('evil \uFFFD[2J clear');
  });

  it('says so when nothing was found', () => {
    const text = renderText(cleanResult());
    expect(text.trimEnd().split('\n').at(-1)).toBe('0 errors, 0 warnings, 0 info — success (No migration hazards found)');
    expect(text).toContain('Migrations: 1 new\n');
  });

  it('chooses the reporter by name', () => {
    const result = sampleResult();
    expect(render('json', result)).toBe(renderJson(result));
    expect(render('text', result, { color: true })).toBe(renderText(result, { color: true }));
    expect(render('markdown', result).startsWith('<!-- pgpro:summary -->')).toBe(true);
    expect(JSON.parse(render('sarif', result)).version).toBe('2.1.0');
    expect(() => render('html' as never, result)).toThrow(/Unknown report format "html"/);
  });
});
