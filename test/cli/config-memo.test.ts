import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoized } from '../../src/cli/config.js';
import { builtCodeId } from '../../src/code-id.js';
import { parseConfig } from '../../src/config/parse.js';
import type { PgproConfig } from '../../src/config/schema.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { cliEnv, REPO, tempTree } from './helpers.js';

const tempDir = tempDirs('pgpro-config-memo-');

const FILE = '/repo/pgpro.yml';
const TEXT = 'fail-on: warning\nrules:\n  ban-drop-table: off\nsandbox:\n  memory-mb: 512\n';

/** parseConfig, counting its calls. */
function counting(text: string): { parse: () => Promise<PgproConfig>; calls: () => number } {
  let calls = 0;
  return {
    parse: async () => {
      calls++;
      return parseConfig(text, FILE);
    },
    calls: () => calls,
  };
}

describe('the config memo', () => {
  it('gives back the validated config, equal in every key, without parsing it again', async () => {
    const memo = { dir: tempDir(), code: 'build-1' };
    const first = counting(TEXT);
    const parsed = await memoized(FILE, TEXT, memo, first.parse);
    expect(first.calls()).toBe(1);
    expect(readdirSync(memo.dir).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    const again = counting(TEXT);
    const kept = await memoized(FILE, TEXT, memo, again.parse);
    expect(again.calls()).toBe(0);
    expect(kept).toStrictEqual(parsed);
    expect(kept).toStrictEqual(parseConfig(TEXT, FILE));
    expect(kept.rules['ban-drop-table']).toBe('off');
  });

  it('parses again for another text, file, or build of the code', async () => {
    const memo = { dir: tempDir(), code: 'build-1' };
    await memoized(FILE, TEXT, memo, counting(TEXT).parse);
    const edited = TEXT.replace('512', '768');
    const other = counting(edited);
    expect((await memoized(FILE, edited, memo, other.parse)).sandbox['memory-mb']).toBe(768);
    expect(other.calls()).toBe(1);
    const moved = counting(TEXT);
    await memoized('/elsewhere/pgpro.yml', TEXT, memo, moved.parse);
    expect(moved.calls()).toBe(1);
    const rebuilt = counting(TEXT);
    await memoized(FILE, TEXT, { ...memo, code: 'build-2' }, rebuilt.parse);
    expect(rebuilt.calls()).toBe(1);
  });

  it('keeps nothing without a code id, and never an invalid config', async () => {
    const dir = tempDir();
    const plain = counting(TEXT);
    await memoized(FILE, TEXT, { dir }, plain.parse);
    await memoized(FILE, TEXT, { dir }, plain.parse);
    expect(plain.calls()).toBe(2);
    const memo = { dir, code: 'build-1' };
    const invalid = 'rules:\n  no-such-rule: error\n';
    for (let i = 0; i < 2; i++) await expect(memoized(FILE, invalid, memo, counting(invalid).parse)).rejects.toThrow(/no-such-rule/);
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it('parses a damaged entry again and replaces it', async () => {
    const memo = { dir: tempDir(), code: 'build-1' };
    await memoized(FILE, TEXT, memo, counting(TEXT).parse);
    const [entry] = readdirSync(memo.dir);
    writeFileSync(join(memo.dir, entry!), '{"fail-on":');
    const again = counting(TEXT);
    expect(await memoized(FILE, TEXT, memo, again.parse)).toStrictEqual(parseConfig(TEXT, FILE));
    expect(again.calls()).toBe(1);
    const third = counting(TEXT);
    await memoized(FILE, TEXT, memo, third.parse);
    expect(third.calls()).toBe(0);
  });

  it('does not keep a config its JSON would not give back exactly', async () => {
    const memo = { dir: tempDir(), code: 'build-1' };
    const config = { ...parseConfig(TEXT, FILE), extra: undefined } as unknown as PgproConfig;
    await memoized(FILE, TEXT, memo, async () => config);
    expect(readdirSync(memo.dir)).toHaveLength(0);
  });

  it('has no code id when run from source', () => {
    expect(builtCodeId()).toBeUndefined();
  });

  it('is kept by the built CLI for pgpro lint as for a review, and the second run reads it', async () => {
    const root = await tempTree({ 'pgpro.yml': 'rules:\n  ban-drop-table: off\n', 'db/migrations/0001_a.sql': 'CREATE TABLE a (id int);\nDROP TABLE a;\n' });
    tempDir.removeLater(root);
    const cache = tempDir();
    const lint = () =>
      spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'lint', '--format', 'json', 'db/migrations'], {
        cwd: root,
        env: cliEnv({ PGPRO_CACHE_DIR: cache }),
        encoding: 'utf8',
      });
    const first = lint();
    expect(readdirSync(join(cache, 'config')).filter((name) => name.endsWith('.json'))).toHaveLength(1);
    const second = lint();
    const findings = (run: { stdout: string }) => (JSON.parse(run.stdout) as { findings: { rule: string; file: string }[] }).findings;
    expect([second.status, findings(second)]).toEqual([first.status, findings(first)]);
    // The config's rules applied on both runs: the DROP TABLE is not reported, the table without a key is.
    expect(findings(first).map((f) => f.rule)).not.toContain('ban-drop-table');
    expect(findings(first).length).toBeGreaterThan(0);
  });
});
