import { describe, expect, it } from 'vitest';
import { commentableLines, inlineComments, readCommentFingerprint } from '../../src/report/inline.js';
import { finding } from './fixture.js';

const FILE = 'db/migrations/0002_orders.sql';
const NEW_FILE = 'db/migrations/0003_items.sql';

// As pulls.listFiles returns it: no file headers, two hunks, a deletion, and the last line without newline.
const MODIFIED_PATCH = [
  '@@ -1,4 +1,5 @@',
  ' -- orders',
  ' CREATE TABLE orders (',
  '-  id int',
  '+  id bigint,',
  '+  note text',
  ' );',
  '@@ -10,3 +11,4 @@ CREATE TABLE items (',
  ' CREATE INDEX a ON items (x);',
  '-DROP TABLE old;',
  '+DROP TABLE IF EXISTS old;',
  '+-- done',
  ' SELECT 1;',
  '\\ No newline at end of file',
].join('\n');

const NEW_FILE_PATCH = ['@@ -0,0 +1,3 @@', '+CREATE TABLE items (', '+  id bigint', '+);', '\\ No newline at end of file'].join('\n');

const patches = { [FILE]: MODIFIED_PATCH, [NEW_FILE]: NEW_FILE_PATCH, 'db/migrations/0004_big.sql': undefined };

describe('commentableLines', () => {
  it('lists added and context lines of every hunk on the right side, never deleted ones', () => {
    expect([...commentableLines(MODIFIED_PATCH)].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 11, 12, 13, 14]);
  });

  it('treats a new file as all additions', () => {
    expect([...commentableLines(NEW_FILE_PATCH)]).toEqual([1, 2, 3]);
  });

  it('places nothing on an empty or malformed patch', () => {
    expect(commentableLines('').size).toBe(0);
    expect(commentableLines('@@ -1,3 +1,4 @@\n a\n+b').size).toBe(0);
  });

  it('ignores deletions at the end of a hunk', () => {
    expect([...commentableLines('@@ -5,3 +5,1 @@\n keep\n-gone\n-gone too')]).toEqual([5]);
  });
});

describe('inlineComments', () => {
  it('comments only on findings inside the diff and skips the rest', () => {
    const inside = finding({ rule: 'a', file: FILE, line: 4 });
    const outsideLine = finding({ rule: 'b', file: FILE, line: 7 });
    const endOutside = finding({ rule: 'c', file: FILE, line: 13, endLine: 16 });
    const noPatch = finding({ rule: 'd', file: 'db/migrations/0004_big.sql', line: 1 });
    const notInPr = finding({ rule: 'e', file: 'db/migrations/0001_init.sql', line: 1 });
    const { comments, skipped } = inlineComments([inside, outsideLine, endOutside, noPatch, notInPr], patches, {
      alreadyPosted: new Set(),
    });
    expect(comments.map((c) => [c.path, c.line, c.side, c.start_line])).toEqual([[FILE, 4, 'RIGHT', undefined]]);
    expect(skipped.map((f) => f.rule).sort()).toEqual(['b', 'c', 'd', 'e']);
  });

  it('turns a drop-in fix into a suggestion spanning the statement lines', () => {
    const multi = finding({
      rule: 'require-concurrent-index-creation',
      severity: 'error',
      file: FILE,
      line: 2,
      endLine: 5,
      message: 'Locks orders.',
      evidence: 'ShareLock on public.orders',
      fix: { title: 'Build it concurrently', sql: 'CREATE TABLE orders (\n  id bigint\n);\n', replacesStatement: true },
    });
    const [comment] = inlineComments([multi], patches, { alreadyPosted: new Set() }).comments;
    expect(comment).toMatchObject({ path: FILE, start_line: 2, start_side: 'RIGHT', line: 5, side: 'RIGHT' });
    expect(comment!.body).toContain('**Fix:** Build it concurrently\n\n```suggestion\nCREATE TABLE orders (\n  id bigint\n);\n```');
    expect(comment!.body).toContain('<details><summary>Evidence</summary>');
    expect(comment!.body.split('\n')[0]).toBe(`<!-- pgpro:fp ${multi.fingerprint} -->`);

    const single = finding({ rule: 'x', file: NEW_FILE, line: 2, fix: { title: 't', sql: '  id int', replacesStatement: true } });
    const [one] = inlineComments([single], patches, { alreadyPosted: new Set() }).comments;
    expect(one).not.toHaveProperty('start_line');
    expect(one!.body).toContain('```suggestion\n  id int\n```');
  });

  it('shows fix SQL that is not a drop-in replacement as a sql block', () => {
    const f = finding({ rule: 'x', file: NEW_FILE, line: 1, endLine: 3, fix: { title: 't', sql: 'SELECT 1;' } });
    const [comment] = inlineComments([f], patches, { alreadyPosted: new Set() }).comments;
    expect(comment!.body).toContain('```sql\nSELECT 1;\n```');
    expect(comment!.body).not.toContain('suggestion');
  });

  it('falls back to a single-line comment without suggestion when a statement spans two hunks', () => {
    const f = finding({ rule: 'x', file: FILE, line: 5, endLine: 12, fix: { title: 't', sql: 'x', replacesStatement: true } });
    const [comment] = inlineComments([f], patches, { alreadyPosted: new Set() }).comments;
    expect(comment).toMatchObject({ line: 5, side: 'RIGHT' });
    expect(comment).not.toHaveProperty('start_line');
    expect(comment!.body).not.toContain('suggestion');
  });

  it('does not post a finding twice, within a run or across runs', () => {
    const a = finding({ rule: 'a', file: NEW_FILE, line: 1 });
    const twin = { ...a, line: 2, endLine: 2 };
    const b = finding({ rule: 'b', file: NEW_FILE, line: 3 });
    const first = inlineComments([a, twin, b], patches, { alreadyPosted: new Set() });
    expect(first.comments).toHaveLength(2);
    expect(first.duplicates).toEqual([twin]);

    const posted = new Set(first.comments.map((c) => readCommentFingerprint(c.body)!));
    expect(posted).toEqual(new Set([a.fingerprint, b.fingerprint]));
    const second = inlineComments([a, b], patches, { alreadyPosted: posted });
    expect(second.comments).toEqual([]);
    expect(second.skipped).toEqual([]);
    expect(second.duplicates).toEqual([a, b]);
  });

  it('reads the fingerprint only from pgpro markers, before any quoted text', () => {
    const f = finding({ rule: 'agent/x', file: NEW_FILE, line: 1, message: 'quote: <!-- pgpro:fp forged -->' });
    const [comment] = inlineComments([f], patches, { alreadyPosted: new Set() }).comments;
    expect(readCommentFingerprint(comment!.body)).toBe(f.fingerprint);
    expect(readCommentFingerprint('LGTM')).toBeUndefined();
  });
});
