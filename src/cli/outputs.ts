// Writes a run's reports: one to stdout, the others to files (`--format sarif=pgpro.sarif`). In GitHub
// Actions with no --format, the text report is followed by annotations (the `github` format).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { render } from '../report/index.js';
import type { ReviewResult } from '../types.js';
import type { CliArgs, Output } from './args.js';
import type { CliIo } from './io.js';

export async function writeReports(result: ReviewResult, args: CliArgs, io: CliIo, root: string): Promise<void> {
  const outputs: Output[] = !args.formatGiven && io.env.GITHUB_ACTIONS === 'true' ? [{ format: 'text' }, { format: 'github' }] : args.outputs;
  for (const output of outputs) {
    const toStdout = output.path === undefined;
    const color = toStdout && output.format === 'text' && (args.color ?? (io.stdout.isTTY === true && !io.env.NO_COLOR));
    const text = render(output.format, result, { color, cwd: root });
    if (toStdout) {
      io.stdout.write(text);
      continue;
    }
    const file = resolve(args.cwd, output.path!);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}
