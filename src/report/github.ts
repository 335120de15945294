// GitHub Actions workflow commands (`::error file=…,line=…::message`): each finding becomes an
// annotation on the pull request's files when printed in a job's log.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions
import type { ReviewResult, Severity } from '../types.js';

const COMMANDS: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** Escapes a command's message: `%`, CR and LF would end or break the command. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a property value, where `:` and `,` separate properties too. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderGithub(result: ReviewResult): string {
  return result.findings
    .map((f) => {
      const properties = [
        `file=${escapeProperty(f.file)}`,
        `line=${f.line}`,
        ...(f.endLine > f.line ? [`endLine=${f.endLine}`] : []),
        `title=${escapeProperty(`pgpro ${f.rule}`)}`,
      ].join(',');
      const fix = f.fix ? `\nFix: ${f.fix.title}` : '';
      return `::${COMMANDS[f.severity]} ${properties}::${escapeData(f.message + fix)}\n`;
    })
    .join('');
}
