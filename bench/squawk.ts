// squawk (the installed squawk-cli devDependency) over the same files, as a separate process per run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { summarize, timed, type Repeated } from './measure.js';

export type SquawkResult =
  | { available: false; reason: string }
  | {
      available: true;
      version: string;
      /** Through node_modules/.bin/squawk: a Node wrapper that spawns the platform binary. */
      wrapper: Repeated;
      /** The platform binary itself, without the wrapper's Node start. */
      binary: Repeated;
      issues: number;
      /** Run once in an empty network namespace (unshare -rn), when the machine allows it. */
      offline: 'verified' | 'not verified (unshare unavailable)' | `failed: ${string}`;
    };

export async function benchSquawk(root: string, files: string[], runs: number): Promise<SquawkResult> {
  const wrapper = join(root, 'node_modules', '.bin', 'squawk');
  if (!existsSync(wrapper)) return { available: false, reason: `${wrapper} is missing (npm install the devDependencies)` };
  let binary: string;
  try {
    const squawk = createRequire(join(root, 'package.json'))('squawk-cli/js/index.js') as { getBinaryPath(): string };
    binary = squawk.getBinaryPath();
  } catch (error) {
    return { available: false, reason: `no squawk binary for ${process.platform}-${process.arch}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { available: false, reason: `the squawk binary does not run: ${version.stderr || version.error?.message}` };

  // Exit status 1 means "violations found"; anything else is a failure.
  const args = ['--reporter', 'gcc', ...files];
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
    version: version.stdout.trim(),
    wrapper: await time(wrapper),
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
