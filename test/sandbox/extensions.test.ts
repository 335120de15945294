import { describe, expect, it } from 'vitest';
import { extensionsIn, isSupportedExtension } from '../../src/sandbox/index.js';
import { contribModulesFor, loadContribModules } from '../../src/sandbox/extensions.js';

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
  it('knows the contrib modules PGlite ships and rejects the rest', () => {
    for (const name of ['uuid-ossp', 'pgcrypto', 'citext', 'hstore', 'ltree', 'btree_gist', 'pg_stat_statements', 'plpgsql', 'PG_TRGM']) {
      expect(isSupportedExtension(name), name).toBe(true);
    }
    for (const name of ['postgis', 'timescaledb', 'pg_cron', 'vector']) {
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
