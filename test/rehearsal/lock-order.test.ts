// The order the lock-time rehearsal times statements in, and what a budget that ends early leaves out.
// Deterministic: the budget is counted on a clock the test advances, one step per statement timed.
import { describe, expect, it } from 'vitest';
import { byImportance, mostImportantFirst, timeInOrder, type LockRank } from '../../src/rehearsal/lock-order.js';

// The statements the bundled example (examples/shop, `npm run demo`) times, in file order, with the
// production sizes of its stats file.
const EXAMPLE: (LockRank & { name: string })[] = [
  { name: '0009 line 4: foreign key on orders', mode: 'ShareRowExclusiveLock', rewrites: false, productionRows: 41_000_000, file: 0, at: 2 },
  { name: '0009 line 8: index on orders', mode: 'ShareLock', rewrites: false, productionRows: 41_000_000, file: 0, at: 3 },
  { name: '0009 line 11: quantity to bigint on order_items', mode: 'AccessExclusiveLock', rewrites: true, productionRows: 118_000_000, file: 0, at: 4 },
];
const rank = (item: LockRank) => item;
const names = (items: readonly { name: string }[]) => items.map((i) => i.name);

describe('the most important statement is timed first', () => {
  it('the strongest lock first, then a rewrite, then the biggest production table, then file order', () => {
    const base = { productionRows: 1000, rewrites: false, file: 0, at: 0 };
    expect(byImportance({ ...base, mode: 'AccessExclusiveLock' }, { ...base, mode: 'ShareLock', productionRows: 10 ** 9 })).toBeLessThan(0);
    expect(byImportance({ ...base, mode: 'AccessExclusiveLock', rewrites: true }, { ...base, mode: 'AccessExclusiveLock', productionRows: 10 ** 9 })).toBeLessThan(0);
    expect(byImportance({ ...base, mode: 'ShareLock', productionRows: 2000, at: 5 }, { ...base, mode: 'ShareLock' })).toBeLessThan(0);
    expect(byImportance({ ...base, mode: 'ShareLock', file: 1 }, { ...base, mode: 'ShareLock', file: 0, at: 9 })).toBeGreaterThan(0);
    expect(byImportance({ ...base, mode: 'ShareLock', at: 1 }, { ...base, mode: 'ShareLock', at: 2 })).toBeLessThan(0);
  });

  it("puts the example's rewrite of order_items (its last statement timed) first", () => {
    expect(names(mostImportantFirst(EXAMPLE, rank))).toEqual([
      '0009 line 11: quantity to bigint on order_items',
      '0009 line 4: foreign key on orders',
      '0009 line 8: index on orders',
    ]);
  });
});

describe('timeInOrder: a budget that ends early cuts the least important', () => {
  /** A clock that moves only when a statement is timed: `cost` steps each. */
  function stepBudget(steps: number, cost: number) {
    let now = 0;
    const deadlines: number[] = [];
    const budget = { now: () => now, ends: steps, reached: () => now >= steps };
    const measure = async (item: { name: string }, deadline: number) => {
      deadlines.push(deadline);
      now += cost;
      return `timed ${item.name}`;
    };
    return { budget, measure, deadlines };
  }

  it('with room for one statement, times the rewrite on order_items and answers in file order', async () => {
    const { budget, measure } = stepBudget(30, 30);
    const timed = await timeInOrder(EXAMPLE, rank, budget, measure);
    expect(timed.map((t) => [t.item.name, t.result])).toEqual([
      ['0009 line 4: foreign key on orders', undefined],
      ['0009 line 8: index on orders', undefined],
      ['0009 line 11: quantity to bigint on order_items', 'timed 0009 line 11: quantity to bigint on order_items'],
    ]);
  });

  it('with room for two, leaves out only the index build, the weakest lock', async () => {
    const { budget, measure } = stepBudget(60, 30);
    const timed = await timeInOrder(EXAMPLE, rank, budget, measure);
    expect(timed.filter((t) => t.result === undefined).map((t) => t.item.name)).toEqual(['0009 line 8: index on orders']);
  });

  it('gives each statement an equal share of what is left for those still to time', async () => {
    const { budget, measure, deadlines } = stepBudget(90, 10);
    const timed = await timeInOrder(EXAMPLE, rank, budget, measure);
    expect(timed.every((t) => t.result !== undefined)).toBe(true);
    // 90 left for 3: 30 each; then 80 for 2: 40 each; then 70 for the last.
    expect(deadlines).toEqual([30, 10 + 40, 20 + 70]);
  });

  it('times nothing once the budget is reached before the first', async () => {
    const { budget, measure, deadlines } = stepBudget(0, 10);
    const timed = await timeInOrder(EXAMPLE, rank, budget, measure);
    expect(timed.map((t) => t.result)).toEqual([undefined, undefined, undefined]);
    expect(deadlines).toEqual([]);
  });
});
