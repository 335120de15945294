// @types/node 20 does not declare the WebAssembly namespace; the sandbox only passes a compiled module
// between threads, so an opaque type is enough (it merges with lib.dom's where that is loaded).
declare namespace WebAssembly {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Module {}
}
