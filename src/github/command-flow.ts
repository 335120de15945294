// What happens after a `/pgpro` command is found in a pull request comment.
import type { Context } from 'probot';
import { deniedReply, helpReply, mayRunCommands, unknownCommandReply, type Command } from './commands.js';
import { Publisher } from './publish.js';
import type { ReviewScheduler } from './schedule.js';

/** Acknowledges with 👀, checks the commenter's role, then answers or schedules the review. */
export async function runCommand(
  context: Context<'issue_comment.created'>,
  command: Command,
  scheduler: ReviewScheduler,
  now?: () => number,
): Promise<void> {
  const { repository, issue, comment } = context.payload;
  const owner = repository.owner.login;
  const repo = repository.name;
  const username = comment.user?.login ?? context.payload.sender.login;
  // A redelivered comment (the same delivery id) is answered once.
  if (!(await scheduler.claimCommand(context))) {
    context.log.info({ delivery: context.id }, 'Duplicate delivery of a command: already answered');
    return;
  }
  const publisher = new Publisher(context.octokit, { owner, repo, now, log: context.log });
  await publisher.react(comment.id, 'eyes');

  if (!(await mayRunCommands(context.octokit, { owner, repo }, username))) {
    await publisher.reply(issue.number, deniedReply(username));
    return;
  }
  if (command.name === 'help') return publisher.reply(issue.number, helpReply());
  if (command.name === 'unknown') return publisher.reply(issue.number, unknownCommandReply(command.text));

  const { data: pr } = await context.octokit.rest.pulls.get({ owner, repo, pull_number: issue.number });
  await scheduler.schedule(context, {
    trigger: 'command',
    pull: {
      owner,
      repo,
      number: pr.number,
      headSha: pr.head.sha,
      baseSha: pr.base.sha,
      changedFiles: pr.changed_files,
      draft: pr.draft === true,
    },
  });
}
