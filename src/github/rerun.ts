// "Re-run" on the pgpro check. GitHub lists the pull request in the check run only when its head branch
// is in the same repository: for a pull request from a fork the list is empty, and the pull request is
// found among the open ones by its head sha.
import type { Context } from 'probot';
import type { ReviewScheduler, ScheduleOutcome } from './schedule.js';

type RerunContext = Context<'check_run.rerequested'>;

interface PullRef {
  number: number;
  base: { sha: string };
  head?: { sha: string };
  draft?: boolean;
}

export async function scheduleRerun(context: RerunContext, scheduler: ReviewScheduler): Promise<ScheduleOutcome | 'no-pull-request'> {
  const run = context.payload.check_run;
  const owner = context.payload.repository.owner.login;
  const repo = context.payload.repository.name;
  const pr: PullRef | undefined = run.pull_requests[0] ?? (await openPullWithHead(context, owner, repo, run.head_sha));
  if (!pr) {
    context.log.info({ sha: run.head_sha }, 'Re-run requested for a commit that no open pull request has at its head');
    return 'no-pull-request';
  }
  return scheduler.schedule(context, {
    trigger: 'rerequested',
    pull: { owner, repo, number: pr.number, headSha: run.head_sha, baseSha: pr.base.sha, draft: false },
  });
}

async function openPullWithHead(context: RerunContext, owner: string, repo: string, sha: string): Promise<PullRef | undefined> {
  const pages = context.octokit.paginate.iterator(context.octokit.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 });
  for await (const page of pages) {
    const match = page.data.find((p) => p.head.sha === sha);
    if (match) return match;
  }
  return undefined;
}
