// `pgpro rules` lists every rule id with its default severity and what it flags; `pgpro explain <rule>`
// prints the rule's page (docs/rules/<id>.md, shipped in the package).
import { readFile } from 'node:fs/promises';
import { packageFile } from '../package-file.js';
import { rules } from '../rules/index.js';
import { AGENT_DOC_PAGE, AGENT_RULE_PREFIX, OTHER_RULES_BY_STAGE } from '../rules/lib/other-rules.js';
import { UsageError, type CliArgs } from './args.js';
import { reportFailure } from './errors.js';
import { EXIT_OK, type CliIo } from './io.js';

const DOCS = packageFile('docs/rules/');

export async function runRules(io: CliIo): Promise<number> {
  const rows = rules.map((r) => [r.meta.id, r.meta.defaultSeverity, r.meta.category, r.meta.description]);
  const width = Math.max(...rows.map((r) => r[0]!.length));
  const lines = [
    'Lint rules (pgpro lint and pgpro review; set severities or off under `rules:` in the config):',
    ...rows.map(([id, severity, category, description]) => `  ${id!.padEnd(width)}  ${severity!.padEnd(7)}  ${category!.padEnd(13)}  ${description}`),
    '',
    'Found by running the migrations (pgpro review only):',
    ...Object.entries(OTHER_RULES_BY_STAGE).map(([stage, ids]) => `  ${stage}: ${ids.join(', ')}`),
    `  agent: ${AGENT_RULE_PREFIX}<topic> (the Claude review)`,
    '',
    'pgpro explain <rule> prints a rule\'s page.',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

export async function runExplain(args: CliArgs, io: CliIo): Promise<number> {
  try {
    const [id] = args.paths;
    if (!id || args.paths.length > 1) throw new UsageError('pgpro explain takes one rule id, e.g. pgpro explain ban-drop-column (pgpro rules lists them).');
    const page = id.startsWith(AGENT_RULE_PREFIX) ? AGENT_DOC_PAGE : id;
    if (!/^[a-z0-9-]+$/.test(page)) throw new UsageError(`"${id}" is not a rule id (pgpro rules lists them).`);
    const text = await readFile(new URL(`${page}.md`, DOCS), 'utf8').catch(() => {
      throw new UsageError(`There is no rule "${id}" (pgpro rules lists them).`);
    });
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return EXIT_OK;
  } catch (error) {
    return reportFailure(io, error);
  }
}
