// Offset conversions for migration text. libpg-query reports statement locations as UTF-8 byte
// offsets and error cursors as 0-based code point offsets; JS strings index UTF-16 code units.

/** Offsets (UTF-16 code units) where each line starts; index 0 is line 1. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of a UTF-16 offset, given `lineStarts(text)`. */
export function lineOfOffset(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Number of line breaks in `text` (lines it spans minus one). */
export function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Converts libpg-query offsets of one string into UTF-16 offsets of that same string. */
export interface OffsetMap {
  fromByte(byteOffset: number): number;
  fromCodePoint(codePointOffset: number): number;
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;

export function offsetMap(text: string): OffsetMap {
  if (ASCII_ONLY.test(text)) {
    const clamp = (n: number) => Math.max(0, Math.min(n, text.length));
    return { fromByte: clamp, fromCodePoint: clamp };
  }
  const byteToUnit = new Uint32Array(Buffer.byteLength(text, 'utf8') + 1);
  const pointToUnit: number[] = [];
  let byte = 0;
  let unit = 0;
  while (unit < text.length) {
    const cp = text.codePointAt(unit)!;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    const units = cp > 0xffff ? 2 : 1;
    pointToUnit.push(unit);
    // A byte offset inside a multi-byte character maps to the character's start.
    for (let b = 0; b < bytes; b++) byteToUnit[byte + b] = unit;
    byte += bytes;
    unit += units;
  }
  byteToUnit[byte] = unit;
  pointToUnit.push(unit);
  return {
    fromByte: (n) => byteToUnit[Math.max(0, Math.min(n, byte))]!,
    fromCodePoint: (n) => pointToUnit[Math.max(0, Math.min(n, pointToUnit.length - 1))]!,
  };
}
