// diesel-guard's `-- safety-assured:start` … `:end` blocks: the team states that it checked the
// statements inside against production, which the sandbox cannot see (a constraint added by hand, a
// table known to be small). pgpro still says what it observed there, as info, and does not fail the
// check on it.
import { NEVER_IGNORED } from '../sql/ignores.js';
import type { ParsedFile } from '../types.js';
import { statementAt } from './identity.js';
import type { HazardFinding } from './types.js';

export function softenAssured(finding: HazardFinding, file: ParsedFile | undefined): HazardFinding {
  if (finding.severity === 'info' || NEVER_IGNORED.has(finding.rule) || finding.merged?.includes('apply-error')) return finding;
  if (!file?.assured?.length) return finding;
  const statement = statementAt(file.statements, finding.line);
  if (!statement) return finding;
  const block = file.assured.find((b) => b.start < statement.line && statement.endLine < b.end);
  if (!block) return finding;
  return {
    ...finding,
    severity: 'info',
    message: `${finding.message} (Reported as info, not ${finding.severity}: the statement is in a \`-- safety-assured\` block, lines ${block.start}-${block.end}, where the team states it checked it against production.)`,
  };
}
