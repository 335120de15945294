import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultConfig, parseConfig } from '../../src/config/parse.js';
import { configSchema } from '../../src/config/schema.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/config.md', import.meta.url)), 'utf8');

/** Strips default/prefault/optional wrappers down to the type they hold. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** Every key of the schema as a dotted path, objects included ('sandbox', 'sandbox.engine', …). */
function schemaKeys(shape: Record<string, z.ZodType>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([key, value]) => {
    const path = `${prefix}${key}`;
    const inner = unwrap(value);
    return inner instanceof z.ZodObject ? [path, ...schemaKeys(inner.shape as Record<string, z.ZodType>, `${path}.`)] : [path];
  });
}

/** The default cell of each documented key: `| \`key\` | default | meaning |`. */
function documentedDefaults(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `([a-z0-9.-]+)` \| ([^|]+) \|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

function valueAt(config: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

describe('docs/config.md', () => {
  const keys = schemaKeys(configSchema.shape as unknown as Record<string, z.ZodType>);
  const rows = documentedDefaults();

  it('walks the whole schema, nested sections included', () => {
    expect(keys).toContain('sandbox.statement-timeout-seconds');
    expect(keys).toContain('agent.severity');
    expect(keys.length).toBeGreaterThan(30);
  });

  it('has a row for every schema key and no row for a key the schema lacks', () => {
    const missing = keys.filter((key) => !rows.has(key));
    expect(missing, 'keys missing from docs/config.md').toEqual([]);
    const unknown = [...rows.keys()].filter((key) => !keys.includes(key));
    expect(unknown, 'documented keys the schema does not have').toEqual([]);
  });

  it('gives each key its real default', () => {
    const defaults = defaultConfig();
    for (const key of keys) {
      const value = valueAt(defaults, key);
      // A section's own row says `{}`: its keys have rows of their own.
      const section = unwrap(shapeAt(key)) instanceof z.ZodObject;
      const expected = value === undefined ? '(unset)' : section ? '`{}`' : `\`${JSON.stringify(value)}\``;
      expect(rows.get(key), key).toBe(expected);
    }
  });

  it('shows an example that is a valid config', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const config = parseConfig(example!, '.github/pgpro.yml');
    expect(config.rules['prefer-identity']).toBe('off');
    expect(config.explain.rows['public.orders']).toBe(200000);
  });
});

function shapeAt(path: string): z.ZodType {
  let schema: z.ZodType = configSchema;
  for (const key of path.split('.')) {
    schema = (unwrap(schema) as z.ZodObject).shape[key] as z.ZodType;
  }
  return schema;
}
