// One line per finding, `file:line: severity rule message`: the shape compilers print, which editors'
// problem matchers, grep and `git diff`-minded reviewers read without help.
import type { ReviewResult } from '../types.js';
import { stripControl } from './common.js';

/** A message on one line: newlines and control characters cannot split or forge output lines. */
export function oneLine(text: string): string {
  return stripControl(text.replace(/\s*\r?\n\s*/g, ' ')).trim();
}

export function renderCompact(result: ReviewResult): string {
  return result.findings.map((f) => `${oneLine(f.file)}:${f.line}: ${f.severity} ${f.rule} ${oneLine(f.message)}\n`).join('');
}
