// A memo of a pure function's results with a bound on its size, for module-level memos in a process
// that may live long (the App reviews many schemas): past the bound, the oldest entry is forgotten.

export class BoundedMemo<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries: number) {}

  /** The value remembered for `key`, or `compute(key)`, remembered (undefined results included). */
  get(key: K, compute: (key: K) => V): V {
    if (this.entries.has(key)) return this.entries.get(key) as V;
    const value = compute(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
