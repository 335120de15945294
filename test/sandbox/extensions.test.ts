import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extensionsIn, isSupportedExtension } from '../../src/sandbox/index.js';
import { contribModulesFor, loadContribModules, supportedExtensions } from '../../src/sandbox/extensions.js';

describe('extensionsIn', () => {
  it('finds every CREATE EXTENSION, quoted or not, once', () => {
    const sql = `
      CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
      create extension pg_trgm with schema public;
      CREATE EXTENSION postgis CASCADE;
      create extension if not exists pg_trgm;`;
    expect(extensionsIn(sql)).toEqual(['uuid-ossp', 'pg_trgm', 'postgis']);
  });
});

describe('isSupportedExtension', () => {
  it('knows the contrib modules PGlite ships and pgvector, and rejects the rest', () => {
    for (const name of ['uuid-ossp', 'pgcrypto', 'citext', 'hstore', 'ltree', 'btree_gist', 'pg_stat_statements', 'plpgsql', 'PG_TRGM', 'vector', '"vector"']) {
      expect(isSupportedExtension(name), name).toBe(true);
    }
    for (const name of ['postgis', 'timescaledb', 'pg_cron', 'http']) {
      expect(isSupportedExtension(name), name).toBe(false);
    }
  });
});

describe('contrib modules', () => {
  it('maps names to modules with their dependencies and loads them', async () => {
    expect(contribModulesFor(['uuid-ossp', 'earthdistance', 'refint', 'moddatetime', 'postgis'])).toEqual([
      'uuid_ossp',
      'cube',
      'earthdistance',
      'moddatetime',
    ]);
    const loaded = await loadContribModules(['uuid_ossp', 'pg_trgm']);
    expect(Object.keys(loaded)).toEqual(['uuid_ossp', 'pg_trgm']);
    expect(loaded.uuid_ossp?.name).toBe('uuid-ossp');
  });
});

describe('pgvector', () => {
  it('is loaded from its own package, only when asked for', async () => {
    expect(contribModulesFor(['vector', 'pg_trgm'])).toEqual(['vector', 'pg_trgm']);
    expect(contribModulesFor(['pg_trgm'])).toEqual(['pg_trgm']);
    const loaded = await loadContribModules(['vector']);
    expect(loaded.vector?.name).toBe('vector');
  });
});

describe('the README', () => {
  it('names every extension the PGlite sandbox can create', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## Extensions in the PGlite sandbox');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const named = new Set([...section.matchAll(/`([a-z_][a-z0-9_-]*)`/g)].map((m) => m[1]));
    expect(supportedExtensions().filter((name) => !named.has(name))).toEqual([]);
  });
});
