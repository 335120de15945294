// Big pull requests get a review, not none: inline comments capped and combined per line, sizes in the
// bytes GitHub counts, notes that need no action folded into one line, a delta that survives a re-run,
// and rule links to the docs of the version that wrote them.
import { describe, expect, it } from 'vitest';
import { checkRunOutput } from '../../src/report/check-run.js';
import { RULE_DOCS_BASE_URL, ruleDocUrl } from '../../src/report/common.js';
import { inlineComments, readCommentFingerprints } from '../../src/report/inline.js';
import { previousHazards, readFingerprints, renderMarkdown } from '../../src/report/markdown.js';
import { notesMarkdown } from '../../src/report/markdown-parts.js';
import { renderText } from '../../src/report/text.js';
import type { Finding } from '../../src/types.js';
import { finding, sampleResult } from './fixture.js';

const FILE = 'db/migrations/0002_big.sql';
const patch = (lines: number) => [`@@ -0,0 +1,${lines} @@`, ...Array.from({ length: lines }, (_, i) => `+line ${i + 1}`)].join('\n');
const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

describe('inline comments on a big pull request', () => {
  const many: Finding[] = Array.from({ length: 60 }, (_, i) =>
    finding({ rule: `r${i}`, file: FILE, line: i + 1, severity: i % 3 === 0 ? 'error' : i % 3 === 1 ? 'warning' : 'info' }),
  );

  it('posts at most `max` comments, the most severe first; the rest are left to the summary and annotations', () => {
    const { comments, capped } = inlineComments(many, { [FILE]: patch(60) }, { alreadyPosted: new Set(), max: 25 });
    expect(comments).toHaveLength(25);
    expect(capped).toHaveLength(35);
    // 20 errors, then the 5 first warnings.
    const posted = comments.map((c) => readCommentFingerprints(c.body)[0]);
    const bySeverity = (s: string) => many.filter((f) => f.severity === s).map((f) => f.fingerprint);
    expect(new Set(posted)).toEqual(new Set([...bySeverity('error'), ...bySeverity('warning').slice(0, 5)]));
    expect(capped.every((f) => f.severity !== 'error')).toBe(true);
    // Comments go out in file order.
    expect(comments.map((c) => c.line)).toEqual([...comments.map((c) => c.line)].sort((a, b) => a - b));
  });

  it('holds every finding of a line in one comment, and each is posted once across runs', () => {
    const a = finding({ rule: 'ban-drop-column', file: FILE, line: 3, severity: 'warning' });
    const b = finding({ rule: 'require-timeout-settings', file: FILE, line: 3, severity: 'warning' });
    const first = inlineComments([a, b], { [FILE]: patch(5) }, { alreadyPosted: new Set() });
    expect(first.comments).toHaveLength(1);
    const [comment] = first.comments;
    expect(readCommentFingerprints(comment!.body)).toEqual([a.fingerprint, b.fingerprint]);
    expect(comment!.body).toContain('`ban-drop-column`');
    expect(comment!.body).toContain('`require-timeout-settings`');
    const again = inlineComments([a, b], { [FILE]: patch(5) }, { alreadyPosted: new Set(readCommentFingerprints(comment!.body)) });
    expect(again.comments).toEqual([]);
  });

  it('a finding grouping statements is posted again only when one of its statements is new', () => {
    const grouped = finding({
      rule: 'changing-column-type', file: FILE, line: 1, severity: 'error',
      occurrences: [{ line: 1, endLine: 1, fingerprint: 'aaa' }, { line: 3, endLine: 3, fingerprint: 'bbb' }],
    });
    expect(inlineComments([grouped], { [FILE]: patch(5) }, { alreadyPosted: new Set(['aaa', 'bbb']) }).comments).toEqual([]);
    const [comment] = inlineComments([grouped], { [FILE]: patch(5) }, { alreadyPosted: new Set(['aaa']) }).comments;
    expect(readCommentFingerprints(comment!.body)).toEqual(['aaa', 'bbb']);
  });

  it('a suggestion replaces exactly the lines the comment covers, never more', () => {
    const pointed = finding({ rule: 'a', file: FILE, line: 2, severity: 'error' });
    const dropIn = finding({ rule: 'b', file: FILE, line: 2, endLine: 4, fix: { title: 't', sql: 'ALTER TABLE x\n  ADD COLUMN y int;', replacesStatement: true } });
    const [comment] = inlineComments([pointed, dropIn], { [FILE]: patch(5) }, { alreadyPosted: new Set() }).comments;
    // The comment sits on line 2 only (the first finding's lines): a suggestion there would duplicate lines 3-4.
    expect(comment).toMatchObject({ line: 2 });
    expect(comment).not.toHaveProperty('start_line');
    expect(comment!.body).not.toContain('```suggestion');
    expect(comment!.body).toContain('```sql\nALTER TABLE x');
    const [alone] = inlineComments([dropIn], { [FILE]: patch(5) }, { alreadyPosted: new Set() }).comments;
    expect(alone).toMatchObject({ start_line: 2, line: 4 });
    expect(alone!.body).toContain('```suggestion\nALTER TABLE x\n  ADD COLUMN y int;\n```');
  });
});

describe('sizes in bytes', () => {
  // Accents and emoji: more bytes than characters, as in the PR whose check text GitHub refused.
  const wide = Array.from({ length: 800 }, (_, i) =>
    finding({ rule: 'agent/naming', file: FILE, line: i + 1, severity: 'warning', message: `Colonne « déjà_vue_${i} » — ${'é'.repeat(120)} 🚧`, evidence: 'ü'.repeat(300) }),
  );

  it('the check run summary and text stay within 65,535 bytes', () => {
    const output = checkRunOutput(sampleResult({ findings: wide, notes: ['ß'.repeat(40_000)] }));
    expect(byteLength(output.summary)).toBeLessThanOrEqual(65_535);
    expect(byteLength(output.text!)).toBeLessThanOrEqual(65_535);
    expect(output.text!.length).toBeLessThan(65_535);
  });

  it('the summary comment stays within 65,535 bytes and says what it left out', () => {
    const body = renderMarkdown(sampleResult({ findings: wide }));
    expect(byteLength(body)).toBeLessThanOrEqual(65_535);
    expect(body).toMatch(/Showing the \d+ most severe of 800 findings/);
  });
});

describe('notes', () => {
  const notes = [
    'History migration db/migrations/0007.sql failed in the sandbox at line 22: type "vector" does not exist',
    ...Array.from({ length: 52 }, (_, i) => `public.T${i}: not filled, no generator for NOT NULL column updated_at of type timestamp(3) without time zone without a default`),
    'public.ApiKey: 0 of 200 rows (limited by the parent rows available to its unique foreign keys)',
    'Restored 163 history migrations from the snapshot cache.',
  ];

  it('notes that need no action are one collapsed line; the others stay listed', () => {
    const md = notesMarkdown(sampleResult({ notes }));
    expect(md).toContain('- History migration db/migrations/0007.sql failed in the sandbox');
    expect(md).toContain('<details><summary>54 notes about the sandbox\'s synthetic data and cache</summary>');
    expect(md).toContain('- … and 34 more');
    expect(md.split('\n').filter((l) => l.startsWith('- ')).length).toBe(1 + 20 + 1);
    const text = renderText(sampleResult({ notes, findings: [] }));
    expect(text).toContain('54 notes about the sandbox\'s synthetic data and cache (see --format json)');
    expect(text).not.toContain('public.T3: not filled');
  });
});

describe('the delta since the previous push', () => {
  const a = finding({ rule: 'a', file: FILE, line: 1 });
  const b = finding({ rule: 'b', file: FILE, line: 2 });
  const c = finding({ rule: 'c', file: FILE, line: 3 });
  const since = (body: string) => /🆕 \*\*(\d+)\*\* new · ✅ \*\*(\d+)\*\* fixed · ⏳ \*\*(\d+)\*\* still open/.exec(body)?.slice(1).map(Number);

  it('a re-run of the same push keeps that push\'s delta; the next push compares with it', () => {
    const push1 = renderMarkdown(sampleResult({ findings: [a, b] }), { headSha: '1111111' });
    expect(since(push1)).toBeUndefined();
    // Push 2 fixes a and adds c.
    const previous2 = previousHazards(push1, '2222222');
    const push2 = renderMarkdown(sampleResult({ findings: [b, c] }), { headSha: '2222222', previous: previous2 });
    expect(since(push2)).toEqual([1, 1, 1]);
    // `/pgpro review` on push 2: the comment already shows push 2, and the delta stays.
    const rerun = renderMarkdown(sampleResult({ findings: [b, c] }), { headSha: '2222222', previous: previousHazards(push2, '2222222') });
    expect(since(rerun)).toEqual([1, 1, 1]);
    expect(rerun).toContain('🆕 new');
    // A re-run of the first push has nothing to compare with, as the first run had not.
    expect(previousHazards(push1, '1111111')).toBeUndefined();
    // Push 3 compares with push 2.
    expect(new Set(previousHazards(rerun, '3333333'))).toEqual(new Set([b.fingerprint, c.fingerprint]));
    expect(readFingerprints(rerun)).toEqual([b.fingerprint, c.fingerprint]);
  });
});

describe('rule links', () => {
  it('point at the docs of this version by default', async () => {
    const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))) as { version: string };
    expect(RULE_DOCS_BASE_URL).toBe(`https://github.com/pgpro-dev/pgpro/blob/v${pkg.version}/docs/rules/`);
    expect(ruleDocUrl('ban-drop-column')).toBe(`${RULE_DOCS_BASE_URL}ban-drop-column.md`);
    expect(ruleDocUrl('agent/locking')).toBe(`${RULE_DOCS_BASE_URL}agent.md`);
  });

  it('use a configured base or the App\'s own pages', () => {
    expect(ruleDocUrl('ban-drop-column', 'https://pgpro.example.com/pgpro/rules/')).toBe('https://pgpro.example.com/pgpro/rules/ban-drop-column');
    expect(ruleDocUrl('ban-drop-column', 'https://wiki.example.com/db')).toBe('https://wiki.example.com/db/ban-drop-column');
    expect(ruleDocUrl('x', 'https://github.com/me/pgpro/blob/main/docs/rules/')).toBe('https://github.com/me/pgpro/blob/main/docs/rules/x.md');
    const body = renderMarkdown(sampleResult(), { docsUrl: 'https://pgpro.example.com/pgpro/rules/' });
    expect(body).toContain('](https://pgpro.example.com/pgpro/rules/');
    expect(body).not.toContain(RULE_DOCS_BASE_URL);
  });
});
