// `pgpro review --fix`: writes the proven drop-in fixes into the files. Only a fix the proof verified
// (applied in place with the rest of its file and re-reviewed) is ever written, with the same text
// replacement the proof applied (src/proof/replace.ts). Fixes on overlapping lines are applied one per
// pass, and passes repeat (each a new review of the fixed files) until nothing is left to apply, so one
// run converges. `--dry-run` prints the unified diff instead of writing.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { replaceLines } from '../proof/replace.js';
import type { ChangeSet, FileTree, Finding, ReviewResult } from '../types.js';

/** At most this many reviews after the first: each pass applies what overlapped in the one before. */
export const MAX_FIX_PASSES = 4;

/** A fix `--fix` may write: proven, and a drop-in replacement of exactly its lines. */
export function writableFix(finding: Finding): boolean {
  return Boolean(finding.fix?.sql && finding.fix.replacesStatement && finding.fix.verified);
}

export interface AppliedFixes {
  /** The new text of each file that changed. */
  texts: Map<string, string>;
  /** `file:line` of each fix applied (lines as they were before this pass). */
  applied: string[];
}

/**
 * Applies the writable fixes of one review to the files' texts. Where fixes overlap, the first by line
 * (then the worst, as findings are ordered) wins; the next pass sees the rest again.
 */
export function applyFixesToTexts(texts: ReadonlyMap<string, string>, findings: readonly Finding[]): AppliedFixes {
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!writableFix(f) || !texts.has(f.file)) continue;
    byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  }
  const out = new Map<string, string>();
  const applied: string[] = [];
  for (const [file, list] of byFile) {
    const chosen: Finding[] = [];
    for (const f of [...list].sort((a, b) => a.line - b.line)) {
      if (chosen.some((c) => f.line <= c.endLine && c.line <= f.endLine)) continue;
      chosen.push(f);
    }
    let text = texts.get(file)!;
    // Bottom-up, so that earlier lines keep their numbers.
    for (const f of chosen.sort((a, b) => b.line - a.line)) {
      const replaced = replaceLines({ sql: text, lineOffset: 0 }, f.line, f.endLine, f.fix!.sql!);
      if (!replaced) continue;
      text = replaced.sql;
      applied.push(`${file}:${f.line}`);
    }
    if (text !== texts.get(file)) out.set(file, text);
  }
  return { texts: out, applied: applied.sort() };
}

/** The head tree with some files' text replaced (the fixes of earlier passes), for the next review. */
function overlay(tree: FileTree, texts: ReadonlyMap<string, string>): FileTree {
  return { paths: tree.paths, read: (path) => (texts.has(path) ? Promise.resolve(texts.get(path)) : tree.read(path)) };
}

export interface FixRun {
  /** Original and final text of each file that changed. */
  files: Map<string, { before: string; after: string }>;
  applied: string[];
  /** Reviews run after the first. */
  passes: number;
  /** The review of the fixed files, when fixes were applied. */
  last: ReviewResult;
}

/**
 * Applies proven fixes pass after pass: each pass re-reviews the fixed files (so every fix written was
 * proven on the text it is written into) until a pass applies nothing or MAX_FIX_PASSES is reached.
 */
export async function fixUntilStable(
  change: ChangeSet,
  first: ReviewResult,
  reviewAgain: (change: ChangeSet) => Promise<ReviewResult>,
): Promise<FixRun> {
  const originals = new Map<string, string>();
  const current = new Map<string, string>();
  const applied: string[] = [];
  let result = first;
  let passes = 0;
  for (;;) {
    for (const f of result.findings) {
      if (!writableFix(f) || current.has(f.file)) continue;
      const text = await change.head.read(f.file);
      if (text === undefined) continue;
      originals.set(f.file, text);
      current.set(f.file, text);
    }
    const pass = applyFixesToTexts(current, result.findings);
    if (pass.applied.length === 0 || passes >= MAX_FIX_PASSES) break;
    for (const [file, text] of pass.texts) current.set(file, text);
    applied.push(...pass.applied);
    passes += 1;
    result = await reviewAgain({ ...change, head: overlay(change.head, current) });
  }
  const files = new Map<string, { before: string; after: string }>();
  for (const [file, after] of current) if (after !== originals.get(file)) files.set(file, { before: originals.get(file)!, after });
  return { files, applied, passes, last: result };
}

/** Writes the fixed files under `root`. */
export async function writeFixedFiles(root: string, files: FixRun['files']): Promise<void> {
  for (const [file, { after }] of files) await writeFile(join(root, file), after);
}

/** The fixes as one unified diff (`git apply`-able: a/ and b/ prefixes). */
export function fixDiff(files: FixRun['files']): string {
  return [...files]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, { before, after }]) => createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''))
    .join('');
}

/** Writes the fixes of one review into the files under `root` (one pass, for callers without a reviewer). */
export async function applyFixes(root: string, findings: Finding[]): Promise<string[]> {
  const texts = new Map<string, string>();
  for (const f of findings) if (writableFix(f) && !texts.has(f.file)) texts.set(f.file, await readFile(join(root, f.file), 'utf8'));
  const pass = applyFixesToTexts(texts, findings);
  for (const [file, text] of pass.texts) await writeFile(join(root, file), text);
  return pass.applied;
}
