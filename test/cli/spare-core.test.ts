// The CLI opens the fix proofs' sandbox ahead only when the other processes leave it a core: on a
// machine busy with them, that work would only take CPU from the review's own threads.
import { describe, expect, it } from 'vitest';
import { coreToSpare, idleCores, sampleMachine } from '../../src/cli/spare-core.js';

describe('idleCores', () => {
  const at = { busy: 1_000, total: 10_000, own: 50 };
  it('counts this process\'s own CPU as idle, the others\' as busy', () => {
    // 2 cores, 200 ms: 300 ms busy, 250 of them this process's.
    expect(idleCores(at, { busy: 1_300, total: 10_400, own: 300 }, 2)).toBeCloseTo(1.75);
    // The same busy time, all of it another process's.
    expect(idleCores(at, { busy: 1_300, total: 10_400, own: 50 }, 2)).toBeCloseTo(0.5);
  });

  it('says nothing from a window shorter than the kernel\'s ticks', () => {
    expect(idleCores(at, { busy: 1_010, total: 10_040, own: 50 }, 2)).toBeUndefined();
  });

  it('without a sample at the start, no core is assumed spare', () => {
    expect(coreToSpare()).toBe(false);
    sampleMachine();
    expect(typeof coreToSpare()).toBe('boolean');
  });
});
