// Secrets must never reach the prompt. Migration files, finding evidence, the pull request's diff and
// tool results pass through scrubSecrets() before they are sent; query results are scrubbed value by
// value (scrubRow), and a column named like a secret is withheld whatever its value looks like. Every
// replacement keeps the number of lines, so the line numbers the model cites still point at the right
// place in the file.

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

const SECRET_KEY = 'password|passwd|pwd|secret|api_?key|access_?key|secret_?key|token|auth_?token|client_?secret';

const PATTERNS: SecretPattern[] = [
  {
    name: 'private key',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    replace: (m) => sameLines(m, REDACTED),
  },
  {
    // JSON inside a literal or a result: "token": "…" (the value, not the separator).
    name: 'password literal',
    pattern: new RegExp(`("(?:${SECRET_KEY})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'),
    replace: (_m, key: string) => `${key}"${REDACTED}"`,
  },
  {
    // CREATE/ALTER ROLE … [ENCRYPTED] PASSWORD '…', USER MAPPING … OPTIONS (password '…'), also $$-quoted.
    name: 'password literal',
    pattern: new RegExp(`\\b(${SECRET_KEY})(?!")(\\s*(?:=>|=|:)?\\s*)(E?'(?:[^']|'')*'|\\$\\$[\\s\\S]*?\\$\\$|"(?:[^"]|"")*")`, 'gi'),
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
  { name: 'stripe key', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}/g, replace: () => REDACTED },
  { name: 'google api key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: () => REDACTED },
  { name: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, replace: () => REDACTED },
  { name: 'sendgrid key', pattern: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, replace: () => REDACTED },
  {
    // pg_authid.rolpassword: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, or md5 + 32 hex.
    name: 'password verifier',
    pattern: /\bSCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+/g,
    replace: () => REDACTED,
  },
  { name: 'password verifier', pattern: /\bmd5[0-9a-f]{32}\b/g, replace: () => REDACTED },
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

/** Column names whose values are secrets whatever they look like (pg_authid.rolpassword, api_token…). */
const SECRET_COLUMN = /(pass(word|wd)?|pwd|secret|token|api_?key|private_?key|credential|salt|umoptions|srvoptions)/i;

export function isSecretColumn(name: string): boolean {
  return SECRET_COLUMN.test(name);
}

/**
 * One query result row, scrubbed value by value: a column named like a secret is withheld, every other
 * string (also inside JSON values) goes through scrubSecrets. Records which kinds were redacted.
 */
export function scrubRow(row: Record<string, unknown>, redacted: Set<string> = new Set()): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) out[column] = scrubValue(column, value, redacted);
  return out;
}

function scrubValue(key: string, value: unknown, redacted: Set<string>): unknown {
  if (value === null || value === undefined) return value;
  if (isSecretColumn(key)) {
    redacted.add('secret-named column');
    return REDACTED;
  }
  if (typeof value === 'string') {
    const result = scrubSecretsReport(value);
    result.redacted.forEach((r) => redacted.add(r));
    return result.text;
  }
  if (Array.isArray(value)) return value.map((item) => scrubValue('', item, redacted));
  if (typeof value === 'object' && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return scrubRow(value as Record<string, unknown>, redacted);
  }
  return value;
}
