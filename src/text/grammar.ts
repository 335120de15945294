// Wording shared by every message pgpro writes: articles, plurals, lists, line lists and lock-mode
// names. One place, so that no message says "a ACCESS EXCLUSIVE" or "lines 6, 10, 10, 12".
import type { LockMode } from '../types.js';

/** The name in SQL (`LOCK TABLE … IN <name> MODE`) and in PostgreSQL's documentation. */
export const LOCK_NAME: Record<LockMode, string> = {
  AccessShareLock: 'ACCESS SHARE',
  RowShareLock: 'ROW SHARE',
  RowExclusiveLock: 'ROW EXCLUSIVE',
  ShareUpdateExclusiveLock: 'SHARE UPDATE EXCLUSIVE',
  ShareLock: 'SHARE',
  ShareRowExclusiveLock: 'SHARE ROW EXCLUSIVE',
  ExclusiveLock: 'EXCLUSIVE',
  AccessExclusiveLock: 'ACCESS EXCLUSIVE',
};

// Words spelled with a vowel but said with a consonant sound ("a unique index", "a one-off"), and the
// reverse ("an hour", "an SQL statement", "an FK").
const CONSONANT_SOUND = /^(uni|use|usu|uti|ure|one|once|eu)/i;
const VOWEL_SOUND = /^(hour|honest|honou?r|heir)|^(sql|fk|mb|gb|rls|ssl|xml|html|nul)\b/i;

/** "a" or "an" for the word that follows. */
export function article(word: string): 'a' | 'an' {
  const first = word.trim().replace(/^["'`(]+/, '');
  if (VOWEL_SOUND.test(first)) return 'an';
  if (CONSONANT_SOUND.test(first)) return 'a';
  return /^[aeiou]/i.test(first) ? 'an' : 'a';
}

/** The phrase with its indefinite article: "an ACCESS EXCLUSIVE lock", "a SHARE lock". */
export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

export function lockName(mode: LockMode): string {
  return LOCK_NAME[mode];
}

/** "an ACCESS EXCLUSIVE lock" */
export function aLock(mode: LockMode): string {
  return withArticle(`${LOCK_NAME[mode]} lock`);
}

export function formatNumber(value: number): string {
  // Whole numbers (counts, nearly every call) without Intl, whose first use costs tens of milliseconds.
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return `${value < 0 ? '-' : ''}${String(Math.abs(value)).replace(/\B(?=(\d{3})+$)/g, ',')}`;
  return value.toLocaleString('en-US');
}

/** "1 statement", "3 statements", "1,200 rows". */
/** "350 ms", "2.4 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatNumber(count)} ${count === 1 ? singular : pluralForm}`;
}

/** The word alone, singular or plural by count: "statement" / "statements". */
export function noun(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

/** "a", "a and b", "a, b and c". */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Distinct lines in order: "line 3", "lines 3 and 5", "lines 3, 5 and 9". */
export function lineList(lines: Iterable<number>): string {
  const distinct = [...new Set(lines)].sort((a, b) => a - b);
  if (distinct.length === 0) return '';
  return `${noun(distinct.length, 'line')} ${list(distinct.map(String))}`;
}
