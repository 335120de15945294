// The report formats by name: what `--format` accepts (kept apart so that parsing the arguments loads no reporter).
export const FORMATS = ['text', 'json', 'markdown', 'sarif', 'github', 'gitlab', 'compact'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(name: string): name is Format {
  return (FORMATS as readonly string[]).includes(name);
}
