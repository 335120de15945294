import { describe, expect, it } from 'vitest';
import { countNewlines, lineOfOffset, lineStarts, offsetMap } from '../../src/sql/lines.js';

describe('lineOfOffset', () => {
  const text = 'a\nbc\n\nd';
  const starts = lineStarts(text);
  it('maps offsets to 1-based lines, newlines belonging to the line they end', () => {
    expect(starts).toEqual([0, 2, 5, 6]);
    expect([0, 1, 2, 4, 5, 6, 7].map((o) => lineOfOffset(starts, o))).toEqual([1, 1, 2, 2, 3, 4, 4]);
    expect(countNewlines(text)).toBe(3);
  });
});

describe('offsetMap', () => {
  it('maps UTF-8 byte offsets and code point offsets to string offsets', () => {
    const text = 'é✓😀x';
    const map = offsetMap(text);
    // bytes: é=2, ✓=3, 😀=4; UTF-16 units: 1, 1, 2
    expect([0, 2, 5, 9, 10].map(map.fromByte)).toEqual([0, 1, 2, 4, 5]);
    expect([0, 1, 2, 3, 4].map(map.fromCodePoint)).toEqual([0, 1, 2, 4, 5]);
    expect(text.slice(map.fromByte(9))).toBe('x');
  });
  it('is the identity for ASCII and clamps out-of-range offsets', () => {
    const map = offsetMap('abc');
    expect(map.fromByte(2)).toBe(2);
    expect(map.fromByte(99)).toBe(3);
    expect(map.fromCodePoint(-1)).toBe(0);
  });
});
