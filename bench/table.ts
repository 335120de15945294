// Plain-text tables for the terminal and the report.

export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // Text columns (the first, and a 'value' column) align left, numbers right.
  const left = header.map((h, i) => i === 0 || h === 'value');
  const line = (r: string[]) => r.map((c, i) => (left[i] ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}x` : '-';
}

export function mb(value: number | undefined): string {
  return value === undefined ? '-' : `${value} MB`;
}
