import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { reviveError } from '../errors.js';
import type { AnalyzeResult, AnalyzeTask, EmbedResult, EmbedTask, WorkerConfig, WorkerResult } from './protocol.js';

export interface PoolOptions {
  /** Worker threads; default cores − 1, at least 1. */
  readonly size?: number;
  /** Compiled worker entry; defaults to the `worker.js` beside this module. */
  readonly workerFile?: string;
  /** Per-worker heap cap in MB, so a pathological file kills a worker, not the host. */
  readonly maxHeapMb?: number;
}

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * The engine's worker threads. Analysis and embedding run here; the caller
 * (the main thread) only coordinates and writes to SQLite.
 */
export class WorkerPool {
  readonly #pool: Piscina;
  readonly size: number;

  constructor(config: WorkerConfig, options: PoolOptions = {}) {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Pool size must be a positive integer; got ${size}`);
    this.size = size;
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
    return expect(await this.#pool.run({ kind: 'analyze', ...task } satisfies AnalyzeTask), 'analyze');
  }

  async embed(texts: readonly string[]): Promise<EmbedResult> {
    return expect(await this.#pool.run({ kind: 'embed', texts } satisfies EmbedTask), 'embed');
  }

  get queued(): number {
    return this.#pool.queueSize;
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true });
  }
}

function expect<K extends 'analyze' | 'embed'>(result: WorkerResult, kind: K): Extract<WorkerResult, { kind: K }> {
  if (result.kind === 'error') throw reviveError(result.error);
  if (result.kind !== kind) throw new Error(`Worker answered '${result.kind}' to a '${kind}' task`);
  return result as Extract<WorkerResult, { kind: K }>;
}
