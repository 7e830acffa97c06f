/**
 * The bag-of-words model's weighted sum of embedding rows in WebAssembly SIMD
 * (rowSums.wat), over a table that lives in a shared `WebAssembly.Memory` so
 * that every worker thread reads one copy. The sums are float64 and add the
 * rows in the order given, bit for bit what the scalar JavaScript loop in
 * bagOfWords.ts computes; that loop stays as the path where WebAssembly SIMD or
 * shared memory is missing, and as the reference in the tests.
 */
import { ROW_SUMS_WASM } from './rowSumsWasm.js';

/**
 * The part of the WebAssembly JS API used here. Node.js has it, but neither lib ES2022 nor
 * @types/node 20 declares it, and the DOM lib does not belong in the engine.
 */
export interface TableMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface CompiledModule {
  readonly compiled: unique symbol;
}
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => TableMemory;
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => { readonly exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
const wasm = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

const PAGE_BYTES = 65536;
/**
 * Pages the table's memory may grow by for scratch areas: each model instance
 * (one per thread that embeds) takes one for a 256-dimension model; 256 pages
 * is far more instances than a process has threads.
 */
const SCRATCH_RESERVE_PAGES = 256;
/** Rows handed to the kernel per call; longer inputs are summed in blocks, in order. */
export const ROWS_PER_CALL = 512;

let compiled: CompiledModule | null | undefined;

/** The compiled kernel, or null where this runtime lacks WebAssembly SIMD or threads. */
function kernelModule(): CompiledModule | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(ROW_SUMS_WASM, 'base64');
    try {
      compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * A shared memory whose first `floats` float32 values are the table, with room
 * to grow a scratch area per thread; null where the kernel cannot run (the
 * table then goes in a plain SharedArrayBuffer).
 */
export function tableMemory(floats: number): TableMemory | null {
  if (!wasm || !kernelModule()) return null;
  const pages = Math.max(1, Math.ceil((floats * Float32Array.BYTES_PER_ELEMENT) / PAGE_BYTES));
  try {
    return new wasm.Memory({ initial: pages, maximum: pages + SCRATCH_RESERVE_PAGES, shared: true });
  } catch {
    return null;
  }
}

/**
 * One thread's use of the kernel: its own scratch (row offsets, weights and the
 * float64 sums) grown at the end of the shared memory. Not shared between threads.
 */
export class WeightedRowSums {
  /** Each row's first element index in the table, for the next `add`. */
  readonly rows: Int32Array;
  readonly weights: Float64Array;
  /** The running sums; `clear` zeroes them. */
  readonly sums: Float64Array;
  private readonly add_: (rows: number, weights: number, count: number, dimension: number, out: number) => void;
  private readonly rowsAt: number;
  private readonly weightsAt: number;
  private readonly sumsAt: number;

  private constructor(memory: TableMemory, module: CompiledModule, base: number, private readonly dimension: number) {
    const rowsAt = base;
    const weightsAt = rowsAt + ROWS_PER_CALL * Int32Array.BYTES_PER_ELEMENT;
    const sumsAt = weightsAt + ROWS_PER_CALL * Float64Array.BYTES_PER_ELEMENT;
    const instance = new wasm!.Instance(module, { env: { memory } });
    this.add_ = instance.exports['addWeightedRows'] as WeightedRowSums['add_'];
    // Views made after this thread's grow: another thread's later grow does not move them.
    this.rows = new Int32Array(memory.buffer, rowsAt, ROWS_PER_CALL);
    this.weights = new Float64Array(memory.buffer, weightsAt, ROWS_PER_CALL);
    this.sums = new Float64Array(memory.buffer, sumsAt, dimension);
    this.rowsAt = rowsAt;
    this.weightsAt = weightsAt;
    this.sumsAt = sumsAt;
  }

  /** A scratch area in `memory` for a table of `dimension`-wide rows, or null (no kernel, odd width, memory full). */
  static create(memory: TableMemory | null, dimension: number): WeightedRowSums | null {
    const module = kernelModule();
    if (!memory || !module || dimension % 4 !== 0 || dimension <= 0) return null;
    const bytes = ROWS_PER_CALL * (Int32Array.BYTES_PER_ELEMENT + Float64Array.BYTES_PER_ELEMENT) + dimension * Float64Array.BYTES_PER_ELEMENT;
    let firstPage: number;
    try {
      // Atomic on shared memory: the returned page count is this thread's alone.
      firstPage = memory.grow(Math.ceil(bytes / PAGE_BYTES));
    } catch {
      return null;
    }
    return new WeightedRowSums(memory, module, firstPage * PAGE_BYTES, dimension);
  }

  clear(): void {
    this.sums.fill(0);
  }

  /** sums[d] += Σ table[rows[i] + d] · weights[i] over the first `count` entries, in order. */
  add(count: number): void {
    this.add_(this.rowsAt, this.weightsAt, count, this.dimension, this.sumsAt);
  }
}
