import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/sha256.js';

const native = (input: string | Uint8Array) => createHash('sha256').update(input).digest('hex');

describe('sha256Hex', () => {
  it('gives node:crypto digests at every padding boundary, for strings as UTF-8 and for bytes', () => {
    for (let length = 0; length <= 200; length++) {
      const text = Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 31 + length) % 90))).join('');
      expect(sha256Hex(text), `length ${length}`).toBe(native(text));
    }
    for (const text of ['', 'abc', '/home/dev/repo', 'é€😀 ünïcode\0nul', 'x'.repeat(100_000)]) expect(sha256Hex(text)).toBe(native(text));
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    expect(sha256Hex(bytes)).toBe(native(bytes));
  });
});
