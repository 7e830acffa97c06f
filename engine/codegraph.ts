import { existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { resolveConfig, type EngineConfig, type EngineConfigInput } from './config/config.js';
import { WorkspaceRules } from './discovery/rules.js';
import { Embedder } from './embedding/model.js';
import { CacheCorruptionError, CodeGraphError, NotFoundError } from './errors.js';
import { Indexer, type IndexRunOptions, type IndexSummary } from './indexer/indexer.js';
import { EngineMetrics } from './metrics/metrics.js';
import { DEFAULT_CHUNKING, type ChunkingOptions } from './parsing/chunk.js';
import { WorkerPool } from './pool/pool.js';
import { DenseIndex } from './search/denseIndex.js';
import { Searcher, type SearchHit, type SearchOptions } from './search/searcher.js';
import type { BatchWriteResult, StoreCounts } from './store/records.js';
import { WorkspaceStore } from './store/store.js';

export const CACHE_FILE = 'index.sqlite';

/** Which retrieval the engine can offer right now, best first. */
export type ServiceLevel = 'hybrid' | 'lexical-only';

export interface OpenOptions {
  /** On a model that fails to load: throw (CLI) or continue lexical-only and report it (extension). */
  readonly onModelError?: 'throw' | 'lexical';
  readonly log?: (message: string) => void;
}

export interface EngineStatus {
  readonly root: string;
  readonly cachePath: string;
  readonly cacheBytes: number;
  readonly modelId: string | null;
  readonly modelDir: string | null;
  readonly device: string | null;
  readonly serviceLevel: ServiceLevel;
  readonly modelError: string | null;
  readonly recoveredFromCorruption: string | null;
  readonly counts: StoreCounts;
  readonly lastIndexedAt: string | null;
  readonly metrics: ReturnType<EngineMetrics['snapshot']>;
}

/**
 * One indexed workspace: the public face of the engine, used unchanged by the
 * CLI, the extension and the benchmarks. Owns the store, the worker pool, the
 * query-side model and the in-memory dense index.
 */
export class CodeGraph {
  readonly metrics = new EngineMetrics();
  private pool: WorkerPool | null = null;
  private dense: DenseIndex | null = null;
  private denseLoading: Promise<DenseIndex | null> | null = null;
  /** Batches committed while the dense index was loading; replayed once it is ready (add and remove are idempotent). */
  private batchesDuringLoad: { result: BatchWriteResult; written: ReadonlyMap<string, Buffer> }[] = [];
  private fileIndex: Map<number, { path: string; language: string }> | null = null;
  private readonly queryCache: LRUCache<string, Float32Array>;
  private readonly rules: WorkspaceRules;
  private readonly searcher: Searcher;
  private indexing: Promise<IndexSummary> | null = null;

  private constructor(
    readonly config: EngineConfig,
    readonly store: WorkspaceStore,
    private readonly embedder: Embedder | null,
    private readonly modelError: string | null,
    private readonly recoveredFromCorruption: string | null,
    private readonly log: (message: string) => void,
  ) {
    this.rules = new WorkspaceRules(config.root, config.discovery);
    this.queryCache = new LRUCache<string, Float32Array>({
      maxSize: Math.max(1, Math.floor(config.cacheBudgetMb * 1024 * 1024 * 0.25)),
      sizeCalculation: (vector, key) => vector.byteLength + key.length * 2,
    });
    // The dense index is loaded lazily, so the searcher reads it through a getter.
    const readDense = () => this.dense;
    this.searcher = new Searcher({
      store,
      get dense() {
        return readDense();
      },
      embedQuery: embedder ? (text) => this.embedQuery(text) : null,
      files: () => this.files(),
    });
  }

  static async open(input: EngineConfigInput, options: OpenOptions = {}): Promise<CodeGraph> {
    const config = resolveConfig(input);
    const log = options.log ?? (() => undefined);
    if (!existsSync(config.root) || !statSync(config.root).isDirectory()) {
      throw new NotFoundError(`Workspace directory not found: ${config.root}`, { root: config.root });
    }
    let embedder: Embedder | null = null;
    let modelError: string | null = null;
    if (config.modelDir) {
      try {
        embedder = await Embedder.load(config.modelDir, { device: config.device, intraOpThreads: 1, maxBatchSize: 32, maxBatchTokens: 16384, dimensions: config.dimensions, log });
      } catch (error) {
        if (options.onModelError !== 'lexical') throw error;
        modelError = (error as Error).message;
        log(`Model unavailable, search is lexical-only until it is fixed: ${modelError}`);
      }
    }
    const cachePath = join(config.cacheDir, CACHE_FILE);
    let store: WorkspaceStore;
    let recovered: string | null = null;
    try {
      store = await WorkspaceStore.open(cachePath);
    } catch (error) {
      if (!(error instanceof CacheCorruptionError)) throw error;
      // Keep the damaged file for inspection, and rebuild from the sources, which are the truth.
      const aside = `${cachePath}.corrupt-${Date.now()}`;
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(cachePath + suffix)) renameSync(cachePath + suffix, aside + suffix);
      recovered = `The index cache was corrupt and has been rebuilt; the damaged file was moved to ${aside}.`;
      log(recovered);
      store = await WorkspaceStore.open(cachePath);
    }
    const graph = new CodeGraph(config, store, embedder, modelError, recovered, log);
    if (embedder) await graph.noteModel(embedder.modelId);
    return graph;
  }

  get modelId(): string | null {
    return this.embedder?.modelId ?? null;
  }

  get serviceLevel(): ServiceLevel {
    return this.embedder ? 'hybrid' : 'lexical-only';
  }

  get cachePath(): string {
    return join(this.config.cacheDir, CACHE_FILE);
  }

  /** Indexes the workspace (or the given paths). Concurrent calls run one after another. */
  async index(options: IndexRunOptions = {}): Promise<IndexSummary> {
    while (this.indexing) await this.indexing.catch(() => undefined);
    const run = this.runIndex(options);
    this.indexing = run;
    try {
      return await run;
    } finally {
      this.indexing = null;
    }
  }

  private async runIndex(options: IndexRunOptions): Promise<IndexSummary> {
    const indexer = new Indexer({
      config: this.config,
      store: this.store,
      pool: this.workerPool(),
      modelId: this.modelId,
      chunking: this.chunking(),
      rules: this.rules,
      onBatchCommitted: (result, written) => this.applyBatch(result, written),
      onEmbedLatency: (ms, texts) => this.metrics.embedLatency.record(ms / Math.max(1, texts)),
    });
    const summary = await indexer.run(options);
    this.metrics.counters.filesIndexed += summary.filesChanged;
    this.metrics.counters.chunksEmbedded += summary.chunksEmbedded;
    this.metrics.counters.vectorsReused += summary.vectorsReused;
    if (this.modelId && summary.chunksEmbedded > 0) {
      const collected = await this.store.collectGarbage(this.modelId, Math.max(1000, Math.floor(summary.chunksTotal / 4)));
      if (collected.otherModels > 0) this.log(`Removed ${collected.otherModels} vectors of previous models`);
    }
    await this.store.setMeta('last_indexed_at', new Date().toISOString());
    return summary;
  }

  async search(query: string, options: Partial<SearchOptions> = {}): Promise<SearchHit[]> {
    const started = performance.now();
    await this.denseIndex();
    const hits = await this.searcher.search(query, options);
    this.metrics.counters.searches++;
    this.metrics.searchLatency.record(performance.now() - started);
    return hits;
  }

  async similar(path: string, line: number, options: Partial<SearchOptions> = {}): Promise<{ origin: SearchHit; hits: SearchHit[] }> {
    await this.denseIndex();
    return this.searcher.similar(path, line, options);
  }

  async status(): Promise<EngineStatus> {
    let cacheBytes = 0;
    for (const suffix of ['', '-wal']) {
      try {
        cacheBytes += statSync(this.cachePath + suffix).size;
      } catch {
        // absent WAL
      }
    }
    return {
      root: this.config.root,
      cachePath: this.cachePath,
      cacheBytes,
      modelId: this.modelId,
      modelDir: this.config.modelDir,
      device: this.embedder?.device ?? null,
      serviceLevel: this.serviceLevel,
      modelError: this.modelError,
      recoveredFromCorruption: this.recoveredFromCorruption,
      counts: await this.store.counts(this.modelId ?? ''),
      lastIndexedAt: (await this.store.getMeta('last_indexed_at')) ?? null,
      metrics: this.metrics.snapshot(),
    };
  }

  async dispose(): Promise<void> {
    await this.indexing?.catch(() => undefined);
    await this.pool?.close();
    this.pool = null;
    await this.embedder?.dispose();
    await this.store.close();
  }

  private chunking(): ChunkingOptions {
    return this.embedder ? { ...DEFAULT_CHUNKING, maxChars: this.embedder.maxChunkChars } : DEFAULT_CHUNKING;
  }

  private workerPool(): WorkerPool {
    this.pool ??= new WorkerPool(
      {
        grammarsDir: this.config.grammarsDir,
        modelDir: this.embedder ? this.config.modelDir : null,
        device: this.config.device,
        dimensions: this.config.dimensions,
        maxBatchSize: 64,
        maxFileBytes: this.config.discovery.maxFileBytes,
      },
      { size: this.config.workers, ...(this.config.workerFile ? { workerFile: this.config.workerFile } : {}) },
    );
    return this.pool;
  }

  private async embedQuery(text: string): Promise<Float32Array> {
    const cached = this.queryCache.get(text);
    if (cached) return cached;
    const vector = await this.embedder!.embedQuery(text);
    this.queryCache.set(text, vector);
    return vector;
  }

  private async files(): Promise<Map<number, { path: string; language: string }>> {
    this.fileIndex ??= await this.store.fileIndex();
    return this.fileIndex;
  }

  /** Loads the dense index once; afterwards batches keep it current. */
  private async denseIndex(): Promise<DenseIndex | null> {
    if (!this.embedder) return null;
    if (this.dense) return this.dense;
    this.denseLoading ??= (async () => {
      const index = new DenseIndex(this.embedder!.dimension);
      await this.store.eachChunkVector(this.embedder!.modelId, (row) => index.add(row.id, row.fileId, row.vector));
      this.dense = index;
      const replay = this.batchesDuringLoad;
      this.batchesDuringLoad = [];
      for (const batch of replay) await this.applyBatch(batch.result, batch.written);
      return index;
    })();
    return this.denseLoading;
  }

  private async applyBatch(result: BatchWriteResult, written: ReadonlyMap<string, Buffer>): Promise<void> {
    this.fileIndex = null;
    const dense = this.dense;
    if (!dense) {
      if (this.denseLoading) this.batchesDuringLoad.push({ result, written });
      return;
    }
    for (const id of result.removedChunkIds) dense.remove(id);
    const needed = result.addedChunks.filter((chunk) => !written.has(chunk.contentHash)).map((chunk) => chunk.contentHash);
    const reused = needed.length > 0 && this.modelId ? await this.store.vectorsFor(this.modelId, [...new Set(needed)]) : new Map<string, Buffer>();
    for (const chunk of result.addedChunks) {
      const blob = written.get(chunk.contentHash) ?? reused.get(chunk.contentHash);
      if (blob) dense.add(chunk.id, chunk.fileId, blob);
    }
  }

  private async noteModel(modelId: string): Promise<void> {
    const previous = await this.store.getMeta('model_id');
    if (previous !== modelId) {
      if (previous) this.log(`Model changed from ${previous} to ${modelId}: chunks will be re-embedded on the next index`);
      await this.store.setMeta('model_id', modelId);
    }
  }
}

export function isCodeGraphError(error: unknown): error is CodeGraphError {
  return error instanceof CodeGraphError;
}
