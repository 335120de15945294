// `pgpro ci`: what the GitHub Action runs (action.yml). Reviews the pull request of the event
// (GITHUB_EVENT_PATH: base sha..the checked-out head), prints the text report and annotations, writes
// SARIF (pgpro.sarif unless --format says otherwise), the job summary and the sticky PR comment.
import { pullRequestOf, publishToPullRequest } from '../ci/run.js';
import { UsageError, type CliArgs } from './args.js';
import { reportFailure } from './errors.js';
import { EXIT_FINDINGS, EXIT_OK, type CliIo } from './io.js';
import { writeReports } from './outputs.js';
import { reviewFromArgs } from './review-command.js';

export async function runCi(args: CliArgs, io: CliIo): Promise<number> {
  try {
    const pull = await pullRequestOf(io.env);
    const base = args.base ?? pull?.baseSha;
    if (!base) throw new UsageError('pgpro ci reviews a pull request: run it on a pull_request event (GITHUB_EVENT_PATH) or give --base <ref>.');
    const { result, root } = await reviewFromArgs({ ...args, base }, io);
    const outputs = args.formatGiven ? args.outputs : [{ format: 'text' as const }, { format: 'github' as const }, { format: 'sarif' as const, path: 'pgpro.sarif' }];
    await writeReports(result, { ...args, outputs, formatGiven: true }, io, root);
    const token = io.env.PGPRO_GITHUB_TOKEN || io.env.GITHUB_TOKEN || undefined;
    try {
      const published = await publishToPullRequest(result, pull, io.env, token);
      if (published.comment) io.stderr.write(`pgpro: summary comment ${published.comment} on pull request #${pull!.number}\n`);
      else if (pull) io.stderr.write('pgpro: no token (github-token input): the summary is in the job summary only\n');
    } catch (error) {
      // A fork's read-only token cannot comment: the review, annotations and SARIF still stand.
      io.stderr.write(`pgpro: could not post the summary comment: ${(error as Error).message}\n`);
    }
    return result.conclusion === 'failure' ? EXIT_FINDINGS : EXIT_OK;
  } catch (error) {
    return reportFailure(io, error);
  }
}
