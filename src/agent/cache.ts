import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentCache, AgentResult } from './types.js';
import { writeFileAtomic } from '../atomic-file.js';

export type { AgentCache } from './types.js';

/**
 * Identical input → identical key: the model, the prompt version and the exact first request
 * (system prompt, tools, user message, output schema, limits). Anything that changes what Claude
 * would see changes the key.
 */
export function agentCacheKey(model: string, promptVersion: number, request: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ model, promptVersion, request }))
    .digest('hex');
}

function clone(result: AgentResult): AgentResult {
  return structuredClone(result);
}

/** In-process LRU: the most recently used `maxEntries` results. */
export class MemoryAgentCache implements AgentCache {
  private readonly entries = new Map<string, AgentResult>();

  constructor(private readonly maxEntries = 100) {}

  async get(key: string): Promise<AgentResult | undefined> {
    const value = this.entries.get(key);
    if (!value) return undefined;
    this.entries.delete(key); // re-insert: Map order is the recency order
    this.entries.set(key, value);
    return clone(value);
  }

  async set(key: string, value: AgentResult): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, clone(value));
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

function isAgentResult(value: unknown): value is AgentResult {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<AgentResult>;
  return Array.isArray(v.findings) && Array.isArray(v.notes) && typeof v.usage === 'object' && v.usage !== null;
}

/** One JSON file per key under `dir`; survives restarts and can be shared by CI runs (cache dirs). */
export class DirectoryAgentCache implements AgentCache {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`invalid agent cache key: ${key}`);
    return join(this.dir, `${key}.json`);
  }

  async get(key: string): Promise<AgentResult | undefined> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.path(key), 'utf8'));
      return isAgentResult(parsed) ? parsed : undefined;
    } catch {
      return undefined; // missing or unreadable: a miss, never an error
    }
  }

  async set(key: string, value: AgentResult): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.path(key);
    await writeFileAtomic(target, JSON.stringify(value));
  }
}
