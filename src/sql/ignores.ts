// `-- pgpro-ignore` directives: how they are written, which statement they cover, and dropping the
// findings they silence.
//
//   -- pgpro-ignore rule-a, rule-b        the statement it sits in, or else the next statement;
//                                         written after a statement's `;` on the same line, that
//                                         statement
//   -- pgpro-ignore-file rule-a           every statement of the file (anywhere in the file)
//   -- pgpro-ignore all                   every rule; a directive naming no rule means `all`
//   -- pgpro-ignore rule-a -- why         text after a second `--` is a free-form reason
//
// A directive rule `x` also covers namespaced ids `x/…` (e.g. `agent` covers `agent/locking`).
//
//   -- squawk-ignore rule-a, rule-b       squawk's own directives, honoured for the rules pgpro shares
//   -- squawk-ignore-file rule-a          with squawk (src/rules/lib/squawk.ts), so waivers written for
//                                         squawk keep working; names pgpro has no rule for are inert, a
//                                         bare one waives the shared rules only, and a squawk directive
//                                         is never reported as unused.
// syntax-error, apply-error, review-incomplete and not-reviewed are never dropped: a file that does not run cannot be waived.

import { fingerprint } from '../finding.js';
import { pgproIdsOfSquawkRule, sharedWithSquawk } from '../rules/lib/squawk.js';
import type { Finding, IgnoreDirective, ParsedFile } from '../types.js';

/** A directive with the statement it covers (index into ParsedFile.statements), when any. */
export interface LocatedDirective extends IgnoreDirective {
  statementIndex?: number;
}

const DIRECTIVE = /^\s*(pgpro|squawk)-ignore(-file)?(?=\s|$)(.*)$/;
/** Findings no directive or marker can waive: a file that does not run, or was not reviewed, is never vouched for. */
export const NEVER_IGNORED: ReadonlySet<string> = new Set(['syntax-error', 'apply-error', 'review-incomplete', 'not-reviewed']);

/**
 * squawk's `-- squawk-disable-assume-in-transaction` line: the file keeps its own transaction mode when
 * config `assume-in-transaction: true` would otherwise wrap it.
 */
export function disablesAssumedTransaction(sql: string): boolean {
  return /^[ \t]*--[ \t]*squawk-disable-assume-in-transaction[ \t]*\r?$/m.test(sql);
}

/** Reads a directive from the text of a `--` comment (without the dashes), or undefined. */
export function parseDirective(
  commentBody: string,
): { scope: 'statement' | 'file'; rules: string[]; from?: 'squawk' } | undefined {
  const match = DIRECTIVE.exec(commentBody);
  if (!match) return undefined;
  const list = match[3]!.split('--')[0]!;
  const names = list
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const scope = match[2] ? 'file' : 'statement';
  if (match[1] === 'pgpro') return { scope, rules: names.length > 0 ? names : ['all'] };
  // A bare squawk directive waives squawk's rules: the ones pgpro shares, not what only pgpro sees (trace, EXPLAIN, agent).
  const rules = names.length === 0 ? sharedWithSquawk() : [...new Set(names.flatMap((name) => pgproIdsOfSquawkRule(name) ?? []))];
  return { scope, rules, from: 'squawk' };
}

export function ruleMatches(directiveRule: string, findingRule: string): boolean {
  return directiveRule === 'all' || directiveRule === findingRule || findingRule.startsWith(`${directiveRule}/`);
}

/**
 * Drops findings silenced by ignore directives and reports every directive rule that silenced
 * nothing as an `unused-ignore` info finding. Only meaningful once every stage has reported.
 */
export function applyIgnores(findings: Finding[], files: ParsedFile[]): Finding[] {
  return partitionIgnored(findings, files).kept;
}

/**
 * applyIgnores, also returning the findings the directives silenced (the merge step drops what they
 * would have absorbed with them).
 */
export function partitionIgnored<F extends Finding>(findings: F[], files: ParsedFile[]): { kept: (F | Finding)[]; silenced: F[] } {
  const byFile = new Map(files.map((f) => [f.file, f]));
  const used = new Set<string>(); // `${file}\0${directiveIndex}\0${rule}`
  const kept: (F | Finding)[] = [];
  const silenced: F[] = [];

  for (const finding of findings) {
    const parsed = byFile.get(finding.file);
    if (!parsed || NEVER_IGNORED.has(finding.rule)) {
      kept.push(finding);
      continue;
    }
    const covering = parsed.statements
      .map((s, index) => ({ s, index }))
      .filter(({ s }) => s.line <= finding.line && finding.line <= s.endLine)
      .map(({ index }) => index);
    let ignored = false;
    parsed.directives.forEach((d, di) => {
      const target = (d as LocatedDirective).statementIndex;
      const applies = d.scope === 'file' || (target !== undefined && covering.includes(target));
      if (!applies) return;
      for (const rule of d.rules) {
        if (ruleMatches(rule, finding.rule)) {
          used.add(`${parsed.file}\0${di}\0${rule}`);
          ignored = true;
        }
      }
    });
    if (ignored) silenced.push(finding);
    else kept.push(finding);
  }

  for (const parsed of files) {
    const unusedIgnoreSilenced = parsed.directives.some((d) => d.scope === 'file' && d.rules.includes('unused-ignore'));
    parsed.directives.forEach((d, di) => {
      if (d.from === 'squawk') return;
      for (const rule of d.rules) {
        if (used.has(`${parsed.file}\0${di}\0${rule}`)) continue;
        if (unusedIgnoreSilenced || rule === 'unused-ignore') continue;
        const target = (d as LocatedDirective).statementIndex;
        const statement = target === undefined ? undefined : parsed.statements[target];
        const where =
          d.scope === 'file' ? 'in this file' : statement ? `on the statement at line ${statement.line}` : 'here (no statement follows it)';
        kept.push({
          rule: 'unused-ignore',
          severity: 'info',
          source: 'lint',
          file: parsed.file,
          line: d.line,
          endLine: d.line,
          message: `pgpro-ignore${d.scope === 'file' ? '-file' : ''} ${rule}: ${rule === 'all' ? 'nothing' : `no ${rule} finding`} was reported ${where}; remove the directive.`,
          fingerprint: fingerprint('unused-ignore', parsed.file, `${d.scope} ${rule} ${statement?.text ?? ''}`),
        });
      }
    });
  }
  return { kept, silenced };
}
