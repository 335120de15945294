// squawk over the same files, as a separate process per run. Its binary comes from the platform
// package (@squawk-cli/<platform>-<arch>, a devDependency: users never install it): the registry these machines use
// holds only linux-x64, and squawk-cli's own lock entries for the others would break `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { summarize, timed, type Repeated } from './measure.js';

export type SquawkResult =
  | { available: false; reason: string }
  | {
      available: true;
      version: string;
      /** The platform binary, one process per run. */
      binary: Repeated;
      issues: number;
      /** Run once in an empty network namespace (unshare -rn), when the machine allows it. */
      offline: 'verified' | 'not verified (unshare unavailable)' | `failed: ${string}`;
    };

/** The squawk binary of this platform and its version, or why there is none. */
export function squawkBinary(root: string): { binary: string; version: string } | { reason: string } {
  const platform = `${process.platform}-${process.arch}`;
  const binary = join(root, 'node_modules', '@squawk-cli', platform, 'bin', 'squawk');
  if (!existsSync(binary)) return { reason: `no squawk binary for ${platform} (the devDependency @squawk-cli/${platform} is not installed)` };
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { reason: `the squawk binary does not run: ${version.stderr || version.error?.message}` };
  return { binary, version: version.stdout.trim() };
}

/** squawk's command line over `files` (gcc reporter: one line per issue). */
export const squawkArgs = (files: string[]) => ['--reporter', 'gcc', ...files];

export async function benchSquawk(root: string, files: string[], runs: number): Promise<SquawkResult> {
  const found = squawkBinary(root);
  if ('reason' in found) return { available: false, reason: found.reason };
  const { binary } = found;

  // Exit status 1 means "violations found"; anything else is a failure.
  const args = squawkArgs(files);
  const run = (command: string) => {
    const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0 && result.status !== 1) throw new Error(`squawk exited with ${result.status}: ${result.stderr.slice(0, 500)}`);
    return result.stdout;
  };
  const output = run(binary); // warms the page cache for both variants
  const issues = output.split('\n').filter((line) => /: (warning|error): /.test(line)).length;
  const time = async (command: string) => {
    const all: number[] = [];
    for (let i = 0; i < runs; i++) all.push((await timed(() => run(command))).ms);
    return summarize(all);
  };
  return {
    available: true,
    version: found.version,
    binary: await time(binary),
    issues,
    offline: offlineCheck(binary, args),
  };
}

function offlineCheck(binary: string, args: string[]): 'verified' | 'not verified (unshare unavailable)' | `failed: ${string}` {
  const probe = spawnSync('unshare', ['-rn', 'true']);
  if (probe.status !== 0) return 'not verified (unshare unavailable)';
  const result = spawnSync('unshare', ['-rn', binary, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return result.status === 0 || result.status === 1 ? 'verified' : `failed: exit ${result.status} ${result.stderr.slice(0, 200)}`;
}
