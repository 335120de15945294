import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentCacheKey, DirectoryAgentCache, MemoryAgentCache } from '../../src/agent/cache.js';
import type { AgentResult } from '../../src/agent/index.js';

const result = (n: number): AgentResult => ({
  findings: [],
  notes: [`run ${n}`],
  usage: { inputTokens: n, outputTokens: 1, cached: false, toolCalls: 0 },
});

describe('agentCacheKey', () => {
  it('changes with the model, the prompt version and the request', () => {
    const key = agentCacheKey('m', 1, { a: 1 });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(agentCacheKey('m', 1, { a: 1 })).toBe(key);
    expect(agentCacheKey('n', 1, { a: 1 })).not.toBe(key);
    expect(agentCacheKey('m', 2, { a: 1 })).not.toBe(key);
    expect(agentCacheKey('m', 1, { a: 2 })).not.toBe(key);
  });
});

describe('MemoryAgentCache', () => {
  it('evicts the least recently used entry', async () => {
    const cache = new MemoryAgentCache(2);
    await cache.set('a', result(1));
    await cache.set('b', result(2));
    await cache.get('a'); // a is now more recent than b
    await cache.set('c', result(3));
    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.notes).toEqual(['run 1']);
    expect((await cache.get('c'))?.notes).toEqual(['run 3']);
    expect(cache.size).toBe(2);
  });

  it('hands out copies, so a caller cannot change the stored answer', async () => {
    const cache = new MemoryAgentCache();
    await cache.set('a', result(1));
    (await cache.get('a'))!.notes.push('mutated');
    expect((await cache.get('a'))?.notes).toEqual(['run 1']);
  });
});

describe('DirectoryAgentCache', () => {
  it('round-trips results as JSON files and treats unreadable files as misses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgpro-agent-'));
    try {
      const cache = new DirectoryAgentCache(join(dir, 'nested'));
      const key = agentCacheKey('m', 1, {});
      expect(await cache.get(key)).toBeUndefined();
      await cache.set(key, result(7));
      expect(await new DirectoryAgentCache(join(dir, 'nested')).get(key)).toEqual(result(7));
      expect(await readdir(join(dir, 'nested'))).toEqual([`${key}.json`]);
      await writeFile(join(dir, 'nested', `${key}.json`), '{ not json');
      expect(await cache.get(key)).toBeUndefined();
      await expect(cache.set('../escape', result(1))).rejects.toThrow('invalid agent cache key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
