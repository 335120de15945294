import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding } from '../types.js';

/**
 * Writes mechanical fixes into the files: each fix whose SQL replaces its statement's lines.
 * Overlapping fixes on the same lines keep the first (findings are sorted worst first per line).
 * Returns `file:line` of every fix applied.
 */
export async function applyFixes(root: string, findings: Finding[]): Promise<string[]> {
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.fix?.sql || !f.fix.replacesStatement) continue;
    byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  }
  const applied: string[] = [];
  for (const [file, list] of byFile) {
    const path = join(root, file);
    const lines = (await readFile(path, 'utf8')).split('\n');
    const chosen: Finding[] = [];
    for (const f of [...list].sort((a, b) => a.line - b.line)) {
      if (chosen.some((c) => f.line <= c.endLine && c.line <= f.endLine)) continue;
      chosen.push(f);
    }
    for (const f of chosen.sort((a, b) => b.line - a.line)) {
      const original = lines.slice(f.line - 1, f.endLine).join('\n');
      const indent = /^\s*/.exec(original)?.[0] ?? '';
      const sql = f.fix!.sql!.trim().replace(/;?$/, ';');
      lines.splice(f.line - 1, f.endLine - f.line + 1, ...sql.split('\n').map((l) => indent + l));
      applied.push(`${file}:${f.line}`);
    }
    await writeFile(path, lines.join('\n'));
  }
  return applied.sort();
}
