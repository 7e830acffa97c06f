import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Piscina } from 'piscina';
import { InferenceError, reviveError } from '../errors.js';
import { fileContentHash } from '../hashing/hash.js';
import type { AnalyzedFile, AnalyzeFileInput, AnalyzeResult, AnalyzeTask, EmbedResult, EmbedTask, WarmUpResult, WarmUpTask, WorkerConfig, WorkerResult } from './protocol.js';
import { backoffDelay, CircuitBreaker, DEFAULT_RETRY, seededRandom, sleep, type RetryPolicy } from './resilience.js';

export interface PoolOptions {
  /** Worker threads; default one per core (the main thread mostly waits on them and on SQLite). */
  readonly size?: number;
  /** Compiled worker entry; defaults to the `worker.js` beside this module. */
  readonly workerFile?: string;
  /** Per-worker heap cap in MB, so a pathological file kills a worker, not the host. */
  readonly maxHeapMb?: number;
  /**
   * Retries of a task whose worker died, or whose inference failed. A file
   * that kills its worker `maxAttempts` times in a row is quarantined.
   */
  readonly retry?: Partial<RetryPolicy>;
  /** Consecutive failed inference attempts after which embedding fails fast; default `retry.maxAttempts`, so one call that exhausts its retries opens it. */
  readonly inferenceBreakerThreshold?: number;
  readonly onEvent?: (event: PoolEvent) => void;
}

/** What the pool's recovery did, for logs and tests. */
export type PoolEvent =
  | { readonly kind: 'worker-crash'; readonly task: 'analyze' | 'embed'; readonly inputs: number; readonly error: string }
  | { readonly kind: 'retry'; readonly task: 'analyze' | 'embed'; readonly key: string; readonly attempt: number; readonly delayMs: number; readonly error: string }
  | { readonly kind: 'quarantine'; readonly path: string; readonly attempts: number; readonly error: string }
  | { readonly kind: 'inference-circuit-open'; readonly failures: number; readonly error: string };

/** One worker per core: the coordinator's own work (writes, lookups) overlaps theirs. The extension keeps a core for the editor through its own setting. */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}

const INFERENCE_KEY = 'inference';

/**
 * The engine's worker threads. Analysis and embedding run here; the caller
 * (the main thread) only coordinates and writes to SQLite.
 *
 * A worker that dies (exit, uncaught throw, heap limit) is replaced by piscina;
 * its task is retried here with exponential backoff. A multi-file task that
 * killed its worker is split so the culprit is found, and a file that keeps
 * killing workers opens its circuit and comes back `skipped: quarantined`
 * instead of failing the run. Inference failures share one breaker: once it
 * opens, `embed` fails fast and `inferenceCircuitOpen` tells the engine to degrade.
 */
export class WorkerPool {
  readonly #pool: Piscina;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #files: CircuitBreaker;
  readonly #inference: CircuitBreaker;
  readonly #onEvent: (event: PoolEvent) => void;
  readonly size: number;

  constructor(config: WorkerConfig, options: PoolOptions = {}) {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Pool size must be a positive integer; got ${size}`);
    this.size = size;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(this.#retry.maxAttempts) || this.#retry.maxAttempts < 1) throw new RangeError(`retry.maxAttempts must be a positive integer; got ${this.#retry.maxAttempts}`);
    this.#random = seededRandom(this.#retry.seed);
    this.#files = new CircuitBreaker(this.#retry.maxAttempts);
    this.#inference = new CircuitBreaker(options.inferenceBreakerThreshold ?? this.#retry.maxAttempts);
    this.#onEvent = options.onEvent ?? (() => undefined);
    // piscina loads on the first pool: a process that only searches never starts one.
    const { Piscina } = require('piscina') as typeof import('piscina');
    this.#pool = new Piscina({
      filename: options.workerFile ?? join(__dirname, 'worker.js'),
      minThreads: size,
      maxThreads: size,
      idleTimeout: 60_000,
      workerData: config,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 2048 },
    });
  }

  async analyze(task: Omit<AnalyzeTask, 'kind'>): Promise<AnalyzeResult> {
    if (task.files.length === 1) return { kind: 'analyze', files: [await this.#analyzeAlone(task, task.files[0]!)] };
    let result: WorkerResult;
    try {
      result = await this.#pool.run({ kind: 'analyze', ...task } satisfies AnalyzeTask);
    } catch (crash) {
      // One of these files killed the worker: running each alone finds which, and the others still get indexed.
      this.#onEvent({ kind: 'worker-crash', task: 'analyze', inputs: task.files.length, error: describe(crash) });
      return { kind: 'analyze', files: await Promise.all(task.files.map((file) => this.#analyzeAlone(task, file))) };
    }
    return expect(result, 'analyze');
  }

  async #analyzeAlone(task: Omit<AnalyzeTask, 'kind'>, file: AnalyzeFileInput): Promise<AnalyzedFile> {
    const key = file.absolutePath;
    if (this.#files.failures(key) > 0) {
      // Already open for this content: answer without handing the file to another worker.
      const contentHash = await fingerprint(file.absolutePath);
      if (this.#files.isOpen(key, contentHash)) return quarantined(file.path, this.#files.failures(key), this.#files.lastError(key) ?? 'crashed', contentHash);
    }
    for (let attempt = 1; ; attempt++) {
      let result: WorkerResult;
      try {
        result = await this.#pool.run({ kind: 'analyze', files: [file], chunking: task.chunking } satisfies AnalyzeTask);
      } catch (crash) {
        const error = describe(crash);
        const contentHash = await fingerprint(file.absolutePath);
        this.#onEvent({ kind: 'worker-crash', task: 'analyze', inputs: 1, error });
        if (this.#files.recordFailure(key, error, contentHash) || attempt >= this.#retry.maxAttempts) {
          this.#onEvent({ kind: 'quarantine', path: file.path, attempts: attempt, error });
          return quarantined(file.path, attempt, error, contentHash);
        }
        const delayMs = backoffDelay(this.#retry, attempt, this.#random);
        this.#onEvent({ kind: 'retry', task: 'analyze', key: file.path, attempt: attempt + 1, delayMs, error });
        await sleep(delayMs);
        continue;
      }
      this.#files.recordSuccess(key);
      return expect(result, 'analyze').files[0]!;
    }
  }

  async embed(texts: readonly string[], languages?: readonly (string | null)[]): Promise<EmbedResult> {
    return this.#embed({ kind: 'embed', texts, languages });
  }

  /** Float32 vectors with truncation flags, for the library API (`CodeGraph.embedBatch`); same retries and breaker as `embed`. */
  async embedVectors(texts: readonly string[], languages: readonly (string | null)[], role: 'query' | 'document'): Promise<EmbedResult & { vectors: Float32Array[]; truncated: boolean[] }> {
    const result = await this.#embed({ kind: 'embed', texts, languages, role, output: 'float32' });
    if (!result.vectors || !result.truncated) throw new Error('Worker answered an embed task without float32 vectors');
    return result as EmbedResult & { vectors: Float32Array[]; truncated: boolean[] };
  }

  async #embed(task: EmbedTask): Promise<EmbedResult> {
    const texts = task.texts;
    if (this.#inference.isOpen(INFERENCE_KEY)) throw this.#circuitOpenError();
    for (let attempt = 1; ; attempt++) {
      let result: WorkerResult | null = null;
      let error = '';
      try {
        result = await this.#pool.run(task);
      } catch (crash) {
        error = describe(crash);
        this.#onEvent({ kind: 'worker-crash', task: 'embed', inputs: texts.length, error });
      }
      if (result) {
        if (result.kind !== 'error') {
          this.#inference.recordSuccess(INFERENCE_KEY);
          return expect(result, 'embed');
        }
        // Only inference failures are worth another try; a missing model or a bad text would fail the same way.
        if (result.error.code !== 'INFERENCE') throw reviveError(result.error);
        error = result.error.message;
      }
      if (this.#inference.recordFailure(INFERENCE_KEY, error)) {
        // Concurrent calls keep failing after it opened; report the opening once.
        const failures = this.#inference.failures(INFERENCE_KEY);
        if (failures === this.#inference.threshold) this.#onEvent({ kind: 'inference-circuit-open', failures, error });
        throw this.#circuitOpenError();
      }
      if (attempt >= this.#retry.maxAttempts) throw new InferenceError(`Embedding failed after ${attempt} attempts: ${error}`, { attempts: attempt, texts: texts.length });
      const delayMs = backoffDelay(this.#retry, attempt, this.#random);
      this.#onEvent({ kind: 'retry', task: 'embed', key: INFERENCE_KEY, attempt: attempt + 1, delayMs, error });
      await sleep(delayMs);
    }
  }

  /**
   * Has every worker load the grammars of `languages` and the model (`CodeGraph.warmUp`): what the
   * first analysis and embedding on each worker would otherwise wait for.
   */
  async warmUp(languages: readonly string[]): Promise<WarmUpResult[]> {
    // One task per worker: each is busy loading until it answers, so piscina hands the next to another.
    const results = await Promise.all(Array.from({ length: this.size }, () => this.#pool.run({ kind: 'warm-up', languages } satisfies WarmUpTask) as Promise<WorkerResult>));
    return results.map((result) => expect(result, 'warm-up'));
  }

  /** True once inference failed often enough in a row that the engine should fall back to another model. */
  get inferenceCircuitOpen(): boolean {
    return this.#inference.isOpen(INFERENCE_KEY);
  }

  /** The last inference failure, while failures are counting. */
  get lastInferenceError(): string | null {
    return this.#inference.lastError(INFERENCE_KEY);
  }

  get queued(): number {
    return this.#pool.queueSize;
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true });
  }

  #circuitOpenError(): InferenceError {
    const failures = this.#inference.failures(INFERENCE_KEY);
    return new InferenceError(`Inference failed ${failures} times in a row; the circuit is open: ${this.#inference.lastError(INFERENCE_KEY)}`, { circuit: 'open', failures });
  }
}

function quarantined(path: string, crashes: number, error: string, contentHash: string): AnalyzedFile {
  const detail = `worker crashed ${crashes} times on this file (${error}); it is retried when its content changes`;
  return { status: 'skipped', path, reason: 'quarantined', detail, ...(contentHash ? { contentHash } : {}) };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The file's content hash, so a quarantine ends when the file changes; empty when it cannot be read. */
async function fingerprint(path: string): Promise<string> {
  try {
    return fileContentHash(await readFile(path));
  } catch {
    return '';
  }
}

function expect<K extends WorkerResult['kind']>(result: WorkerResult, kind: K): Extract<WorkerResult, { kind: K }> {
  if (result.kind === 'error') throw reviveError(result.error);
  if (result.kind !== kind) throw new Error(`Worker answered '${result.kind}' to a '${kind}' task`);
  return result as Extract<WorkerResult, { kind: K }>;
}
