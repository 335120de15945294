import type { AncestorEntry } from '../types.js';

/** libpg-query wraps every `Node *` field as `{ TypeName: {...} }`: one PascalCase key. */
export function unwrapNode(value: unknown): AncestorEntry | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // Hot in every lint: one own key, starting with A-Z, found without allocating the key list.
  let type: string | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (type !== undefined) return undefined;
    type = key;
  }
  if (type === undefined) return undefined;
  const first = type.charCodeAt(0);
  if (first < 65 || first > 90) return undefined;
  const node = (value as Record<string, unknown>)[type];
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return { type, node };
}

/**
 * Depth-first walk over a libpg-query tree. `enter` is called for every wrapped node with its type,
 * the node itself and its wrapped ancestors (outermost first). Unwrapped structs (a RangeVar in
 * `relation`, a TypeName in `typeName`) are descended into but not reported as nodes.
 */
export function walk(
  root: unknown,
  enter: (type: string, node: any, ancestors: readonly AncestorEntry[]) => void,
): void {
  const ancestors: AncestorEntry[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    const wrapped = unwrapNode(value);
    if (wrapped) {
      enter(wrapped.type, wrapped.node, ancestors);
      ancestors.push(wrapped);
      for (const child of Object.values(wrapped.node as object)) visit(child);
      ancestors.pop();
      return;
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(root);
}

/** Every node of a type under root (root included when it matches). */
export function findNodes(root: unknown, type: string): any[] {
  const found: any[] = [];
  walk(root, (t, node) => {
    if (t === type) found.push(node);
  });
  return found;
}

/** The smallest `location` in a tree, in document order of the walk; undefined when none. */
export function firstLocation(root: unknown): number | undefined {
  let first: number | undefined;
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'location' && typeof child === 'number' && child >= 0) {
        if (first === undefined || child < first) first = child;
      } else visit(child);
    }
  };
  visit(root);
  return first;
}
