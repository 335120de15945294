// PGlite's WASM module, compiled once per process: a compiled module is shared with every sandbox
// worker without compiling it again.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let compiledWasm: Promise<WebAssembly.Module> | undefined;

/** pglite.wasm, compiled (the first call starts it; later ones share it). */
export function pgliteWasmModule(): Promise<WebAssembly.Module> {
  compiledWasm ??= (async () => {
    const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
    // @types/node declares WebAssembly's types but not its value.
    const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;
    return wasm.compile(await readFile(join(dirname(entry), 'pglite.wasm')));
  })().catch((error: unknown) => {
    compiledWasm = undefined;
    throw error;
  });
  return compiledWasm;
}
