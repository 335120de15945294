import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { Publisher } from '../../src/github/publish.js';
import type { Finding } from '../../src/types.js';
import { finding, sampleResult } from '../report/fixture.js';
import { API, testOctokit } from './helpers.js';

afterEach(() => nock.cleanAll());

const findings: Finding[] = Array.from({ length: 120 }, (_, i) =>
  finding({ rule: 'require-timeout-settings', file: 'db/migrations/0002_a.sql', line: i + 1, fingerprint: `fp${i}` }),
);

describe('completing a check with a review result', () => {
  it('a retry after a failed annotation batch sends only the batches not yet sent, and completes once', async () => {
    const sent: { annotations: number; completed: boolean }[] = [];
    const record = (body: { status?: string; output?: { annotations?: unknown[] } }) => {
      sent.push({ annotations: body.output?.annotations?.length ?? 0, completed: body.status === 'completed' });
      return true;
    };
    nock(API)
      .patch('/repos/acme/shop/check-runs/7', record).reply(200, {})
      .patch('/repos/acme/shop/check-runs/7', () => true).reply(502, { message: 'Bad Gateway' })
      .patch('/repos/acme/shop/check-runs/7', record).reply(200, {})
      .patch('/repos/acme/shop/check-runs/7', record).reply(200, {});
    const check = new Publisher(testOctokit(), { owner: 'acme', repo: 'shop' }).resumeCheck(7, undefined);
    const result = sampleResult({ findings, conclusion: 'failure' });

    await expect(check.completeWithResult(result)).rejects.toThrow();
    await check.completeWithResult(result);
    // A further retry (say the summary comment failed next) does not complete or annotate again.
    await check.completeWithResult(result);

    expect(sent).toEqual([
      { annotations: 50, completed: false },
      { annotations: 50, completed: false },
      { annotations: 20, completed: true },
    ]);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('publishing a review of a big pull request, again', () => {
  const FILE = 'db/migrations/0002_a.sql';
  const patch = ['@@ -0,0 +1,40 @@', ...Array.from({ length: 40 }, (_, i) => `+line ${i + 1}`)].join('\n');
  const errors = Array.from({ length: 5 }, (_, i) => finding({ rule: 'changing-column-type', file: FILE, line: i * 2 + 1, severity: 'error', fingerprint: `e${i}` }));
  const previousBody = [
    '<!-- pgpro:summary -->',
    '<!-- pgpro:fingerprints e0,e1,e2,e3,e4 -->',
    '<!-- pgpro:push abcdef1 -->',
    '<!-- pgpro:since new=e3,e4;fixed=old1 -->',
    'the summary as the first run of this push wrote it',
  ].join('\n');

  it('a re-run keeps the push\'s delta, caps the inline comments, and links rules to the App\'s pages', async () => {
    const sent: Record<string, { body: string; comments?: { body: string }[] }> = {};
    nock(API)
      .patch('/repos/acme/shop/check-runs/9').reply(200, {})
      .get('/repos/acme/shop/issues/4/comments').query(true)
      .reply(200, [{ id: 77, user: { type: 'Bot' }, body: previousBody }])
      .patch('/repos/acme/shop/issues/comments/77', (body: { body: string }) => ((sent.summary = body), true)).reply(200, {})
      .get('/repos/acme/shop/pulls/4/comments').query(true).reply(200, [])
      .post('/repos/acme/shop/pulls/4/reviews', (body: { body: string; comments: { body: string }[] }) => ((sent.review = body), true)).reply(200, {});
    const publisher = new Publisher(testOctokit(), { owner: 'acme', repo: 'shop', env: { PGPRO_PUBLIC_URL: 'https://pgpro.example.com/' } });
    const config = parseConfig('github:\n  max-inline-comments: 2\n', 'test.yml');
    await publisher.publishReview(
      publisher.resumeCheck(9, undefined),
      sampleResult({ findings: errors, conclusion: 'failure' }),
      { number: 4, headSha: 'abcdef1', patches: { [FILE]: patch } },
      config,
    );
    expect(nock.pendingMocks()).toEqual([]);
    // The same push: 2 new (e3, e4) and 1 fixed (old1), as its first run said, not 0 / 0.
    expect(sent.summary!.body).toContain('🆕 **2** new · ✅ **1** fixed · ⏳ **3** still open');
    expect(sent.summary!.body).toContain('](https://pgpro.example.com/pgpro/rules/changing-column-type)');
    expect(sent.review!.comments).toHaveLength(2);
    expect(sent.review!.body).toBe(
      "pgpro left 2 comments on migration lines; the summary comment has the full report. 3 more findings are in the summary comment and the check run's annotations.",
    );
  });
});
