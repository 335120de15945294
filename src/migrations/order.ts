// Ordering keys of migration tools.

/** Compares two digit strings by numeric value without overflowing (timestamps exceed 2^53). */
export function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/** Byte-wise comparison, the order of `ls` with LC_ALL=C and of most tools' sort(). */
export function compareLexical(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Flyway versions: parts split on `.` or `_`, compared numerically; trailing zero parts do not count (1.0 = 1). */
export function flywayVersionParts(raw: string): string[] {
  const parts = raw.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts;
}

export function compareFlywayVersions(a: string, b: string): number {
  const x = flywayVersionParts(a);
  const y = flywayVersionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = compareDigits(x[i] ?? '0', y[i] ?? '0');
    if (diff !== 0) return diff;
  }
  return 0;
}
