import { describe, expect, it } from 'vitest';
import { groupByFile, RULE_DOCS_BASE_URL } from '../../src/report/common.js';
import { diffFingerprints, readFingerprints, renderMarkdown, SUMMARY_MARKER } from '../../src/report/markdown.js';
import type { Finding, Severity } from '../../src/types.js';
import { ADD_NOTE, cleanResult, finding, sampleResult } from './fixture.js';

const CHECK_RUN_URL = 'https://github.com/o/r/runs/42';

describe('markdown summary', () => {
  it('starts with the hidden marker, then the fingerprints, then a header with conclusion and counts', () => {
    const result = sampleResult();
    const body = renderMarkdown(result);
    const lines = body.split('\n');
    expect(lines[0]).toBe(SUMMARY_MARKER);
    expect(lines[1]).toBe(`<!-- pgpro:fingerprints ${result.findings.map((f) => f.fingerprint).join(',')} -->`);
    expect(body).toContain('## ❌ pgpro: 2 errors, 1 warning, 1 info in 2 migrations');
    expect(body).toContain('**Conclusion: failure**');
  });

  it('links each rule to its page and shows fix SQL in a sql block and evidence in a details element', () => {
    const body = renderMarkdown(sampleResult());
    expect(body).toContain(
      `🔴 **error** · [\`require-concurrent-index-creation\`](${RULE_DOCS_BASE_URL}require-concurrent-index-creation.md) · line 5`,
    );
    expect(body).toContain('**Fix:** Build the index concurrently, outside a transaction\n\n```sql\nCREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);\n```');
    expect(body).toContain('<details><summary>Evidence</summary>\n\n```text\nShareLock on public.orders\nseq scans: public.orders 1 (0 rows)\n```\n\n</details>');
    expect(body).toContain(`(${RULE_DOCS_BASE_URL}agent.md)`);
    expect(body).toContain('### `db/migrations/20240103_bad.sql`\n\n1 error\n');
    expect(body).not.toContain('not shown');
  });

  it('collapses the migrations table and ends with notes and the engine/tokens line', () => {
    const body = renderMarkdown(sampleResult());
    expect(body).toContain('<details><summary>Migrations: 2 new, 1 history migration replayed</summary>');
    expect(body).toContain('| db/migrations/20240103_bad.sql | ❌ failed (line 1: relation "nope" does not exist) | 1 | 2 ms |');
    expect(body).not.toContain('20240101_init.sql');
    expect(body).toContain('### Notes\n\n- The agent review used a cached answer.');
    expect(body.trimEnd().split('\n').at(-1)).toBe(
      '<sub>pgpro · PGlite 18.6 · 4 statements in 2 new migrations · 1.2 s · agent: 12,345 input / 678 output tokens, 2 tool calls (cached)</sub>',
    );
    expect(renderMarkdown(cleanResult())).toContain('## ✅ pgpro: No migration hazards found');
    expect(renderMarkdown(cleanResult())).not.toContain('agent:');
  });

  it('reports new, fixed and still open findings since the previous push', () => {
    const result = sampleResult();
    const [kept, , , alsoKept] = result.findings;
    const previous = [kept!.fingerprint, alsoKept!.fingerprint, 'aaaaaaaaaaaaaaaa'];
    const body = renderMarkdown(result, { previous });
    expect(body).toContain('### Since the previous push\n\n🆕 **2** new · ✅ **1** fixed · ⏳ **2** still open');
    expect(body.match(/· 🆕 new/g)).toHaveLength(2);
    expect(renderMarkdown(result)).not.toContain('Since the previous push');
  });

  it('round-trips fingerprints through the comment body', () => {
    const result = sampleResult();
    const body = renderMarkdown(result);
    expect(readFingerprints(body)).toEqual(result.findings.map((f) => f.fingerprint));
    expect(readFingerprints('a comment by someone else')).toEqual([]);
    expect(readFingerprints(renderMarkdown(cleanResult()))).toEqual([]);
    const next = diffFingerprints(readFingerprints(body), result.findings.slice(1));
    expect(next.fixed).toEqual([result.findings[0]!.fingerprint]);
    expect(next.new).toEqual([]);
  });

  it('keeps untrusted text from opening HTML, pinging people or closing its code fence', () => {
    const evil = finding({
      rule: 'agent/x',
      file: ADD_NOTE,
      line: 2,
      message: 'see <img src=x onerror=alert(1)> and <!-- pgpro:fingerprints evil --> cc @octocat; a < b',
      fix: { title: 'fix', sql: 'SELECT 1;\n```\n# escaped' },
    });
    const body = renderMarkdown(sampleResult({ findings: [evil] }));
    expect(body).toContain('see &lt;img src=x onerror=alert(1)> and &lt;!-- pgpro:fingerprints evil --> cc @\u200boctocat; a < b');
    expect(body).toContain('````sql\nSELECT 1;\n```\n# escaped\n````');
    expect(readFingerprints(body)).toEqual([evil.fingerprint]);
  });

  it('drops evidence first when the body would be too long', () => {
    const result = sampleResult();
    const full = renderMarkdown(result);
    const body = renderMarkdown(result, { maxLength: full.length - 1, checkRunUrl: CHECK_RUN_URL });
    expect(body.length).toBeLessThan(full.length);
    expect(body).not.toContain('<summary>Evidence</summary>');
    expect(body.match(/^(🔴|🟠|🔵) \*\*/gm)).toHaveLength(result.findings.length);
    expect(body).toContain(`> Evidence is left out to fit GitHub's size limit. The full report is in the [check run](${CHECK_RUN_URL}).`);
  });

  it('stays within 65,535 characters with 2,000 findings, keeping the most severe and pointing to the check run', () => {
    const severities: Severity[] = ['error', 'warning', 'info'];
    const findings: Finding[] = Array.from({ length: 2000 }, (_, i) =>
      finding({
        rule: `rule-${i % 7}`,
        severity: severities[i < 100 ? 0 : i < 500 ? 1 : 2],
        file: `db/migrations/${String(i % 40).padStart(4, '0')}_m.sql`,
        line: i + 1,
        message: `Statement ${i} takes an AccessExclusiveLock on table_${i} and blocks reads and writes until commit.`,
        evidence: `AccessExclusiveLock on public.table_${i}\n`.repeat(10),
        fix: { title: 'Do it another way', sql: `ALTER TABLE table_${i} ADD COLUMN c int;` },
      }),
    );
    const body = renderMarkdown(sampleResult({ findings }), { checkRunUrl: CHECK_RUN_URL });
    // GitHub counts bytes: the emoji and arrows of a summary make it longer in bytes than in characters.
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(65_535);
    expect(body.startsWith(SUMMARY_MARKER)).toBe(true);
    const shown = Number(/Showing the (\d+) most severe of 2,000 findings, without evidence,/.exec(body)?.[1]);
    expect(shown).toBeGreaterThanOrEqual(90);
    expect(shown).toBeLessThan(2000);
    expect(body).toContain(`The full report is in the [check run](${CHECK_RUN_URL}).`);
    // The most severe first: every finding shown is an error while errors remain.
    expect(body.match(/^🔴 \*\*error\*\*/gm)).toHaveLength(Math.min(shown, 100));
    expect(body.match(/^(🔴|🟠|🔵) \*\*/gm)).toHaveLength(shown);
    expect(body).not.toContain('<summary>Evidence</summary>');
    expect(body).toMatch(/^\d+ errors?(, \d+ warnings?)? \(\d+ more not shown\)$/m);
    // Every fingerprint survives the cut so the next push can tell what was fixed.
    expect(readFingerprints(body)).toHaveLength(2000);
    // The tail still closes the comment.
    expect(body).toContain('</sub>');
  });
});

describe('diffFingerprints', () => {
  it('splits current findings into new and open, and previous fingerprints into fixed', () => {
    const [a, b, c] = sampleResult().findings;
    const twin = { ...c!, line: 99 }; // same fingerprint twice: both are open
    const diff = diffFingerprints([a!.fingerprint, c!.fingerprint, 'gone1', 'gone1'], [a!, b!, c!, twin]);
    expect(diff.new).toEqual([b]);
    expect(diff.open).toEqual([a, c, twin]);
    expect(diff.fixed).toEqual(['gone1']);
    expect(diffFingerprints([], [a!]).new).toEqual([a]);
  });
});

describe('info findings', () => {
  it('fold into one collapsed block per file, after the errors and warnings', () => {
    const result = sampleResult();
    const body = renderMarkdown(result);
    for (const [file, group] of groupByFile(result.findings)) {
      const info = group.filter((f) => f.severity === 'info');
      if (info.length === 0) continue;
      const section = body.slice(body.indexOf(`### \`${file}\``)).split('\n### ')[0]!;
      const fold = section.indexOf('<details><summary>' + (info.length === 1 ? '1 info finding' : `${info.length} info findings`) + '</summary>');
      expect(fold).toBeGreaterThan(-1);
      for (const f of group) {
        const at = section.indexOf(`\`${f.rule}\``);
        expect(at).toBeGreaterThan(-1);
        expect(f.severity === 'info' ? at > fold : at < fold).toBe(true);
      }
    }
  });
});
