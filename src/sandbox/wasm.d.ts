// @types/node 20 does not declare the WebAssembly namespace; the sandbox passes a compiled module
// between threads and gives Postgres a heap of its own, so these few members are enough (they merge
// with lib.dom's where that is loaded).
declare namespace WebAssembly {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Module {}
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
}
