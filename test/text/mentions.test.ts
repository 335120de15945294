import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mentionsName } from '../../src/text/mentions.js';

describe('mentionsName', () => {
  it('finds a whole identifier, bare or quoted, and not a part of a longer one', () => {
    expect(mentionsName('alter table orders add x int', 'orders')).toBe(true);
    expect(mentionsName('alter table "orders" add x int', 'orders')).toBe(true);
    expect(mentionsName('alter table orders_2 add x int', 'orders')).toBe(false);
    expect(mentionsName('alter table my_orders add x int', 'orders')).toBe(false);
    expect(mentionsName('select 1 from $orders', 'orders')).toBe(false);
    expect(mentionsName('orders', 'orders')).toBe(true);
    expect(mentionsName('anything', '')).toBe(false);
  });

  it('takes pattern characters literally and stays linear on a crafted name', () => {
    const haystack = `create table "(.*a){25}!" (id int); ${'a'.repeat(100_000)}`;
    expect(mentionsName(haystack, '(.*a){25}!')).toBe(true);
    expect(mentionsName(haystack, 'qty(units')).toBe(false);
    expect(mentionsName('x "qty(units" y', 'qty(units')).toBe(true);
  });
});

/** Every .ts file under a directory. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('regular expressions in src', () => {
  // A pattern built at run time must come from pgpro's own constants, never from a migration, a
  // catalog name or an error message: those are untrusted and may backtrack forever or not compile.
  const ALLOWED = new Map([
    ['src/agent/readonly.ts', 'a constant identifier grammar'],
    ['src/agent/scrub.ts', 'the constant list of secret-looking keys'],
  ]);

  it('builds patterns only from constants, in the files reviewed for it', () => {
    const root = join(import.meta.dirname, '../..');
    const building = sources(join(root, 'src'))
      .filter((path) => readFileSync(path, 'utf8').includes('new RegExp('))
      .map((path) => path.slice(root.length + 1));
    expect(building.sort()).toEqual([...ALLOWED.keys()].sort());
  });
});
