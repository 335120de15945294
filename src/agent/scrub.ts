// Secrets must never reach the prompt. Migration files, finding evidence and tool results pass
// through scrubSecrets() before they are sent. Every replacement keeps the number of lines, so the
// line numbers the model cites still point at the right place in the file.

export const REDACTED = '[REDACTED]';

interface SecretPattern {
  name: string;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

/** Keeps a match's line breaks, so a redacted multi-line block occupies the same lines. */
function sameLines(match: string, replacement: string): string {
  const breaks = match.split('\n').length - 1;
  return replacement + '\n'.repeat(breaks);
}

const PATTERNS: SecretPattern[] = [
  {
    name: 'private key',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    replace: (m) => sameLines(m, REDACTED),
  },
  {
    // CREATE/ALTER ROLE … [ENCRYPTED] PASSWORD '…', USER MAPPING … OPTIONS (password '…'), also $$-quoted.
    name: 'password literal',
    pattern: /\b(password|passwd|pwd|secret|api_?key|access_?key|secret_?key|token)(\s*(?:=>|=|:)?\s*)(E?'(?:[^']|'')*'|\$\$[\s\S]*?\$\$|"(?:[^"]|"")*")/gi,
    replace: (m, key: string, sep: string, value: string) =>
      sameLines(value, `${key}${sep}${value.startsWith('"') ? `"${REDACTED}"` : `'${REDACTED}'`}`),
  },
  {
    // libpq conninfo inside a string: 'host=db password=hunter2 dbname=x'.
    name: 'conninfo password',
    pattern: /\b(password|sslpassword)\s*=\s*(?!'|"|\$\$)[^\s'";,)]+/gi,
    replace: (_m, key: string) => `${key}=${REDACTED}`,
  },
  {
    // scheme://user:password@host — postgres://, mysql://, redis://, https:// …
    name: 'url credentials',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+):([^\s@/'"]+)@/gi,
    replace: (_m, prefix: string) => `${prefix}:${REDACTED}@`,
  },
  { name: 'aws access key id', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g, replace: () => REDACTED },
  {
    name: 'aws secret access key',
    pattern: /\b(aws_?secret_?access_?key|secret_?access_?key)(\W{1,4})[A-Za-z0-9/+=]{40}\b/gi,
    replace: (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`,
  },
  { name: 'anthropic/openai key', pattern: /\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}/g, replace: () => REDACTED },
  { name: 'github token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g, replace: () => REDACTED },
  { name: 'slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, replace: () => REDACTED },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: () => REDACTED },
];

export interface ScrubResult {
  text: string;
  /** Names of the kinds of secret that were redacted (never the secrets). */
  redacted: string[];
}

export function scrubSecretsReport(text: string): ScrubResult {
  const redacted = new Set<string>();
  let out = text;
  for (const { name, pattern, replace } of PATTERNS) {
    out = out.replace(pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.filter((g): g is string => typeof g === 'string');
      const replacement = replace(match, ...groups);
      if (replacement !== match) redacted.add(name);
      return replacement;
    });
  }
  return { text: out, redacted: [...redacted] };
}

export function scrubSecrets(text: string): string {
  return scrubSecretsReport(text).text;
}
