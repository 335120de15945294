import { describe, expect, it } from 'vitest';
import { copyFromBlob, isCopyFromStdin, lineAtPosition, needsAutocommit, transactionControl } from '../../src/sandbox/statements.js';

describe('transactionControl', () => {
  it.each([
    ['BEGIN', 'begin'],
    ['  start transaction isolation level serializable', 'begin'],
    ['-- open it\nbegin', 'begin'],
    ['COMMIT', 'end'],
    ['end', 'end'],
    ['ROLLBACK', 'end'],
    ['rollback to savepoint a', undefined],
    ['commit prepared \'x\'', undefined],
    ['create table begin_log (id int)', undefined],
    ['/* c */ select 1', undefined],
  ])('%s → %s', (text, expected) => {
    expect(transactionControl(text)).toBe(expected);
  });
});

describe('needsAutocommit', () => {
  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', true],
    ['create unique index concurrently if not exists i on t (a)', true],
    ['DROP INDEX CONCURRENTLY i', true],
    ['REINDEX INDEX CONCURRENTLY i', true],
    ['-- maintenance\nVACUUM ANALYZE t', true],
    ['CREATE DATABASE x', true],
    ['REINDEX DATABASE app', true],
    ['REINDEX TABLE t', false],
    ['REINDEX (CONCURRENTLY) TABLE t', true],
    ['REINDEX (VERBOSE, CONCURRENTLY on) TABLE t', true],
    ['REINDEX (CONCURRENTLY false) TABLE t', false],
    ["REINDEX (CONCURRENTLY 'off', VERBOSE) INDEX i", false],
    ['REINDEX (CONCURRENTLY 0) TABLE t', false],
    ['CLUSTER', true],
    ['CLUSTER t USING t_pkey', false],
    ['DROP SUBSCRIPTION s', true],
    ['ALTER TABLE p DETACH PARTITION c CONCURRENTLY', true],
    ['CREATE INDEX i ON t (a)', false],
    ["ALTER TYPE mood ADD VALUE 'meh'", false],
    ['select 1', false],
  ])('%s → %s', (text, expected) => {
    expect(needsAutocommit(text)).toBe(expected);
  });
});

describe('COPY FROM stdin', () => {
  it('rewrites stdin to the query blob and keeps the options', () => {
    expect(copyFromBlob("COPY public.t (a, b) FROM stdin WITH (FORMAT csv)")).toBe(
      "COPY public.t (a, b) FROM '/dev/blob' WITH (FORMAT csv)",
    );
    expect(copyFromBlob("COPY t TO stdout")).toBeUndefined();
    expect(copyFromBlob("COPY t FROM '/tmp/x'")).toBeUndefined();
    expect(isCopyFromStdin('copy t from pstdin')).toBe(true);
  });
});

describe('lineAtPosition', () => {
  it('maps a 1-based character position to the file line', () => {
    const text = 'CREATE TABLE t (\n  id int,\n  nme txt\n)';
    expect(lineAtPosition(text, 10, text.indexOf('txt') + 1)).toBe(12);
    expect(lineAtPosition(text, 10, 1)).toBe(10);
    expect(lineAtPosition(text, 10, undefined)).toBe(10);
  });

  it('counts characters, not UTF-16 units', () => {
    const text = "SELECT '😀😀',\nfoo";
    expect(lineAtPosition(text, 1, [...text].indexOf('f') + 1)).toBe(2);
  });
});
