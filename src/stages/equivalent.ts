import type { Finding } from '../types.js';

/**
 * Rules of different stages that name the same hazard. On one statement only the group's first rule
 * present is kept, with the others' evidence added to it. (Lint and trace are merged by the trace
 * stage's own table; this covers the stages after it.)
 */
const EQUIVALENT: readonly (readonly string[])[] = [['foreign-key-without-index', 'fk-path-seq-scan']];

export function mergeEquivalent(findings: Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  const out: (Finding | string)[] = [];
  for (const finding of findings) {
    const group = EQUIVALENT.findIndex((g) => g.includes(finding.rule));
    if (group < 0) {
      out.push(finding);
      continue;
    }
    const key = `${group}\0${finding.file}\0${finding.line}`;
    const members = groups.get(key);
    if (members) members.push(finding);
    else {
      groups.set(key, [finding]);
      out.push(key);
    }
  }
  return out.map((item) => {
    if (typeof item !== 'string') return item;
    const members = groups.get(item)!;
    const order = EQUIVALENT[Number(item.split('\0')[0])]!;
    members.sort((a, b) => order.indexOf(a.rule) - order.indexOf(b.rule));
    const keep = members[0]!;
    const evidence = members.map((f) => f.evidence).filter(Boolean).join('\n');
    return evidence && members.length > 1 ? { ...keep, evidence } : keep;
  });
}
