/**
 * The bag-of-words model's arithmetic in WebAssembly (bagOfWordsKernel.wat):
 * summing each distinct token's weight, then the weighted sum of their
 * embedding rows with SIMD, over a table that lives in a shared
 * `WebAssembly.Memory` so that every worker thread reads one copy. Every
 * operation is the script path's in bagOfWords.ts, in the same order, so the
 * vectors are the same bit for bit; that path stays for runtimes without
 * WebAssembly SIMD or shared memory, and as the reference in the tests.
 */
import { BAG_OF_WORDS_WASM } from './bagOfWordsKernelWasm.js';

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
 * Pages the table's memory may grow by for scratch areas: each thread that embeds takes six
 * for the default model (its per-id scratch is 9 bytes an id) and keeps them, since a shared
 * memory cannot shrink. 1,024 pages (64 MB of address space, only touched pages take memory)
 * serve some 170 threads over a process's life (pools replaced, crashed workers respawned);
 * past that, threads embed through the script path, with the same vectors.
 */
const SCRATCH_RESERVE_PAGES = 1024;
/** Tokens one call takes; a longer input (a model without a position table) takes the script path. */
const TOKENS_PER_CALL = 4096;

let compiled: CompiledModule | null | undefined;

/** The compiled kernel, or null where this runtime lacks WebAssembly SIMD or threads. */
function kernelModule(): CompiledModule | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(BAG_OF_WORDS_WASM, 'base64');
    try {
      compiled = wasm?.validate(bytes) ? new wasm.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * A shared memory for `bytes` of model tables (the embedding rows first), with room to grow a
 * scratch area per thread; null where the kernel cannot run (the tables then go in a plain
 * SharedArrayBuffer).
 */
export function tableMemory(bytes: number): TableMemory | null {
  if (!wasm || !kernelModule()) return null;
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  try {
    return new wasm.Memory({ initial: pages, maximum: pages + SCRATCH_RESERVE_PAGES, shared: true });
  } catch {
    return null;
  }
}

/** Where the model's tables sit in the shared memory, and their shapes. */
export interface KernelTables {
  readonly memory: TableMemory;
  readonly vocab: number;
  readonly dimension: number;
  /** Byte offsets of the float32 token weights and position weights (0: no position table). */
  readonly tokenWeightsAt: number;
  readonly positionWeightsAt: number;
}

/** This thread's kernel per table memory (module state is per thread). */
const THREAD_KERNELS = new WeakMap<TableMemory, BagOfWordsKernel | null>();

type Gather = (ids: number, count: number, tokenWeights: number, positionWeights: number, vocab: number, dimension: number, idWeight: number, idSeen: number, distinct: number, rows: number, weights: number, totals: number) => number;
type AddRows = (rows: number, weights: number, count: number, dimension: number, out: number) => void;
type FinishVector = (sums: number, dimension: number, denominator: number, epsilon: number, keep: number, renormalize: number, out: number) => void;

/** What `gather` found: the rows to sum, the distinct ids (for lazy widening), the total weight. */
export interface Gathered {
  readonly rows: number;
  readonly distinct: number;
  readonly total: number;
}

/**
 * One thread's use of the kernel: its own scratch (the input ids, per-id sums, rows, weights and
 * the float64 sums) grown at the end of the shared memory. Not shared between threads.
 */
export class BagOfWordsKernel {
  /** The input's token ids, written by the caller before `gather`. */
  readonly ids: Int32Array;
  /** The distinct ids `gather` found, in first-seen order. */
  readonly distinct: Int32Array;
  /** The float64 sums `sumRows` leaves. */
  readonly sums: Float64Array;
  /** The float32 vector `finish` leaves. */
  readonly vector: Float32Array;
  readonly capacity = TOKENS_PER_CALL;
  private readonly gather_: Gather;
  private readonly addRows: AddRows;
  private readonly finishVector: FinishVector;
  private readonly totals: { readonly total: Float64Array; readonly distinct: Int32Array };
  private readonly at: { ids: number; distinct: number; rows: number; weights: number; sums: number; totals: number; idWeight: number; idSeen: number; vector: number };

  private constructor(
    private readonly tables: KernelTables,
    module: CompiledModule,
    base: number,
  ) {
    const { memory, vocab, dimension } = tables;
    const capacity = TOKENS_PER_CALL;
    // float64 areas first (8-byte aligned), then 4-byte values, then bytes.
    const weights = base;
    const sums = weights + capacity * 8;
    const idWeight = sums + dimension * 8;
    const totals = idWeight + vocab * 8;
    const ids = totals + 16;
    const distinct = ids + capacity * 4;
    const rows = distinct + capacity * 4;
    const vector = rows + capacity * 4;
    const idSeen = vector + dimension * 4;
    this.at = { ids, distinct, rows, weights, sums, totals, idWeight, idSeen, vector };
    const instance = new wasm!.Instance(module, { env: { memory } });
    this.gather_ = instance.exports['gatherRowWeights'] as Gather;
    this.addRows = instance.exports['addWeightedRows'] as AddRows;
    this.finishVector = instance.exports['finishVector'] as FinishVector;
    // Views made after this thread's grow: another thread's later grow does not move them.
    this.ids = new Int32Array(memory.buffer, ids, capacity);
    this.distinct = new Int32Array(memory.buffer, distinct, capacity);
    this.sums = new Float64Array(memory.buffer, sums, dimension);
    this.vector = new Float32Array(memory.buffer, vector, dimension);
    this.totals = { total: new Float64Array(memory.buffer, totals, 1), distinct: new Int32Array(memory.buffer, totals + 8, 1) };
  }

  /** Bytes of scratch one thread needs for these tables. */
  private static scratchBytes(tables: KernelTables): number {
    return TOKENS_PER_CALL * (8 + 4 + 4 + 4) + tables.dimension * (8 + 4) + tables.vocab * (8 + 1) + 16;
  }

  /**
   * This thread's scratch area for these tables, made on its first use and shared by every model
   * instance of the thread (a text is embedded in one synchronous call, so they never interleave);
   * null where the kernel cannot run (no WebAssembly SIMD, a width that is not a multiple of 4,
   * the memory's reserve used up).
   */
  static forThread(tables: KernelTables | null): BagOfWordsKernel | null {
    const module = kernelModule();
    if (!tables || !module || tables.dimension % 4 !== 0 || tables.dimension <= 0) return null;
    const known = THREAD_KERNELS.get(tables.memory);
    if (known !== undefined) return known;
    let kernel: BagOfWordsKernel | null;
    try {
      // Atomic on shared memory: the returned page count is this thread's alone.
      const firstPage = tables.memory.grow(Math.ceil(BagOfWordsKernel.scratchBytes(tables) / PAGE_BYTES));
      kernel = new BagOfWordsKernel(tables, module, firstPage * PAGE_BYTES);
    } catch {
      kernel = null;
    }
    THREAD_KERNELS.set(tables.memory, kernel);
    return kernel;
  }

  /**
   * Sums the weights of the first `count` ids (`ids`), per distinct id and in all. Returns the
   * rows to sum, or a negative number, -1 - the position of an id outside the vocabulary.
   */
  gather(count: number): Gathered | number {
    const { at, tables } = this;
    const rows = this.gather_(at.ids, count, tables.tokenWeightsAt, tables.positionWeightsAt, tables.vocab, tables.dimension, at.idWeight, at.idSeen, at.distinct, at.rows, at.weights, at.totals);
    if (rows < 0) return rows;
    return { rows, distinct: this.totals.distinct[0]!, total: this.totals.total[0]! };
  }

  /** `sums[d] = Σ table[row_i + d] · weight_i` over the rows the last `gather` wrote, in order. */
  sumRows(rows: number): void {
    this.sums.fill(0);
    this.addRows(this.at.rows, this.at.weights, rows, this.tables.dimension, this.at.sums);
  }

  /**
   * From the last `sumRows`: the mean row over `denominator`, divided by its L2 norm plus
   * `epsilon` (the graph's output), then, with `renormalize`, its first `keep` values divided by
   * their own length (the embedder's finish), left in `vector`.
   */
  finish(denominator: number, epsilon: number, keep: number, renormalize: boolean): Float32Array {
    this.finishVector(this.at.sums, this.tables.dimension, denominator, epsilon, keep, renormalize ? 1 : 0, this.at.vector);
    return this.vector;
  }
}
