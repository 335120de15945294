import { describe, expect, it } from 'vitest';
import { closestRuleId, isKnownRuleId, knownRuleIds } from '../../src/rules/lib/ids.js';
import { SQUAWK_RULES, sharedWithSquawk } from '../../src/rules/lib/squawk.js';

describe('rule ids', () => {
  it('maps every squawk rule to pgpro ids that exist', () => {
    for (const [squawk, ids] of Object.entries(SQUAWK_RULES)) {
      for (const id of ids) expect(isKnownRuleId(id), `${squawk} → ${id}`).toBe(true);
    }
    // pgpro kept squawk's id wherever it has the rule.
    for (const id of sharedWithSquawk()) expect(knownRuleIds()).toContain(id);
  });

  it('knows every stage and the agent topics, and suggests the nearest id', () => {
    expect(isKnownRuleId('lock-held-across-statements')).toBe(true);
    expect(isKnownRuleId('agent/locking')).toBe(true);
    expect(isKnownRuleId('agent')).toBe(false);
    expect(isKnownRuleId('ban-drop-colum')).toBe(false);
    expect(closestRuleId('prefer-timestampz')).toBe('prefer-timestamptz');
    expect(closestRuleId('BAN-TRUNCATE-CASCADE')).toBe('ban-truncate-cascade');
  });
});
