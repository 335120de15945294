// Report order: sortFindings ranks file names and rule ids once, and must order exactly as sorting
// with compareFindings does, including the collator's own notion of order (case, accents, punctuation,
// and distinct strings it holds equal).
import { describe, expect, it } from 'vitest';
import { compareFindings, sortFindings } from '../../src/finding.js';
import type { Finding, Severity } from '../../src/types.js';

const FILES = ['db/B.sql', 'db/a.sql', 'db/á.sql', 'db/a-b.sql', 'db/a_b.sql', 'db/ab.sql', 'db/10.sql', 'db/9.sql', 'db/e\u0301.sql', 'db/\u00e9.sql', 'Db/a.sql'];
const RULES = ['ban-drop-column', 'Ban-drop-column', 'prefer-robust-stmts', 'prefer_robust_stmts', 'agent/x'];
const SEVERITIES: Severity[] = ['info', 'warning', 'error'];

describe('sortFindings', () => {
  it('orders a large run exactly as compareFindings does', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const findings = Array.from({ length: 600 }, (_, i) => ({
      rule: RULES[next(RULES.length)]!,
      severity: SEVERITIES[next(3)]!,
      source: 'lint',
      file: FILES[next(FILES.length)]!,
      line: 1 + next(4),
      endLine: 5,
      message: `finding ${i}`,
      fingerprint: String(i),
    })) as Finding[];
    const expected = [...findings].sort(compareFindings).map((f) => f.message);
    expect(sortFindings([...findings]).map((f) => f.message)).toEqual(expected);
  });
});
