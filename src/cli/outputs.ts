// Writes a run's reports: one to stdout, the others to files (`--format sarif=pgpro.sarif`). In GitHub
// Actions with no --format, the text report is followed by annotations (the `github` format).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { RenderOptions } from '../report/index.js';
import { renderLazily } from '../report/load.js';
import { VERSION } from '../version.js';
import type { ReviewResult } from '../types.js';
import type { CliArgs, Output } from './args.js';
import type { CliIo } from './io.js';

export async function writeReports(result: ReviewResult, args: CliArgs, io: CliIo, root: string): Promise<void> {
  const outputs: Output[] = !args.formatGiven && io.env.GITHUB_ACTIONS === 'true' ? [{ format: 'text' }, { format: 'github' }] : args.outputs;
  for (const output of outputs) {
    const toStdout = output.path === undefined;
    const color = toStdout && output.format === 'text' && (args.color ?? (io.stdout.isTTY === true && !io.env.NO_COLOR));
    const text = output.format === 'sarif' ? await sarifReport(result, root) : await renderLazily(output.format, result, { color, cwd: root });
    if (toStdout) {
      io.stdout.write(text);
      continue;
    }
    const file = resolve(args.cwd, output.path!);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

/**
 * SARIF for code scanning: the tool's version, the rules' descriptions, which analysis it is, and
 * URIs relative to the repository's root (code scanning resolves them there) even when pgpro ran in
 * a subfolder.
 */
async function sarifReport(result: ReviewResult, root: string): Promise<string> {
  const { rules } = await import('../rules/index.js');
  const repoRoot = repositoryRoot(root) ?? root;
  const prefix = relative(repoRoot, root).split(sep).join('/');
  const inRepo = prefix === '' ? result : { ...result, findings: result.findings.map((f) => ({ ...f, file: `${prefix}/${f.file}` })) };
  const options: RenderOptions & { cwd: string } = {
    cwd: repoRoot,
    toolVersion: VERSION,
    ruleDescriptions: Object.fromEntries(rules.map((r) => [r.meta.id, r.meta.description])),
    automationId: `pgpro/${result.stats.mode === 'static' ? 'lint' : 'review'}/`,
  };
  return renderLazily('sarif', inRepo, options);
}

/** The nearest directory at or above `dir` that holds .git. */
function repositoryRoot(dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}
