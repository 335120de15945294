import { isMap, isScalar, parseDocument, LineCounter, type Document } from 'yaml';
import { z } from 'zod';
import { isKnownRuleId, unknownRuleMessage } from '../rules/lib/ids.js';
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
  const result = configSchema.safeParse(withoutSchemaKey(raw ?? {}));
  if (result.success) {
    const unknown = unknownRules(result.data);
    if (unknown.length > 0) throw new ConfigError(file, unknown.map(({ id, message }) => ({ path: `rules.${id}`, message })));
    return result.data;
  }
  throw new ConfigError(
    file,
    result.error.issues.flatMap(explainIssue).map((p) => ({ path: p.path.join('.'), message: p.message })),
  );
}

/** A config may name its JSON schema (`$schema: …`) for editors; pgpro ignores that key. */
function withoutSchemaKey(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('$schema' in raw)) return raw;
  const { $schema: _schema, ...rest } = raw as Record<string, unknown>;
  return rest;
}

interface Problem {
  path: (string | number)[];
  message: string;
  /** The problem is the key at `path` itself (an unknown key), not its value. */
  atKey?: boolean;
}

/** Zod's issue said so that it names what is allowed: unknown keys one by one, with the likely intended one. */
function explainIssue(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(path);
    return issue.keys.map((key) => {
      const near = allowed.filter((k) => distance(k, key) <= 2);
      return {
        path: [...path, key],
        atKey: true,
        message:
          `unknown key "${key}"${near.length > 0 ? `; did you mean "${near[0]}"?` : '.'}` +
          (allowed.length > 0 ? ` Keys here: ${allowed.join(', ')}.` : ''),
      };
    });
  }
  if (issue.code === 'invalid_union' && path[0] === 'rules') {
    return [{ path, message: 'must be one of off, error, warning, info.' }];
  }
  if (issue.code === 'invalid_union' && path[0] === 'sandbox' && path[1] === 'setup') {
    return [{ path, message: 'each setup entry is either { file: <path in the repository> } or { sql: <statements> }.' }];
  }
  return [{ path, message: issue.message }];
}

/** The keys the schema allows in the object at `path`. */
function keysAt(path: (string | number)[]): string[] {
  let node: z.ZodType = configSchema;
  for (const key of path) {
    node = unwrap(node);
    if (!(node instanceof z.ZodObject)) return [];
    const next = (node.shape as Record<string, z.ZodType>)[String(key)];
    if (!next) return [];
    node = next;
  }
  node = unwrap(node);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The offset where a problem shows in the YAML: the unknown key itself, or the value at the path. */
function offsetOf(doc: Document, problem: Problem): number | undefined {
  if (problem.atKey) {
    const parentPath = problem.path.slice(0, -1);
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    const key = problem.path[problem.path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === key);
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return range[0];
    }
  }
  const node = doc.getIn(problem.path, true) as { range?: [number, number, number] } | undefined;
  return node?.range?.[0];
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
  const result = configSchema.safeParse(withoutSchemaKey(raw));
  if (result.success) {
    const unknown = unknownRules(result.data);
    if (unknown.length > 0) {
      throw new ConfigError(
        file,
        unknown.map(({ id, message }) => {
          const offset = (doc.getIn(['rules', id], true) as { range?: [number, number, number] } | undefined)?.range?.[0];
          return { path: `rules.${id}`, message, line: offset === undefined ? undefined : lineCounter.linePos(offset).line };
        }),
      );
    }
    return result.data;
  }
  throw new ConfigError(
    file,
    result.error.issues.flatMap(explainIssue).map((problem) => {
      const offset = offsetOf(doc, problem);
      return {
        path: problem.path.join('.'),
        message: problem.message,
        line: offset === undefined ? undefined : lineCounter.linePos(offset).line,
      };
    }),
  );
}

/** `rules` keys that name no rule: a typo would otherwise leave the rule meant on (or off) silently. */
function unknownRules(config: PgproConfig): { id: string; message: string }[] {
  return Object.keys(config.rules)
    .filter((id) => !isKnownRuleId(id))
    .map((id) => ({ id, message: unknownRuleMessage(id) }));
}
