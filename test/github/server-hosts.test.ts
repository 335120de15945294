import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig } from '../../src/config/parse.js';
import { refuseUnlistedServers, repoServerHosts } from '../../src/github/server-hosts.js';

function withUrls(urls: { sandbox?: string; stats?: string }) {
  const config = defaultConfig();
  if (urls.sandbox !== undefined) config.sandbox.url = urls.sandbox;
  if (urls.stats !== undefined) config.rehearsal['stats-url'] = urls.stats;
  return config;
}

function problems(urls: { sandbox?: string; stats?: string }, hosts: string[]): { path: string; message: string }[] {
  try {
    refuseUnlistedServers(withUrls(urls), hosts, '.github/pgpro.yml');
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
}

describe('servers a repository may name', () => {
  it('reads the operator list from PGPRO_REPO_SERVER_HOSTS, comma or space separated, case-folded', () => {
    expect(repoServerHosts({ PGPRO_REPO_SERVER_HOSTS: ' Replica.internal, scratch:6432  /run/pg ' })).toEqual([
      'replica.internal',
      'scratch:6432',
      '/run/pg',
    ]);
    expect(repoServerHosts({})).toEqual([]);
  });

  it('allows a config that names no server, whatever the list', () => {
    expect(problems({}, [])).toEqual([]);
  });

  it('refuses every server when the operator lists none', () => {
    const found = problems({ sandbox: 'postgres://u:pw@db.example.com/x', stats: 'postgres://r@replica.example.com:6000/p' }, []);
    expect(found.map((p) => p.path)).toEqual(['sandbox.url', 'rehearsal.stats-url']);
    expect(found[0]!.message).toMatch(/^names the server db\.example\.com:5432, .*\(none are listed\)\. Remove the key to use the operator's own server \(PGPRO_SANDBOX_URL\)/);
    expect(found[1]!.message).toContain('replica.example.com:6000');
    expect(found[1]!.message).toContain('(PGPRO_STATS_URL)');
    expect(JSON.stringify(found)).not.toContain('pw@');
  });

  it('matches a listed host on any port, and host:port on that port only', () => {
    expect(problems({ sandbox: 'postgres://u@db.example.com:7000/x' }, ['DB.example.com'.toLowerCase()])).toEqual([]);
    expect(problems({ sandbox: 'postgres://u@db.example.com:7000/x' }, ['db.example.com:7000'])).toEqual([]);
    expect(problems({ sandbox: 'postgres://u@db.example.com:7001/x' }, ['db.example.com:7000']).map((p) => p.path)).toEqual(['sandbox.url']);
  });

  it('takes the host pg would connect to: a host= parameter overrides the URL, and no host is localhost', () => {
    expect(problems({ sandbox: 'postgres://u@allowed.example.com/x?host=/var/run/postgresql' }, ['allowed.example.com'])[0]!.message).toMatch(
      /^names the server the Unix socket in \/var\/run\/postgresql,/,
    );
    expect(problems({ sandbox: 'postgres:///x' }, ['allowed.example.com'])[0]!.message).toMatch(/^names the server localhost:5432,/);
    expect(problems({ sandbox: 'postgres:///x?host=/var/run/postgresql' }, ['/var/run/postgresql'])).toEqual([]);
  });
});
