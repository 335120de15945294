// libpg-query, loaded with require(). Its package is CommonJS (no "exports", `main` is wasm/index.cjs):
// an ESM `import` of it makes Node 20 run its CommonJS export lexer over the module first, which took
// ~50 ms of a `pgpro lint` that parses anything (the edited and empty-cache runs). Same module instance
// either way (both go through the CommonJS loader's cache).
import { createRequire } from 'node:module';

type PgQuery = typeof import('libpg-query');

const pgQuery = createRequire(import.meta.url)('libpg-query') as PgQuery;

export const { loadModule, parse, parseSync, scanSync } = pgQuery;
