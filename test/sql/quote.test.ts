import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteIdentifier } from '../../src/sql/quote.js';

describe('quoteIdent', () => {
  it('leaves plain lowercase names and unreserved keywords alone', () => {
    expect(['orders', 'account_id', 'name', 'type', 'value', 'status'].map(quoteIdent)).toEqual([
      'orders', 'account_id', 'name', 'type', 'value', 'status',
    ]);
  });

  it('quotes reserved and other non-unreserved keywords, as quote_ident does', () => {
    expect(['order', 'user', 'group', 'select', 'between'].map(quoteIdent)).toEqual([
      '"order"', '"user"', '"group"', '"select"', '"between"',
    ]);
  });

  it('quotes names that are not plain lowercase, doubling quotes inside', () => {
    expect(quoteIdent('CamelCase')).toBe('"CamelCase"');
    expect(quoteIdent('has space')).toBe('"has space"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdentifier('orders')).toBe('"orders"');
  });

  it('answers a name asked again as it did the first time (the answers are kept by name)', () => {
    const names = ['user', 'orders', 'order', 'status', 'user', 'orders', 'order', 'status'];
    expect(names.map(quoteIdent)).toEqual(['"user"', 'orders', '"order"', 'status', '"user"', 'orders', '"order"', 'status']);
  });
});
