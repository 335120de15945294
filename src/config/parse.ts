import { parseDocument, LineCounter } from 'yaml';
import { configSchema, type PgproConfig } from './schema.js';

/** A config problem the user can fix: names the file, the line when known, the key and what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string; line?: number }[],
  ) {
    super(
      `Invalid pgpro config in ${file}:\n` +
        problems
          .map((p) => `  - ${p.path || '(root)'}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`)
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function defaultConfig(): PgproConfig {
  return configSchema.parse({});
}

/** Validates an already-loaded object (e.g. Probot's context.config result). */
export function validateConfig(raw: unknown, file: string): PgproConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

/** Parses YAML text; errors carry the line of the offending key. Pure. */
export function parseConfig(text: string, file: string): PgproConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '',
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
        line: e.linePos?.[0]?.line,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => {
      const node = doc.getIn(issue.path as (string | number)[], true) as
        | { range?: [number, number, number] }
        | undefined;
      const offset = node?.range?.[0];
      return {
        path: issue.path.join('.'),
        message: issue.message,
        line: offset === undefined ? undefined : lineCounter.linePos(offset).line,
      };
    }),
  );
}
