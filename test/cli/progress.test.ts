import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressPrinter, withCount } from '../../src/cli/progress.js';

describe('CLI progress', () => {
  it('says how far a stage is: a long directory shows which file of how many is applied', () => {
    expect(withCount({ stage: 'apply', message: 'Applying db/0002.sql', done: 1, total: 300 })).toBe('Applying db/0002.sql (1/300)');
    expect(withCount({ stage: 'replay', message: 'Replaying history 3/40', done: 3, total: 40 })).toBe('Replaying history 3/40');
    expect(withCount({ stage: 'parse', message: 'Parsing 2 migrations' })).toBe('Parsing 2 migrations');
  });

  it('outside a terminal, one line per stage and per tenth of a long stage', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const printer = progressPrinter(out as unknown as NodeJS.WriteStream);
    for (let i = 0; i < 100; i++) printer.update({ stage: 'apply', message: `Applying db/${i}.sql`, done: i, total: 100 });
    printer.done();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('Applying db/0.sql (0/100)');
    expect(lines[9]).toBe('Applying db/90.sql (90/100)');
  });
});
