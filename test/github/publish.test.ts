import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
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
