// Every rule id a user may name (config `rules`, ignore directives): the lint registry, the other
// stages' ids, and the agent's `agent/<topic>`.
import { rules } from '../index.js';
import { AGENT_RULE_PREFIX, OTHER_RULE_IDS } from './other-rules.js';
import { pgproIdsOfSquawkRule } from './squawk.js';

export function knownRuleIds(): string[] {
  return [...rules.map((r) => r.meta.id), ...OTHER_RULE_IDS];
}

export function isKnownRuleId(id: string): boolean {
  return (id.startsWith(AGENT_RULE_PREFIX) && id.length > AGENT_RULE_PREFIX.length) || knownRuleIds().includes(id);
}

/** Why a rule id is not known, naming the id the user most likely meant. */
export function unknownRuleMessage(id: string): string {
  const squawk = pgproIdsOfSquawkRule(id);
  if (squawk && squawk.length > 0) return `unknown rule "${id}": that is squawk's id; pgpro's rule is "${squawk[0]}"`;
  if (squawk) return `unknown rule "${id}": squawk has it, pgpro does not (docs/rules/README.md says why); the closest pgpro rule is "${closestRuleId(id)}"`;
  return `unknown rule "${id}"; did you mean "${closestRuleId(id)}"?`;
}

/** The known id nearest to a misspelled one (edit distance), for "did you mean". */
export function closestRuleId(id: string): string {
  let best = '';
  let bestDistance = Infinity;
  for (const known of knownRuleIds()) {
    const d = editDistance(id.toLowerCase(), known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
