// `npm run schema`: writes schema/pgpro.schema.json from the zod config schema (test/config/json-schema.test.ts
// fails when the committed file is out of date).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigJsonSchema } from '../src/config/json-schema.js';

const target = fileURLToPath(new URL('../schema/pgpro.schema.json', import.meta.url));
writeFileSync(target, renderConfigJsonSchema());
console.log(`wrote ${target}`);
