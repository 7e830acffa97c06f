import { resolveConfig, type EngineConfig, type EngineConfigInput } from '../config/config.js';
import { ModelLoadError } from '../errors.js';
import { EngineMetrics, type EngineMetricsSnapshot } from '../metrics/metrics.js';
import { WorkerPool } from '../pool/pool.js';
import { EmbeddingApi, type EmbedInput, type EmbedResult } from './api.js';
import { Embedder } from './model.js';

/** `EngineConfigInput` without a workspace: embedding needs a model, not an index. */
export type EmbedderConfigInput = Omit<EngineConfigInput, 'root'> & { readonly root?: string };

/**
 * The embedding API without an index: loads the model (the same resolution,
 * dimensions and pre-processing as `CodeGraph.open`) and opens no cache file.
 * `embedBatch` starts the worker pool on first use; `dispose` stops it.
 */
export class CodeEmbedder {
  readonly metrics = new EngineMetrics();
  readonly #api: EmbeddingApi;
  #pool: WorkerPool | null = null;

  private constructor(
    readonly config: EngineConfig,
    private readonly embedder: Embedder,
  ) {
    this.#api = new EmbeddingApi({
      embedder: () => this.embedder,
      embedOnPool: (texts, languages, role) => this.workerPool().embedVectors(texts, languages, role),
      metrics: this.metrics,
      batchSize: config.embedBatchSize,
    });
  }

  static async open(input: EmbedderConfigInput = {}, options: { readonly log?: (message: string) => void } = {}): Promise<CodeEmbedder> {
    const config = resolveConfig({ ...input, root: input.root ?? process.cwd() });
    if (!config.modelDir) throw new ModelLoadError('Embedding needs a model; modelDir is null (lexical-only)', { hint: 'Omit modelDir for the bundled default model.' });
    const embedder = await Embedder.load(config.modelDir, {
      device: config.device,
      intraOpThreads: 1,
      maxBatchSize: 32,
      maxBatchTokens: 16384,
      dimensions: config.dimensions,
      modelRoots: config.modelRoots,
      ...(options.log ? { log: options.log } : {}),
    });
    return new CodeEmbedder(config, embedder);
  }

  get dimension(): number {
    return this.embedder.dimension;
  }

  get modelId(): string {
    return this.embedder.modelId;
  }

  /** The model's window in tokens: longer texts are truncated (and say so in `EmbedResult.truncated`). */
  get maxTokens(): number {
    return this.embedder.manifest.maxTokens;
  }

  /** Largest chunk the indexer cuts for this model, in characters (`ChunkingOptions.maxChars`). */
  get maxChunkChars(): number {
    return this.embedder.maxChunkChars;
  }

  embedCode(code: string, language?: string | null): Promise<Float32Array> {
    return this.#api.embedCode(code, language);
  }

  embedQuery(text: string): Promise<Float32Array> {
    return this.#api.embedQuery(text);
  }

  embed(input: EmbedInput | string): Promise<EmbedResult> {
    return this.#api.embed(input);
  }

  embedBatch(inputs: readonly (EmbedInput | string)[]): Promise<EmbedResult[]> {
    return this.#api.embedBatch(inputs);
  }

  similarity(a: string | Float32Array, b: string | Float32Array, language?: string | null): Promise<number> {
    return this.#api.similarity(a, b, language);
  }

  metricsSnapshot(): EngineMetricsSnapshot {
    return this.metrics.snapshot();
  }

  async dispose(): Promise<void> {
    await this.#pool?.close();
    this.#pool = null;
    await this.embedder.dispose();
  }

  private workerPool(): WorkerPool {
    this.#pool ??= new WorkerPool(
      {
        grammarsDir: this.config.grammarsDir,
        modelDir: this.embedder.modelDir,
        device: this.embedder.device,
        dimensions: this.config.dimensions,
        maxBatchSize: 64,
        maxFileBytes: this.config.discovery.maxFileBytes,
      },
      { size: this.config.workers, ...(this.config.workerFile ? { workerFile: this.config.workerFile } : {}), onEvent: (event) => event.kind === 'worker-crash' && this.metrics.recordError({ code: 'WORKER_CRASH' }) },
    );
    return this.#pool;
  }
}
