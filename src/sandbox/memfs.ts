// PGlite keeps its data directory in Emscripten's MEMFS, which emulates fallocate() with ftruncate(), and
// MEMFS's ftruncate allocates a new array of exactly the new size and copies the whole file into it.
// PostgreSQL 16+ extends a relation with fallocate() a few dozen pages at a time, so writing a table of n
// pages copied O(n²) bytes: a rewrite of a 160 MB table took 12 s where one of 20 MB took 0.3 s, and the
// lock-time rehearsal, which extrapolates from small tables, could not be checked against a large one.
// A production file system extends a file in place. Growing the storage geometrically, as MEMFS's own
// writes already do, gives an extension the cost of its own bytes, as on a disk. Shrinking keeps MEMFS's
// behaviour.

interface MemfsNode {
  contents: Uint8Array | null;
  usedBytes: number;
}

interface Memfs {
  resizeFileStorage(node: MemfsNode, size: number): void;
  expandFileStorage(node: MemfsNode, capacity: number): void;
  pgproExtendsInPlace?: boolean;
}

interface EmscriptenFs {
  lookupPath(path: string, options: object): { node?: { mount?: { type?: unknown } } };
}

/** The MEMFS object behind a PGlite's data directory, when this PGlite version exposes it. */
export function memfsOf(db: object, path = '/pglite/data'): Memfs | undefined {
  const fs = (db as { mod?: { FS?: EmscriptenFs } }).mod?.FS;
  let type: unknown;
  try {
    type = fs?.lookupPath(path, {}).node?.mount?.type;
  } catch {
    return undefined;
  }
  const memfs = type as Partial<Memfs> | undefined;
  return typeof memfs?.resizeFileStorage === 'function' && typeof memfs.expandFileStorage === 'function' ? (memfs as Memfs) : undefined;
}

/** Makes the file system under `db`'s data directory extend files in place; false when it cannot (another PGlite). */
export function extendFilesInPlace(db: object): boolean {
  const memfs = memfsOf(db);
  if (!memfs) return false;
  if (memfs.pgproExtendsInPlace) return true;
  const resize = memfs.resizeFileStorage.bind(memfs);
  memfs.resizeFileStorage = (node, size) => {
    if (size <= node.usedBytes || !(node.contents instanceof Uint8Array)) {
      resize(node, size);
      return;
    }
    // Bytes past the end read as zeros, as after any extension.
    if (node.contents.length >= size) node.contents.fill(0, node.usedBytes, size);
    else memfs.expandFileStorage(node, size);
    node.usedBytes = size;
  };
  memfs.pgproExtendsInPlace = true;
  return true;
}
