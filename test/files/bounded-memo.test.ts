import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../../src/bounded-memo.js';

describe('BoundedMemo', () => {
  it('computes a key once, undefined results included', () => {
    const memo = new BoundedMemo<string, number | undefined>(4);
    const calls: string[] = [];
    const compute = (key: string) => {
      calls.push(key);
      return key === 'none' ? undefined : key.length;
    };
    expect([memo.get('abc', compute), memo.get('abc', compute), memo.get('none', compute), memo.get('none', compute)]).toEqual([3, 3, undefined, undefined]);
    expect(calls).toEqual(['abc', 'none']);
  });

  it('forgets the oldest entry past its bound, and only that one', () => {
    const memo = new BoundedMemo<number, number>(3);
    const calls: number[] = [];
    const square = (n: number) => {
      calls.push(n);
      return n * n;
    };
    for (const n of [1, 2, 3, 4]) memo.get(n, square);
    expect(memo.size).toBe(3);
    calls.length = 0;
    expect([memo.get(2, square), memo.get(3, square), memo.get(4, square)]).toEqual([4, 9, 16]);
    expect(calls).toEqual([]);
    expect(memo.get(1, square)).toBe(1);
    expect(calls).toEqual([1]);
  });
});
