import { describe, expect, it } from 'vitest';
import { aLock, article, formatNumber, lineList, list, plural, withArticle } from '../../src/text/grammar.js';
import { LOCK_MODES } from '../../src/trace/locks.js';

describe('grammar', () => {
  it('formatNumber writes numbers as en-US does, whole ones without Intl', () => {
    for (const value of [0, -0, 7, 999, 1000, -1234, 12_345, 1_234_567, -987_654_321, Number.MAX_SAFE_INTEGER, 1.5, 1234.5678, 1e21]) {
      expect(formatNumber(value), String(value)).toBe(value.toLocaleString('en-US'));
    }
  });

  it('puts "an" before a vowel sound and "a" before a consonant sound', () => {
    expect(article('ACCESS EXCLUSIVE')).toBe('an');
    expect(article('EXCLUSIVE')).toBe('an');
    expect(article('SHARE ROW EXCLUSIVE')).toBe('a');
    expect(article('ROW SHARE')).toBe('a');
    expect(article('unique index')).toBe('a');
    expect(article('UPDATE')).toBe('an');
    expect(article('hour')).toBe('an');
    expect(article('SQL statement')).toBe('an');
    expect(withArticle('index')).toBe('an index');
  });

  it('names every lock mode with the right article (never "a ACCESS EXCLUSIVE", "an SHARE")', () => {
    expect(LOCK_MODES.map(aLock)).toEqual([
      'an ACCESS SHARE lock',
      'a ROW SHARE lock',
      'a ROW EXCLUSIVE lock',
      'a SHARE UPDATE EXCLUSIVE lock',
      'a SHARE lock',
      'a SHARE ROW EXCLUSIVE lock',
      'an EXCLUSIVE lock',
      'an ACCESS EXCLUSIVE lock',
    ]);
  });

  it('lists lines once, in order', () => {
    expect(lineList([10, 6, 10, 12])).toBe('lines 6, 10 and 12');
    expect(lineList([4, 4])).toBe('line 4');
    expect(lineList([])).toBe('');
  });

  it('joins lists and counts nouns', () => {
    expect(list(['a'])).toBe('a');
    expect(list(['a', 'b', 'c'])).toBe('a, b and c');
    expect(plural(1, 'statement')).toBe('1 statement');
    expect(plural(13146, 'row')).toBe('13,146 rows');
  });
});
