import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAgentCache } from '../../src/agent/index.js';
import { Metrics, processCaches } from '../../src/github/metrics.js';

const KEY = 'a'.repeat(64);
const ANSWER = { findings: [], notes: [], usage: { inputTokens: 10, outputTokens: 2, cached: false, toolCalls: 0 } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgpro-caches-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the caches a server or worker shares across reviews', () => {
  it('keep snapshots and Claude answers on disk under PGPRO_CACHE_DIR, laid out as the CLI does', async () => {
    const { snapshotCache, agentCache } = processCaches(new Metrics(), { PGPRO_CACHE_DIR: dir });
    await snapshotCache.set(KEY, new Uint8Array([1, 2, 3]));
    await agentCache.set(KEY, ANSWER);
    expect(await readdir(join(dir, 'snapshots'))).toEqual([`${KEY}.tar.gz`]);
    expect(await readdir(join(dir, 'agent'))).toEqual([`${KEY}.json`]);
    // Another process over the same directory reuses both.
    const other = processCaches(new Metrics(), { PGPRO_CACHE_DIR: dir });
    expect(await other.snapshotCache.get([KEY])).toEqual({ tarball: new Uint8Array([1, 2, 3]), length: 1 });
    expect((await other.agentCache.get(KEY))?.usage.inputTokens).toBe(10);
  });

  it('the App\'s metered cache passes a bad entry\'s reason on, so the review can say it replayed', async () => {
    const { snapshotCache } = processCaches(new Metrics(), { PGPRO_CACHE_DIR: dir });
    await writeFile(join(dir, 'snapshots', `${KEY}.tar.gz`), new Uint8Array([1, 2, 3]));
    const discarded: string[] = [];
    expect(await snapshotCache.get([KEY], (why) => discarded.push(why))).toBeUndefined();
    expect(discarded).toEqual([`the cached snapshot ${KEY.slice(0, 12)} was unusable (not a pgpro snapshot (an older format, or damaged)) and was deleted`]);
  });

  it('without a directory, Claude answers are still reused within the process', async () => {
    const { agentCache } = processCaches(new Metrics(), {});
    expect(agentCache).toBeInstanceOf(MemoryAgentCache);
    await agentCache.set(KEY, ANSWER);
    expect(await agentCache.get(KEY)).toEqual(ANSWER);
  });
});
