// The write spacing pgpro can give the throttling plugin in place of its own: per key, jobs start in
// order and at least the spacing apart; with 0 they start one after another without waiting.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { octokitSettings, spacedGroup } from '../../src/github/octokit.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('spacedGroup', () => {
  it('starts the jobs of one key in order, each at least the spacing after the previous one', async () => {
    vi.useFakeTimers();
    const group = spacedGroup(1000);
    const started: string[] = [];
    const job = (name: string) => async () => void started.push(name);
    const done = Promise.all([group.key('a').schedule({}, job('a1')), group.key('a').schedule({}, job('a2')), group.key('b').schedule({}, job('b1'))]);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual(['a1', 'b1']);
    await vi.advanceTimersByTimeAsync(999);
    expect(started).toEqual(['a1', 'b1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(started).toEqual(['a1', 'b1', 'a2']);
    await done;
  });

  it('with 0, runs the jobs without a timer', async () => {
    vi.useFakeTimers();
    const group = spacedGroup(0);
    const results = await Promise.all([1, 2, 3].map((n) => group.key('a').schedule({}, async () => n)));
    expect(results).toEqual([1, 2, 3]);
    expect(vi.getTimerCount()).toBe(0);
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
