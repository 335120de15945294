// The JSON schema of .github/pgpro.yml, generated from the zod schema so that editors (YAML language
// server, `$schema`) check a config as pgpro does. `npm run schema` writes it to schema/pgpro.schema.json.
import { z } from 'zod';
import { configSchema } from './schema.js';

export const SCHEMA_ID = 'https://raw.githubusercontent.com/pgpro-dev/pgpro/main/schema/pgpro.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  // The input side: what a user writes, where every key with a default may be left out.
  const generated = z.toJSONSchema(configSchema, { io: 'input' }) as Record<string, unknown> & { properties: Record<string, unknown> };
  return {
    ...generated,
    $id: SCHEMA_ID,
    title: 'pgpro config (.github/pgpro.yml)',
    description: 'How pgpro reviews PostgreSQL migrations. Every key is optional; see docs/config.md.',
    // A config may name its own schema; pgpro ignores the key.
    properties: { $schema: { type: 'string' }, ...generated.properties },
  };
}

/** The schema as committed: stable key order, two-space indent, trailing newline. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
