// `/pgpro …` commands in pull request comments: parsing, who may run them, and the canned replies.
import type { GitHubClient } from './client.js';

export type Command = { name: 'review' } | { name: 'help' } | { name: 'unknown'; text: string };

const PREFIX = /^\/pgpro(?:\s+(\S+))?/;

/** The command on the first line that starts with `/pgpro`, or undefined when the comment holds none. */
export function parseCommand(body: string): Command | undefined {
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    const match = PREFIX.exec(line);
    // `/pgproject` is not a command: the word must end after `pgpro`.
    if (!match || (line.length > 6 && !/\s/.test(line[6]!))) continue;
    const word = match[1]?.toLowerCase();
    if (word === undefined || word === 'help') return { name: 'help' };
    if (word === 'review') return { name: 'review' };
    return { name: 'unknown', text: line };
  }
  return undefined;
}

const ALLOWED_ROLES = new Set(['admin', 'maintain', 'write']);

/**
 * Whether the user may run commands: write, maintain or admin on the repository. The API's `permission`
 * folds maintain into write and triage into read; `role_name` keeps the real role (or a custom role's
 * name, whose base permission `permission` still reports).
 */
export async function mayRunCommands(
  octokit: GitHubClient,
  repo: { owner: string; repo: string },
  username: string,
): Promise<boolean> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    const roleName = (data as { role_name?: string }).role_name;
    return (roleName !== undefined && ALLOWED_ROLES.has(roleName)) || data.permission === 'admin' || data.permission === 'write';
  } catch (error) {
    // Not a collaborator at all.
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}

export const HELP_TEXT = [
  'pgpro reviews the PostgreSQL migrations of this pull request by running them in a throwaway Postgres:',
  'it replays the base branch history, applies the new migrations statement by statement, and reports',
  'the locks, table rewrites and full scans it observed, together with static rules, EXPLAIN checks and',
  'an AI review. Results appear in the `pgpro` check run, one summary comment and inline comments.',
  '',
  'Commands (for users with write, maintain or admin access):',
  '- `/pgpro review`: review the head of this pull request now, with the AI review included.',
  '- `/pgpro help`: show this message.',
  '',
  'Configure it in `.github/pgpro.yml` on the default branch.',
].join('\n');

export function helpReply(): string {
  return HELP_TEXT;
}

export function unknownCommandReply(text: string): string {
  return `I do not know the command \`${text.replace(/`/g, "'")}\`.\n\n${HELP_TEXT}`;
}

export function deniedReply(username: string): string {
  return `@${username} only users with write, maintain or admin access to this repository can run pgpro commands.`;
}
