// Ambient types for the slice of the WebAssembly JS API the wasm kernels use (tsconfig's lib has no DOM).
//
// NOTE: the project compiles with `lib: ["ES2022"]` and `types: ["node"]`, and @types/node 20 does not declare
// the `WebAssembly` global, although Node provides it. These declarations cover only what src/kernels/wasm
// calls. If the DOM lib is ever added to tsconfig, delete this file (the declarations would clash).

declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    /** Grows by `delta` 64 KiB pages; returns the previous size in pages. */
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: BufferSource);
  }
  type ExportValue = ((...args: number[]) => number | void) | Memory;
  type Exports = Record<string, ExportValue>;
  type Imports = Record<string, Record<string, Memory | ((...args: number[]) => number | void)>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  function validate(bytes: BufferSource): boolean;
  class CompileError extends Error {}
  class RuntimeError extends Error {}
  class LinkError extends Error {}
}

type BufferSource = ArrayBufferView | ArrayBuffer;
