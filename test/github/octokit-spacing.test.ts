// The write spacing pgpro can give the throttling plugin in place of its own: per key, jobs start in
// order and the spacing apart; with 0 they start one after another without waiting. Through pgproOctokit, the
// writes to GitHub go out that far apart.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { octokitSettings, pgproOctokit, spacedGroup } from '../../src/github/octokit.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('spacedGroup', () => {
  it('starts the jobs of one key in order, each the spacing after the previous one', async () => {
    vi.useFakeTimers();
    const group = spacedGroup(1000);
    const started: string[] = [];
    const job = (name: string) => async () => void started.push(name);
    const done = Promise.all([group.key('a').schedule({}, job('a1')), group.key('a').schedule({}, job('a2')), group.key('b').schedule({}, job('b1'))]);
    // Bottleneck starts a job from a timer of its own (0 ms): a few milliseconds of fake time, no wait.
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual(['a1', 'b1']);
    await vi.advanceTimersByTimeAsync(980);
    expect(started).toEqual(['a1', 'b1']);
    await vi.advanceTimersByTimeAsync(20);
    expect(started).toEqual(['a1', 'b1', 'a2']);
    await done;
  });

  it('with 0, runs the jobs one after another without waiting', async () => {
    vi.useFakeTimers();
    const group = spacedGroup(0);
    const started: number[] = [];
    const done = Promise.all([1, 2, 3].map((n) => group.key('a').schedule({}, async () => (started.push(n), n))));
    await vi.advanceTimersByTimeAsync(10);
    expect(started).toEqual([1, 2, 3]);
    expect(await done).toEqual([1, 2, 3]);
  });
});

describe('pgproOctokit with a write spacing', () => {
  it('spaces the writes to GitHub by it, in order, and lets reads through', async () => {
    vi.useFakeTimers();
    const start = Date.now();
    const sent: [string, number][] = [];
    const github: typeof fetch = async (input, init) => {
      sent.push([`${init?.method} ${new URL(String(input)).pathname}`, Date.now() - start]);
      return new Response('{}', { status: 201, headers: { 'content-type': 'application/json' } });
    };
    const Octokit = pgproOctokit({ timeoutMs: 30_000, retryBaseMs: 1, maxRateLimitWaitSeconds: 1, writeSpacingMs: 500 });
    const octokit = new Octokit({ request: { fetch: github } });
    const done = Promise.all([
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'o', repo: 'r', issue_number: 1, body: 'a' }),
      octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner: 'o', repo: 'r', issue_number: 1, body: 'b' }),
      octokit.request('GET /repos/{owner}/{repo}', { owner: 'o', repo: 'r' }),
      octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { owner: 'o', repo: 'r', check_run_id: 1, status: 'completed' }),
    ]);
    await vi.advanceTimersByTimeAsync(2_000);
    await done;
    const at = (request: string) => sent.filter(([r]) => r === request).map(([, t]) => t);
    const [comment1, comment2] = at('POST /repos/o/r/issues/1/comments') as [number, number];
    const [patch] = at('PATCH /repos/o/r/check-runs/1') as [number];
    const [read] = at('GET /repos/o/r') as [number];
    expect(read).toBeLessThan(50);
    expect(comment1).toBeLessThan(50);
    expect(comment2 - comment1).toBeGreaterThanOrEqual(490);
    expect(comment2 - comment1).toBeLessThan(550);
    expect(patch - comment2).toBeGreaterThanOrEqual(490);
  });
});

describe('octokitSettings', () => {
  it('leaves the spacing to the throttling plugin unless PGPRO_GITHUB_WRITE_SPACING_MS sets it', () => {
    expect(octokitSettings({})).not.toHaveProperty('writeSpacingMs');
    expect(octokitSettings({ PGPRO_GITHUB_WRITE_SPACING_MS: '0' }).writeSpacingMs).toBe(0);
    expect(octokitSettings({ PGPRO_GITHUB_WRITE_SPACING_MS: '250' }).writeSpacingMs).toBe(250);
    expect(octokitSettings({ PGPRO_GITHUB_WRITE_SPACING_MS: 'soon' })).not.toHaveProperty('writeSpacingMs');
  });
});
