// The sandbox's own memory bound, enforced inside its worker at the moment memory is taken, so that no
// sampling can lag behind a fast allocation and no other sandbox's memory counts against it.
//
// A PGlite sandbox holds its memory in three places, each bounded here:
// - Postgres' heap: a WebAssembly.Memory of its own, created here with a maximum. Growth past the
//   budget is refused, malloc fails inside Postgres and the statement gets "out of memory" (53200).
// - Its files (the data directory, WAL, temporary files) live in Emscripten's MEMFS, as JS byte arrays
//   outside that heap. Every growth of a file is counted, and refused with ENOSPC past the budget: the
//   statement gets "could not extend file" (53100) or, for WAL, Postgres stops.
// - The worker's JS heap (PGlite's result parsing): the Worker's resourceLimits (worker-client.ts).
//
// A snapshot's archive is built in the worker too (dump.ts): it is held against the same budget until it
// leaves the worker, and a dump that would not fit is refused (the sandbox goes on without it).
//
// Heap and files share one budget, since a statement may use either. The worker's JS heap has a fixed
// share of the bound taken off first (memoryShares). The totals are published in a SharedArrayBuffer
// that the main thread reads without waiting for the worker, which is busy while a statement runs.
import type { Extension } from '@electric-sql/pglite';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MB = 1024 * 1024;
const WASM_PAGE = 64 * 1024;
/** PGlite's build declares Postgres' heap at 128 MB to start with and cannot pass 2 GB. */
const INITIAL_PAGES = 2048;
const MAX_PAGES = 32768;
/** Emscripten's errno for "no space left on device". */
const ENOSPC = 51;
/** Old file arrays left for the garbage collector, past which it is run at once. */
const GARBAGE_COLLECT_BYTES = 32 * MB;

let collector: (() => void) | undefined;

/**
 * A full garbage collection of this thread's heap, now. A file that grows leaves its old array behind;
 * while a statement runs the thread never idles, so nothing else would collect it in time.
 */
export function collectGarbage(): void {
  if (!collector) {
    setFlagsFromString('--expose-gc');
    collector = runInNewContext('gc') as () => void;
  }
  collector();
}

/** How a bound of `memoryMb` is split between the worker's JS heap and Postgres' heap plus files. */
export interface MemoryShares {
  /** V8's old generation in the worker (PGlite's JS, parsed results). */
  jsHeapMb: number;
  /** V8's young generation in the worker. */
  youngMb: number;
  /** Postgres' heap and its files together. */
  dataMb: number;
  /**
   * shared_buffers: 32 MB whatever the bound. Emscripten zero-fills Postgres' shared memory when it is
   * mapped, so the whole pool is resident from the start, used or not: at Postgres' default 128 MB it was
   * a quarter of a CLI review's peak. The planner does not read it (its cache estimate is
   * effective_cache_size, left at the default), and the settings it would otherwise change are fixed
   * beside it in the worker (wal_buffers, synchronize_seqscans).
   */
  sharedBuffersMb: number;
}

/**
 * What a ready sandbox holds that no counter sees (its thread and isolate, PGlite's code and start-up
 * copies of its data directory): measured at 100-130 MB of RSS beyond the counted heap and files.
 */
const WORKER_OVERHEAD_MB = 96;

const SHARED_BUFFERS_MB = 32;

export function memoryShares(memoryMb: number): MemoryShares {
  const jsHeapMb = Math.min(256, Math.max(48, Math.floor(memoryMb / 16)));
  const youngMb = 8;
  return {
    jsHeapMb,
    youngMb,
    dataMb: memoryMb - jsHeapMb - youngMb - WORKER_OVERHEAD_MB,
    sharedBuffersMb: SHARED_BUFFERS_MB,
  };
}

/** Slots of the shared counters, in bytes. */
const USED = 0;
const PEAK = 1;
const REFUSED = 2;
export const MEMORY_COUNTER_SLOTS = 3;

/** The main thread's view of a sandbox's counters (a SharedArrayBuffer the worker writes). */
export class MemoryCounters {
  private readonly slots: BigInt64Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.slots = new BigInt64Array(buffer);
  }

  static create(): MemoryCounters {
    return new MemoryCounters(new SharedArrayBuffer(MEMORY_COUNTER_SLOTS * 8));
  }

  /** Postgres' heap plus its files now, in bytes. */
  get usedBytes(): number {
    return Number(Atomics.load(this.slots, USED));
  }

  /** The most they reached since the sandbox started (or since resetPeak). */
  get peakBytes(): number {
    return Number(Atomics.load(this.slots, PEAK));
  }

  /** How many allocations the bound refused since the counter was last read by takeRefusals. */
  takeRefusals(): number {
    return Number(Atomics.exchange(this.slots, REFUSED, 0n));
  }

  resetPeak(): void {
    Atomics.store(this.slots, PEAK, Atomics.load(this.slots, USED));
  }

  set(used: number): void {
    Atomics.store(this.slots, USED, BigInt(used));
    if (BigInt(used) > Atomics.load(this.slots, PEAK)) Atomics.store(this.slots, PEAK, BigInt(used));
  }

  refused(): void {
    Atomics.add(this.slots, REFUSED, 1n);
  }
}

type InstantiateWasm = (imports: object, done: (instance: { exports: object }, module: WebAssembly.Module) => void) => object;

interface MemfsNode {
  contents?: unknown;
  mode: number;
}

interface Memfs {
  ops_table: {
    dir: { node: { unlink(parent: MemfsNode & { contents: Record<string, MemfsNode> }, name: string): void; rename(node: MemfsNode, dir: MemfsNode, name: string): void } };
    file: { stream: { write(stream: { node: MemfsNode & { usedBytes: number } }, buffer: Uint8Array, offset: number, length: number, position: number, canOwn?: boolean): number } };
  };
  expandFileStorage(node: MemfsNode & { usedBytes: number }, capacity: number): void;
  resizeFileStorage(node: MemfsNode & { usedBytes: number }, size: number): void;
}

interface EmscriptenModule {
  MEMFS?: Memfs;
  FS: { ErrnoError: new (errno: number) => Error; isFile(mode: number): boolean };
}

/** Bytes a MEMFS file holds (its capacity, not its length: that is what is allocated). */
function held(node: MemfsNode | undefined): number {
  const contents = node?.contents as { byteLength?: number; length?: number } | undefined;
  if (!contents || typeof contents !== 'object') return 0;
  return contents.byteLength ?? contents.length ?? 0;
}

/**
 * One PGlite instance's memory bound: pass `extension` to PGlite last among its extensions. A new one
 * per instance (restore starts a new instance with a new heap).
 */
export class MemoryBound {
  private fileBytes = 0;
  /** Arrays the worker holds for Postgres outside its heap and files: a dump's archive until it is sent. */
  private heldBytes = 0;
  /** Bytes of file arrays replaced since the last collection: still held until it runs. */
  private garbageBytes = 0;
  private readonly memory: WebAssembly.Memory;
  /** Where the instance's sbrk keeps its break (memory-bound.ts reusableHeap). */
  private sbrkAddress: number | undefined;
  readonly extension: Extension;

  /**
   * `heap`: the heap of this worker's previous instance, zeroed (reusableHeap), instead of a new one.
   */
  constructor(
    private readonly budgetBytes: number,
    private readonly counters: MemoryCounters,
    heap?: WebAssembly.Memory,
  ) {
    const maximum = Math.max(INITIAL_PAGES, Math.min(MAX_PAGES, Math.floor(budgetBytes / WASM_PAGE)));
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: (new (d: { initial: number; maximum: number }) => WebAssembly.Memory) & { prototype: WebAssembly.Memory } } }).WebAssembly;
    this.memory = heap ?? new wasm.Memory({ initial: INITIAL_PAGES, maximum });
    const memory = this.memory;
    // The prototype's grow, not the object's: a reused heap still has its previous bound's.
    const grow = (pages: number): number => wasm.Memory.prototype.grow.call(memory, pages);
    // Emscripten grows its heap through this object's grow(); a failure makes malloc return NULL.
    Object.defineProperty(this.memory, 'grow', {
      configurable: true,
      value: (pages: number): number => {
        if (this.heapBytes + pages * WASM_PAGE + this.fileBytes + this.heldBytes > this.budgetBytes) {
          this.counters.refused();
          throw new RangeError('the sandbox memory bound refused to grow the heap');
        }
        const previous = grow(pages);
        this.publish();
        return previous;
      },
    });
    this.extension = {
      name: 'pgpro-memory-bound',
      setup: async (_pg, emscriptenOpts: Record<string, unknown>) => {
        const preRun = emscriptenOpts.preRun;
        const list = Array.isArray(preRun) ? preRun : typeof preRun === 'function' ? [preRun] : [];
        // Where sbrk keeps the break: a static address, asked of the instance once it is made.
        const instantiate = emscriptenOpts.instantiateWasm as InstantiateWasm | undefined;
        const instantiateWasm: InstantiateWasm | undefined = instantiate
          ? (imports, done) =>
              instantiate(imports, (instance, module) => {
                const at = (instance.exports as { emscripten_get_sbrk_ptr?: () => number }).emscripten_get_sbrk_ptr;
                this.sbrkAddress = typeof at === 'function' ? at() : undefined;
                done(instance, module);
              })
          : undefined;
        return {
          emscriptenOpts: {
            ...emscriptenOpts,
            ...(instantiateWasm ? { instantiateWasm } : {}),
            wasmMemory: this.memory,
            preRun: [...list, (mod: EmscriptenModule) => this.watchFiles(mod)],
          },
        };
      },
    };
    this.publish();
  }

  /**
   * This heap for the worker's next instance, once this one is closed: zeroed as a new one is, or
   * undefined when it cannot be told to be (then the next instance makes its own). A new heap's pages
   * are all first touches, and a first touch is what costs (on this machine ~5 ms per MB): Postgres'
   * start alone touches ~50 MB of it (its shared memory is zero-filled), which a reused heap has touched
   * already. Only the bytes below the break (`sbrkAddress` holds it: sbrk's pointer, which the static
   * data, the stack and every allocation lie below) can have been written; they are zeroed, the rest
   * never left zero. A heap that grew is not reused: the next instance starts at a new heap's size.
   * Call only once this bound's instance is closed, and not after it trapped.
   */
  reusableHeap(): WebAssembly.Memory | undefined {
    const sbrkAddress = this.sbrkAddress;
    const bytes = this.memory.buffer.byteLength;
    if (sbrkAddress === undefined || bytes !== INITIAL_PAGES * WASM_PAGE || !Number.isInteger(sbrkAddress) || sbrkAddress <= 0 || sbrkAddress % 4 !== 0 || sbrkAddress + 4 > bytes) return undefined;
    const brk = new Uint32Array(this.memory.buffer, sbrkAddress, 1)[0]!;
    if (brk <= sbrkAddress || brk > bytes) return undefined;
    new Uint8Array(this.memory.buffer, 0, brk).fill(0);
    return this.memory;
  }

  private get heapBytes(): number {
    return this.memory.buffer.byteLength;
  }

  get usedBytes(): number {
    return this.heapBytes + this.fileBytes + this.heldBytes + this.garbageBytes;
  }

  /**
   * Counts `bytes` the worker is about to hold outside Postgres (a dump's archive) until the returned
   * release is called. Past the budget it throws MemoryHoldRefused: only that request fails, the
   * sandbox itself is within its bound and goes on.
   */
  hold(bytes: number): () => void {
    if (this.usedBytes + bytes > this.budgetBytes && this.garbageBytes > 0) this.collect();
    if (this.usedBytes + bytes > this.budgetBytes) throw new MemoryHoldRefused(bytes, this.usedBytes, this.budgetBytes);
    this.heldBytes += bytes;
    this.publish();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.heldBytes -= bytes;
      this.publish();
    };
  }

  /** Collects the old file arrays (and start-up garbage) now. */
  collect(): void {
    collectGarbage();
    this.garbageBytes = 0;
    this.publish();
  }

  private publish(): void {
    this.counters.set(this.usedBytes);
  }

  /** Counts every byte MEMFS allocates for a file and refuses growth past the budget. */
  private watchFiles(mod: EmscriptenModule): void {
    const memfs = mod.MEMFS;
    if (!memfs?.ops_table?.file?.stream?.write || !memfs.expandFileStorage || !memfs.resizeFileStorage) {
      throw new Error('this PGlite build does not expose MEMFS as pgpro expects; the sandbox memory bound cannot count files');
    }
    const refuse = (): never => {
      this.counters.refused();
      throw new mod.FS.ErrnoError(ENOSPC);
    };
    // While a file grows, its old and new arrays both live until the copy is done, and the old one
    // until it is collected: count both, and collect before refusing.
    const admit = (extra: number): void => {
      if (extra <= 0 || this.usedBytes + extra <= this.budgetBytes) return;
      if (this.garbageBytes > 0) this.collect();
      if (this.usedBytes + extra > this.budgetBytes) refuse();
    };
    const replaced = (bytes: number): void => {
      this.garbageBytes += bytes;
      if (this.garbageBytes > GARBAGE_COLLECT_BYTES) this.collect();
    };
    // A write may expand the file: only the outermost call counts the change, once.
    let depth = 0;
    const counted = <T>(node: MemfsNode | undefined, run: () => T): T => {
      if (depth > 0) return run();
      const before = held(node);
      depth++;
      try {
        return run();
      } finally {
        depth--;
        this.fileBytes += held(node) - before;
        this.publish();
      }
    };

    const expand = memfs.expandFileStorage.bind(memfs);
    memfs.expandFileStorage = (node, capacity) => {
      const previous = held(node);
      if (previous >= capacity) return;
      admit(Math.max(capacity, Math.floor(previous * (previous < MB ? 2 : 1.125))));
      counted(node, () => expand(node, capacity));
      replaced(previous);
    };
    const resize = memfs.resizeFileStorage.bind(memfs);
    memfs.resizeFileStorage = (node, size) => {
      const previous = held(node);
      admit(size > previous ? size : 0);
      counted(node, () => resize(node, size));
      replaced(previous);
    };
    const stream = memfs.ops_table.file.stream;
    const write = stream.write.bind(stream);
    stream.write = (s, buffer, offset, length, position, canOwn) => {
      // A first write to an empty file takes a copy of the data (or the buffer itself) as its contents.
      if (!s.node.usedBytes && !position) admit(length);
      return counted(s.node, () => write(s, buffer, offset, length, position, canOwn));
    };
    const dirOps = memfs.ops_table.dir.node;
    const unlink = dirOps.unlink.bind(dirOps);
    dirOps.unlink = (parent, name) => {
      const node = parent.contents[name];
      unlink(parent, name);
      if (node && mod.FS.isFile(node.mode)) {
        const bytes = held(node);
        this.fileBytes -= bytes;
        replaced(bytes);
        this.publish();
      }
    };
    const rename = dirOps.rename.bind(dirOps);
    dirOps.rename = (node, dir, name) => {
      const target = (dir.contents as Record<string, MemfsNode> | undefined)?.[name];
      rename(node, dir, name);
      if (target && target !== node && mod.FS.isFile(target.mode)) {
        const bytes = held(target);
        this.fileBytes -= bytes;
        replaced(bytes);
        this.publish();
      }
    };
  }
}

/** A hold the budget cannot take (memory-bound.ts MemoryBound.hold). */
export class MemoryHoldRefused extends Error {
  override name = 'MemoryHoldRefused';
  constructor(bytes: number, used: number, budget: number) {
    super(
      `the snapshot's archive needs ${bytesToMb(bytes)} MB, and the sandbox holds ${bytesToMb(used)} MB of the ${bytesToMb(budget)} MB its memory bound leaves for Postgres (sandbox.memory-mb); the snapshot was not taken`,
    );
  }
}

export function bytesToMb(bytes: number): number {
  return Math.round(bytes / MB);
}
