// The few GitHub REST calls the Action makes, over fetch with the token it is given: find and upsert the
// one sticky summary comment of a pull request. The App's own publishing (src/github/) is separate.
export interface GithubApi {
  baseUrl: string;
  token: string;
  repository: string;
}

export class GithubApiError extends Error {
  override name = 'GithubApiError';
}

async function call(api: GithubApi, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${api.baseUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${api.token}`,
      'x-github-api-version': '2022-11-28',
      'user-agent': 'pgpro-action',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new GithubApiError(`GitHub answered ${response.status} to ${method} ${path}: ${(await response.text()).slice(0, 200)}`);
  return response.status === 204 ? undefined : response.json();
}

interface Comment {
  id: number;
  body?: string;
}

/** The pull request's comment that holds `marker`, reading every page of comments. */
export async function findComment(api: GithubApi, pull: number, marker: string): Promise<Comment | undefined> {
  for (let page = 1; page <= 50; page++) {
    const comments = (await call(api, 'GET', `/repos/${api.repository}/issues/${pull}/comments?per_page=100&page=${page}`)) as Comment[];
    const found = comments.find((c) => c.body?.includes(marker));
    if (found) return found;
    if (comments.length < 100) return undefined;
  }
  return undefined;
}

/** Updates the comment in place, or creates it; returns which. */
export async function upsertComment(api: GithubApi, pull: number, existing: Comment | undefined, body: string): Promise<'created' | 'updated'> {
  if (existing) {
    await call(api, 'PATCH', `/repos/${api.repository}/issues/comments/${existing.id}`, { body });
    return 'updated';
  }
  await call(api, 'POST', `/repos/${api.repository}/issues/${pull}/comments`, { body });
  return 'created';
}
