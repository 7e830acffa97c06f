import { existsSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LRUCache } from 'lru-cache';
import { resolveConfig, type EngineConfig, type EngineConfigInput } from './config/config.js';
import { defaultModelDir } from './config/paths.js';
import { WorkspaceRules } from './discovery/rules.js';
import { DEFAULT_SIMILARITY_THRESHOLD } from './embedding/manifest.js';
import { EmbeddingApi, type EmbedInput, type EmbedResult } from './embedding/api.js';
import { Embedder, loadedModelFiles } from './embedding/model.js';
import { CacheCorruptionError, CodeGraphError, NotFoundError } from './errors.js';
import type { IndexRunOptions, IndexSummary } from './indexer/indexer.js';
import { EngineEvents } from './events/events.js';
import { EngineMetrics, type EngineMetricsSnapshot } from './metrics/metrics.js';
import { prometheusText } from './metrics/prometheus.js';
import { DEFAULT_CHUNKING, type ChunkingOptions } from './parsing/chunk.js';
import { languagesMissingGrammar } from './parsing/languages.js';
import type { PoolEvent, WorkerPool } from './pool/pool.js';
import { CircuitBreaker, withRetry } from './pool/resilience.js';
import { LiveLexicalIndex } from './lexical/index.js';
import { resolveDenseSettings, type DenseIndex, type DenseSettings } from './search/denseIndex.js';
import { SignScanThread } from './vectors/signScanThread.js';
import { Searcher, type SearchHit, type SearchOptions } from './search/searcher.js';
import type { BatchWriteResult, StoreCounts } from './store/records.js';
import { WorkspaceStore } from './store/store.js';
import { generationAfter, loadDenseFromFile, loadDenseWithFile, prefetchVectorFile, removeVectorFile, saveDenseFile, saveDenseFileAsync, VECTOR_FILE, vectorFileGeneration, VectorFileStream, writeDenseFileFromStore, type DenseFileLoad, type PrefetchedVectorFile } from './vectorfile/index.js';

export const CACHE_FILE = 'index.sqlite';

/** Embedded or deleted chunks after which unreferenced vectors are collected again. */
const GARBAGE_COLLECTION_CHURN = 2000;

/**
 * A write-ahead log at least this large is emptied after an index run (WorkspaceStore.truncateWriteAheadLog).
 * Editor runs between SQLite's own checkpoints (1,000 pages, 8 MB at 8 KB pages) stay below it.
 */
const WAL_TRUNCATE_BYTES = 16 * 1024 * 1024;

/** What `warmUp` searches for to compile the search path: questions of every shape the ranking tells apart. */
const SEARCH_WARM_UP_QUESTIONS: readonly string[] = [
  'where is the configuration loaded', 'HttpClient', 'parse_config', 'Foo::bar', 'how are errors reported to the user',
  'close the database session', 'tests for the cache', 'walk the syntax tree', 'authentication token expiry', 'draw a shape on the canvas',
  'evict old entries', 'priority queue', 'logger', 'what happens on shutdown', 'escape special characters in a path', 'merge two sorted lists',
];

/** Which retrieval the engine can offer right now, best first. */
export type ServiceLevel = 'hybrid' | 'lexical-only';

/**
 * The recovery chain's level when the configured model is not the one serving:
 * the bundled default model (`active` is its directory) or lexical-only (`active` null).
 */
export interface ModelFallback {
  /** The configured model directory. */
  readonly requested: string;
  readonly active: string | null;
  /** Why the levels above were given up. */
  readonly reason: string;
}

export interface OpenOptions {
  /**
   * On a model that fails to load, or whose inference keeps failing: throw
   * (CLI), continue lexical-only, or walk the recovery chain (configured model
   * → bundled default model → lexical-only). Both degraded modes report it in `status()`.
   */
  readonly onModelError?: 'throw' | 'lexical' | 'fallback';
  /** The chain's second level; default: the bundled default model. Null skips it. */
  readonly fallbackModelDir?: string | null;
  /**
   * On a corrupt cache: move it aside and rebuild from the sources (default), or
   * throw `CacheCorruptionError` and leave it as it is (the CLI's `status`, a report).
   */
  readonly onCacheCorruption?: 'rebuild' | 'throw';
  readonly log?: (message: string) => void;
}

export interface StatusOptions {
  /** Also read every page of the cache (`PRAGMA quick_check`, about 100 MB/s): what `codegraph status` does. */
  readonly verifyCache?: boolean;
}

export interface EngineStatus {
  readonly root: string;
  readonly cachePath: string;
  readonly cacheBytes: number;
  readonly modelId: string | null;
  readonly modelDir: string | null;
  readonly device: string | null;
  readonly serviceLevel: ServiceLevel;
  /** Cosine above which the active model calls two chunks similar; null without a model. */
  readonly similarityThreshold: number | null;
  readonly modelError: string | null;
  /** Set while the configured model is not the one serving (see `ModelFallback`). */
  readonly modelFallback?: ModelFallback | null;
  readonly recoveredFromCorruption: string | null;
  /** Set when the cache was found damaged while reading the status (or by `verifyCache`); it is rebuilt by the next index or search. */
  readonly cacheProblem?: string | null;
  readonly counts: StoreCounts;
  readonly lastIndexedAt: string | null;
  readonly metrics: EngineMetricsSnapshot;
}

/**
 * One indexed workspace: the public face of the engine, used unchanged by the
 * CLI, the extension and the benchmarks. Owns the store, the worker pool, the
 * query-side model and the in-memory dense index.
 */
export class CodeGraph {
  /** Counters and latency recorders; `metrics()` reads them. */
  readonly meters = new EngineMetrics();
  /** File indexed / removed, batch committed, index settled, model degraded (see `EngineEventMap`). */
  readonly events: EngineEvents;
  private readonly embedding: EmbeddingApi;
  /** Index runs waiting behind the current one: `index-settled` fires when none is left. */
  private indexWaiters = 0;
  private pool: WorkerPool | null = null;
  #dense: DenseIndex | null = null;
  /** The sign scan's second thread, started by `warmUp` (sessions that stay open); every dense index the engine holds uses it. */
  private scanThread: SignScanThread | null = null;
  private denseLoading: Promise<DenseIndex | null> | null = null;
  /** Batches committed while the dense index was loading; replayed once it is ready (add and remove are idempotent). */
  private batchesDuringLoad: { result: BatchWriteResult; written: ReadonlyMap<string, Buffer> }[] = [];
  private fileIndex: Map<number, { path: string; language: string }> | null = null;
  /** The store generation the dense index reflects (engine/vectorfile); null: unknown, so it is never saved. */
  private denseGeneration: string | null = null;
  private denseSettings: DenseSettings | null = null;
  /** The generation the vector file on disk was last read or written at by this engine. */
  private vectorFileGeneration: string | null = null;
  /**
   * The generation of the vector file when it was current at the start of this index run and the
   * dense index was not loaded: the file is read at the run's first change, as that generation's copy.
   */
  private vectorFileAtRunStart: string | null = null;
  /** Chunks or vectors changed in this session: the vector file may be behind. */
  private wroteVectors = false;
  private vectorFileTimer: NodeJS.Timeout | null = null;
  /** The vector file save in progress, if any (`saveVectorFile`). */
  private vectorFileSave: Promise<void> | null = null;
  /** The vector file being written as this index run commits (a first run, on an empty store); null otherwise. */
  private vectorStream: VectorFileStream | null = null;
  /** Its appends, in commit order (`queueStreamAppend`). */
  private streamAppends: Promise<void> = Promise.resolve();
  /** Batches being applied to the dense index right now: while any is, its rows match no generation. */
  private denseUpdates = 0;
  private vectorFileFailed = false;
  /** The vector file read ahead at open, for the first search; dropped by an index run. */
  private vectorPrefetch: Promise<PrefetchedVectorFile | null> | null = null;
  private readonly queryCache: LRUCache<string, Float32Array>;
  private readonly rules: WorkspaceRules;
  private readonly searcher: Searcher;
  /** `searcher` for `compileSearchPath`: query embeddings outside the query cache and its metrics. */
  private readonly warmUpSearcher: Searcher;
  /** BM25 from memory for sessions that stay open (engine/lexical); searches read the store's segments until it is current. */
  private readonly lexical: LiveLexicalIndex;
  private indexing: Promise<IndexSummary> | null = null;
  /** Set by `dispose`: a warm-up it cuts short is not a failure. */
  private disposing = false;
  private warming: Promise<void> | null = null;
  private collectedThisSession = false;
  private chunkChurnSinceCollection = 0;
  private currentStore: WorkspaceStore;
  /** A recovery from corruption in progress: concurrent callers that hit the damage wait for the same one. */
  private recovering: Promise<void> | null = null;
  /** What a corrupt cache found later (by a read, or by `status`) leads to; see `OpenOptions.onCacheCorruption`. */
  private cacheCorruptionMode: 'rebuild' | 'throw' = 'rebuild';

  /** Query-side inference: consecutive failures (after retries) before the engine degrades. */
  private readonly queryInference = new CircuitBreaker(3);

  private constructor(
    readonly config: EngineConfig,
    store: WorkspaceStore,
    private embedder: Embedder | null,
    private modelError: string | null,
    private recoveredFromCorruption: string | null,
    private readonly log: (message: string) => void,
    private readonly recovery: ModelRecovery,
  ) {
    this.currentStore = store;
    this.rules = new WorkspaceRules(config.root, config.discovery);
    this.events = new EngineEvents((error, event) => {
      this.meters.recordError(error);
      this.log(`A '${event}' listener failed: ${(error as Error).message}`);
    });
    this.embedding = new EmbeddingApi({
      embedder: () => this.embedder,
      embedOnPool: (texts, languages, role) => this.workerPool().embedVectors(texts, languages, role),
      metrics: this.meters,
      batchSize: config.embedBatchSize,
      queryVector: (text) => this.queryVector(text),
      modelError: () => this.modelError,
      onInference: async (outcome) => {
        if (outcome.ok) return this.queryInference.recordSuccess('query');
        // The same breaker as query embeddings: three failures in a row step down the chain.
        if (!this.queryInference.recordFailure('query', outcome.error.message)) return;
        await this.indexing?.catch(() => undefined); // the pool is replaced; let a running index finish first
        await this.degrade(`embedding kept failing: ${outcome.error.message}`, outcome.failed);
      },
    });
    this.queryCache = new LRUCache<string, Float32Array>({
      maxSize: Math.max(1, Math.floor(config.cacheBudgetMb * 1024 * 1024 * 0.25)),
      sizeCalculation: (vector, key) => vector.byteLength + key.length * 2,
    });
    // The dense index is loaded lazily, so the searcher reads it through a getter.
    const readDense = () => this.dense;
    // A corrupt cache is replaced at run time, so the store is read through a getter as well.
    const readStore = () => this.currentStore;
    this.lexical = new LiveLexicalIndex({ store: readStore, writing: () => this.isIndexing, log: this.log });
    // The model can change at run time (recovery chain), so the query embedder is read through a getter too.
    const searcherWith = (embed: (text: string) => Promise<Float32Array>) => {
      const readEmbedQuery = () => (this.embedder ? embed : null);
      return new Searcher({
        lexical: (terms, limit) => this.lexical.search(terms, limit),
        summaries: (ids) => this.lexical.summariesOf(ids),
        get store() {
          return readStore();
        },
        get dense() {
          return readDense();
        },
        get embedQuery() {
          return readEmbedQuery();
        },
        files: () => this.files(),
      });
    };
    this.searcher = searcherWith((text) => this.queryVector(text));
    // The same code over the same sources, its questions neither counted nor cached.
    this.warmUpSearcher = searcherWith((text) => this.embedder!.embedQuery(text));
  }

  static async open(input: EngineConfigInput, options: OpenOptions = {}): Promise<CodeGraph> {
    const config = resolveConfig(input);
    const log = options.log ?? (() => undefined);
    if (!existsSync(config.root) || !statSync(config.root).isDirectory()) {
      throw new NotFoundError(`Workspace directory not found: ${config.root}`, { root: config.root });
    }
    const missing = languagesMissingGrammar(config.grammarsDir, existsSync);
    if (missing.length > 0) {
      log(
        `No grammar for ${missing.map((spec) => spec.id).join(', ')} in ${config.grammarsDir}: those files are chunked by line windows, which searches worse. ` +
          'Reinstall the package, or in a checkout run `node scripts/copy-grammars.mjs`.',
      );
    }
    // The vector file is read on the I/O threads while the model loads on this one (a one-off search needs both).
    const vectorPrefetch = config.modelDir ? prefetchVectorFile(join(config.cacheDir, VECTOR_FILE)) : null;
    const recovery: ModelRecovery = { mode: options.onModelError ?? 'throw', fallbackModelDir: fallbackFor(config.modelDir, options), activeModelDir: config.modelDir, fallback: null };
    let embedder: Embedder | null = null;
    let modelError: string | null = null;
    if (config.modelDir) {
      try {
        embedder = await loadEmbedder(config, config.modelDir, log);
      } catch (error) {
        if (recovery.mode === 'throw') throw error;
        const reason = (error as Error).message;
        const fallback = recovery.mode === 'fallback' ? await loadFallback(config, recovery, reason, log) : { embedder: null, reason };
        embedder = fallback.embedder;
        recovery.activeModelDir = embedder ? recovery.fallbackModelDir : null;
        if (recovery.mode === 'fallback') recovery.fallback = { requested: config.modelDir, active: recovery.activeModelDir, reason: fallback.reason };
        if (!embedder) {
          modelError = fallback.reason;
          log(`Model unavailable, search is lexical-only until it is fixed: ${modelError}`);
        }
      }
    }
    const cachePath = join(config.cacheDir, CACHE_FILE);
    let store: WorkspaceStore;
    let recovered: string | null = null;
    try {
      store = await WorkspaceStore.open(cachePath);
    } catch (error) {
      if (!(error instanceof CacheCorruptionError) || options.onCacheCorruption === 'throw') throw error;
      recovered = moveCorruptCacheAside(cachePath, error);
      removeVectorFile(join(config.cacheDir, VECTOR_FILE));
      log(recovered);
      store = await WorkspaceStore.open(cachePath);
    }
    const graph = new CodeGraph(config, store, embedder, modelError, recovered, log, recovery);
    graph.cacheCorruptionMode = options.onCacheCorruption ?? 'rebuild';
    graph.vectorPrefetch = vectorPrefetch;
    if (embedder) await graph.noteModel(embedder);
    return graph;
  }

  /** The cache; replaced when corruption is found and the cache is rebuilt. */
  get store(): WorkspaceStore {
    return this.currentStore;
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

  /** The dense index's rows, saved beside the cache (engine/vectorfile). */
  get vectorFilePath(): string {
    return join(this.config.cacheDir, VECTOR_FILE);
  }

  /** Indexes the workspace (or the given paths). Concurrent calls run one after another. */
  async index(options: IndexRunOptions = {}): Promise<IndexSummary> {
    this.indexWaiters++;
    while (this.indexing) await this.indexing.catch(() => undefined);
    this.indexWaiters--;
    const run = this.runIndex(options);
    this.indexing = run;
    let summary: IndexSummary;
    try {
      summary = await run;
    } catch (error) {
      this.meters.recordError(error);
      throw error;
    } finally {
      this.indexing = null;
    }
    if (this.indexWaiters === 0) this.events.emit('index-settled', { summary });
    return summary;
  }

  /**
   * Loads ahead what a session's first edits would wait for: the worker pool, each worker's
   * grammars (of the languages indexed) and model, the dense index and BM25 in memory. For sessions that stay
   * open (watch, MCP); a one-off search never calls it, so it starts no worker. It never throws:
   * what fails to load here is loaded, or reported, by the first edit that needs it.
   */
  warmUp(): Promise<void> {
    this.warming ??= (async () => {
      if (!this.disposing && !this.scanThread) {
        this.scanThread = SignScanThread.start();
        this.dense?.useScanThread(this.scanThread);
      }
      const languages = await this.store.indexedLanguages().catch(() => []);
      if (this.disposing) return;
      // Both settle before this does, so that `dispose` waiting for it finds neither still reading.
      const outcomes = await Promise.allSettled([this.workerPool().warmUp(languages), this.denseIndex(), this.lexical.load()]);
      const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failure && !this.disposing) this.log(`Could not load the workers' grammars and model ahead of the first edit: ${(failure.reason as Error).message}`);
      await this.compileSearchPath();
    })();
    return this.warming;
  }

  /**
   * Runs a few searches whose results nobody reads, so that V8 compiles the search path
   * (in-memory BM25, summaries, the split scan, ranking) before a user's first question:
   * otherwise the first 15–20 searches of a session took up to twice as long, and V8's
   * compiler threads took the core the scan thread needed (183k chunks, 2 cores). Not counted in metrics.
   */
  private async compileSearchPath(): Promise<void> {
    for (const question of SEARCH_WARM_UP_QUESTIONS) {
      if (this.disposing) return;
      await this.warmUpSearcher.search(question).catch(() => undefined);
    }
  }

  /** True while an index run is running or waiting. */
  get isIndexing(): boolean {
    return this.indexing !== null || this.indexWaiters > 0;
  }

  /** One indexing run; if inference keeps failing, the engine steps down the recovery chain and runs again. */
  private async runIndex(options: IndexRunOptions): Promise<IndexSummary> {
    let rebuilt = false;
    for (;;) {
      const store = this.currentStore;
      try {
        return await this.runIndexOnce(options);
      } catch (error) {
        this.abortVectorStream();
        // A damaged cache found mid-run: the sources are the truth, so move it aside and index the whole tree again (once).
        if (error instanceof CacheCorruptionError && !rebuilt) {
          await this.recoverFromCorruption(error, store);
          rebuilt = true;
          const { paths: _paths, ...whole } = options;
          options = whole;
          continue;
        }
        const pool = this.pool;
        if (!pool?.inferenceCircuitOpen || !this.embedder || !(await this.degrade(`inference kept failing: ${pool.lastInferenceError ?? (error as Error).message}`, this.embedder))) throw error;
      }
    }
  }

  private async runIndexOnce(options: IndexRunOptions): Promise<IndexSummary> {
    // With a current vector file the dense index loads in a fraction of a second; kept current through the run,
    // it is saved from memory afterwards, instead of being rebuilt from every row of the store (seconds at 250k chunks).
    // It is read at the run's first change (`applyBatch`): a run that changes nothing never needs it.
    this.vectorFileAtRunStart = null;
    if (this.embedder && !this.dense && !this.denseLoading) {
      const generation = await this.store.vectorGeneration();
      if (vectorFileGeneration(this.vectorFilePath) === generation) this.vectorFileAtRunStart = generation;
    }
    this.vectorPrefetch = null; // what it read may change now: the next load reads the file again
    this.abortVectorStream();
    if (this.embedder && !this.dense && !this.denseLoading && this.vectorFileAtRunStart === null) this.vectorStream = await this.startVectorStream();
    if (!options.paths) await this.periodicQuickCheck();
    // Loaded on first use: a one-off search never indexes, and piscina and the walker cost a tenth of its start.
    const { Indexer } = require('./indexer/indexer.js') as typeof import('./indexer/indexer.js');
    const indexer = new Indexer({
      config: this.config,
      store: this.store,
      pool: this.workerPool(),
      modelId: this.modelId,
      chunking: this.chunking(),
      rules: this.rules,
      onBatchCommitted: async (result, written, files) => {
        await this.applyBatch(result, written);
        this.noteBatch(result, written, files, batchClock);
      },
      onEmbedLatency: (ms, texts) => this.meters.embedLatency.record(ms / Math.max(1, texts)),
    });
    const batchClock = { last: performance.now() };
    const summary = await indexer.run(options);
    this.meters.counters.filesIndexed += summary.filesChanged;
    this.meters.counters.chunksEmbedded += summary.chunksEmbedded;
    this.meters.counters.vectorsReused += summary.vectorsReused;
    // Garbage collection scans every vector, so it runs after the first index of a
    // session (which drops a previous model's vectors) and then once enough chunks
    // have churned to matter, not after every single-file edit.
    this.chunkChurnSinceCollection += summary.chunksEmbedded + summary.filesDeleted;
    if (this.modelId && this.chunkChurnSinceCollection > 0 && (!this.collectedThisSession || this.chunkChurnSinceCollection >= GARBAGE_COLLECTION_CHURN)) {
      const collected = await this.store.collectGarbage(this.modelId, Math.max(1000, Math.floor(summary.chunksTotal / 4)));
      this.collectedThisSession = true;
      this.chunkChurnSinceCollection = 0;
      if (collected.otherModels > 0) this.log(`Removed ${collected.otherModels} vectors of previous models`);
      // Collection removes other models' vectors and unused ones of this model: never a row of the dense index.
      if (this.dense && this.denseGeneration === collected.generation.previous) this.denseGeneration = collected.generation.current;
      this.vectorStream?.follow(collected.generation);
      if (collected.generation.previous !== collected.generation.current) this.wroteVectors = true;
    }
    await this.finishVectorStream();
    await this.store.setMeta('last_indexed_at', new Date().toISOString());
    await this.store.truncateWriteAheadLog(WAL_TRUNCATE_BYTES);
    // PCA waits for enough vectors: after a run that embedded more, the next search reloads and fits it.
    if (this.dense?.projectionPending && summary.chunksEmbedded > 0) {
      this.dense = null;
      this.denseLoading = null;
    }
    if (this.dense && this.wroteVectors) this.scheduleVectorFileSave();
    return summary;
  }

  async search(query: string, options: Partial<SearchOptions> = {}): Promise<SearchHit[]> {
    return this.counted(() => this.withCacheRecovery(() => this.searchOnce(query, options)));
  }

  private async searchOnce(query: string, options: Partial<SearchOptions>): Promise<SearchHit[]> {
    const started = performance.now();
    await this.denseIndex();
    let hits: SearchHit[];
    const embedder = this.embedder;
    try {
      hits = await this.searcher.search(query, options);
    } catch (error) {
      if ((error as CodeGraphError).code !== 'INFERENCE' || !embedder) throw error;
      // The query could not be embedded: answer from BM25 now, and step down the chain if it keeps happening.
      if (this.queryInference.recordFailure('query', (error as Error).message)) {
        await this.indexing?.catch(() => undefined); // the pool is replaced below; let a running index finish first
        await this.degrade(`query inference kept failing: ${(error as Error).message}`, embedder);
      }
      this.meters.recordError(error);
      hits = await this.searcher.search(query, { ...options, mode: 'lexical' });
    }
    this.meters.counters.searches++;
    this.meters.searchLatency.record(performance.now() - started);
    return hits;
  }

  async similar(path: string, line: number, options: Partial<SearchOptions> = {}): Promise<{ origin: SearchHit; hits: SearchHit[] }> {
    return this.counted(() =>
      this.withCacheRecovery(async () => {
        await this.denseIndex();
        return this.searcher.similar(path, line, options);
      }),
    );
  }

  /**
   * Runs a read; if it finds the cache damaged, the cache is moved aside and
   * rebuilt from the sources (one message), and the read runs again on the new one.
   */
  private async withCacheRecovery<T>(read: () => Promise<T>): Promise<T> {
    const store = this.currentStore;
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof CacheCorruptionError)) throw error;
      // An index run in flight uses the same store: it finds the damage too and recovers, or finishes first.
      await this.indexing?.catch(() => undefined);
      await this.recoverFromCorruption(error, store);
      await this.index();
      return read();
    }
  }

  /**
   * Moves the damaged cache aside and opens a fresh one in its place; the next
   * index run rebuilds it. Concurrent callers share one recovery, and a caller
   * whose error came from a store already replaced does nothing.
   */
  private async recoverFromCorruption(error: CacheCorruptionError, damaged: WorkspaceStore): Promise<void> {
    if (this.recovering) return this.recovering;
    if (this.currentStore !== damaged) return; // another caller replaced it already
    this.recovering = (async () => {
      await damaged.close().catch(() => undefined);
      const message = moveCorruptCacheAside(this.cachePath, error);
      this.log(message);
      this.recoveredFromCorruption = message;
      removeVectorFile(this.vectorFilePath);
      this.currentStore = await WorkspaceStore.open(this.cachePath);
      this.lexical.restart();
      this.dense = null;
      this.denseLoading = null;
      this.denseGeneration = null;
      this.vectorFileGeneration = null;
      this.vectorFileAtRunStart = null;
      this.batchesDuringLoad = [];
      this.fileIndex = null;
      this.collectedThisSession = false;
      this.chunkChurnSinceCollection = 0;
      if (this.embedder) await this.noteModel(this.embedder);
    })();
    try {
      await this.recovering;
    } finally {
      this.recovering = null;
    }
  }

  /**
   * A full `quick_check` at most once a day, in whole-workspace index runs: those
   * stat every file anyway, and the check costs about 0.5–0.7 s per 50 MB of cache
   * (measurements at QUICK_CHECK_ON_OPEN_BYTES). Small caches are checked on every open already.
   */
  private async periodicQuickCheck(): Promise<void> {
    const last = Date.parse((await this.store.getMeta('last_quick_check')) ?? '');
    if (Number.isFinite(last) && Date.now() - last < QUICK_CHECK_INTERVAL_MS) return;
    const problems = await this.store.quickCheck();
    if (problems.length > 0) {
      throw new CacheCorruptionError(`The index cache is corrupt (${this.cachePath}): quick_check: ${problems.slice(0, 3).join('; ')}`, { cachePath: this.store.db.path, check: 'quick_check' });
    }
    await this.store.setMeta('last_quick_check', new Date().toISOString());
  }

  /**
   * Whether the cache holds an index run's results: what a one-off search asks
   * before answering, without the counts `status` reads (those scan the
   * reference table). A corrupt cache found here is moved aside as anywhere else.
   */
  async hasIndex(): Promise<boolean> {
    const store = this.currentStore;
    try {
      return (await store.getMeta('last_indexed_at')) !== undefined || (await store.hasFiles());
    } catch (error) {
      if (!(error instanceof CacheCorruptionError) || this.cacheCorruptionMode !== 'rebuild') throw error;
      await this.recoverFromCorruption(error, store);
      return false;
    }
  }

  async status(options: StatusOptions = {}): Promise<EngineStatus> {
    // First: reading the store may find it corrupt and replace it, which the rest reports.
    const cache = await this.cacheReport(options);
    let cacheBytes = 0;
    for (const path of [this.cachePath, `${this.cachePath}-wal`, this.vectorFilePath]) {
      try {
        cacheBytes += statSync(path).size;
      } catch {
        // absent WAL
      }
    }
    return {
      root: this.config.root,
      cachePath: this.cachePath,
      cacheBytes,
      modelId: this.modelId,
      modelDir: this.recovery.activeModelDir ?? this.config.modelDir,
      device: this.embedder?.device ?? null,
      serviceLevel: this.serviceLevel,
      similarityThreshold: this.embedder ? (this.embedder.manifest.similarityThreshold ?? DEFAULT_SIMILARITY_THRESHOLD) : null,
      modelError: this.modelError,
      modelFallback: this.recovery.fallback,
      recoveredFromCorruption: this.recoveredFromCorruption,
      ...cache,
      metrics: this.meters.snapshot(),
    };
  }

  /**
   * The status's view of the store: counts, or what is wrong with it. A corrupt
   * cache is reported as such when the engine was opened with `onCacheCorruption:
   * 'throw'` (a report changes nothing); otherwise it is moved aside here like
   * anywhere else, and the status shows the fresh, empty cache and why.
   */
  private async cacheReport(options: StatusOptions): Promise<Pick<EngineStatus, 'cacheProblem' | 'counts' | 'lastIndexedAt'>> {
    const store = this.currentStore;
    try {
      const problems = options.verifyCache ? await this.store.quickCheck() : [];
      if (problems.length > 0) throw new CacheCorruptionError(`The index cache is corrupt (${this.cachePath}): quick_check: ${problems.slice(0, 3).join('; ')}`);
      return { cacheProblem: null, counts: await this.store.counts(this.modelId ?? ''), lastIndexedAt: (await this.store.getMeta('last_indexed_at')) ?? null };
    } catch (error) {
      if (!(error instanceof CacheCorruptionError)) throw error;
      if (this.cacheCorruptionMode === 'rebuild') {
        await this.recoverFromCorruption(error, store);
        return { cacheProblem: null, counts: await this.store.counts(this.modelId ?? ''), lastIndexedAt: null };
      }
      return { cacheProblem: error.message, counts: { files: 0, chunks: 0, vectors: 0, vectorsForModel: 0, references: 0, resolvedReferences: 0 }, lastIndexedAt: null };
    }
  }

  // ---- Library API: embedding, metrics (engine/embedding/api.ts, engine/metrics/) ----
  // Embedding needs no index: these never touch the store.

  /** Vector width of the serving model; null when lexical-only. */
  get dimension(): number | null {
    return this.embedding.dimension;
  }

  /** Document-side vector of `code`, with the index's model, pre-processing and dimensions. */
  embedCode(code: string, language?: string | null): Promise<Float32Array> {
    return this.embedding.embedCode(code, language);
  }

  /** Query-side vector of `text`, through the engine's query cache. */
  embedQuery(text: string): Promise<Float32Array> {
    return this.embedding.embedQuery(text);
  }

  /** One text with its flags (`language`, `languageFallback`, `truncated`). */
  embed(input: EmbedInput | string): Promise<EmbedResult> {
    return this.embedding.embed(input);
  }

  /** Many texts on the worker pool, batched; results in input order. */
  embedBatch(inputs: readonly (EmbedInput | string)[]): Promise<EmbedResult[]> {
    return this.embedding.embedBatch(inputs);
  }

  /** Cosine similarity of two code texts (document side) or vectors. */
  similarity(a: string | Float32Array, b: string | Float32Array, language?: string | null): Promise<number> {
    return this.embedding.similarity(a, b, language);
  }

  /** Latency summaries (embed, search, index batch), cache hit ratios, memory and error counts of this engine. */
  metrics(): EngineMetricsSnapshot {
    return this.meters.snapshot();
  }

  /** The metrics and index gauges in the Prometheus text exposition format. */
  async prometheusMetrics(): Promise<string> {
    const status = await this.status();
    return prometheusText(this.meters, { files: status.counts.files, chunks: status.counts.chunks, vectors: status.counts.vectorsForModel, cacheBytes: status.cacheBytes, hybrid: status.serviceLevel === 'hybrid', lastIndexedAt: status.lastIndexedAt });
  }

  private async counted<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.meters.recordError(error);
      throw error;
    }
  }

  /** Events and the batch histogram for one committed batch. */
  private noteBatch(result: BatchWriteResult, written: ReadonlyMap<string, Buffer>, files: { readonly indexed: readonly string[]; readonly removed: readonly string[] } | undefined, clock: { last: number }): void {
    const now = performance.now();
    const durationMs = now - clock.last;
    clock.last = now;
    this.meters.indexBatchLatency.record(durationMs);
    const indexed = files?.indexed ?? [];
    const removed = files?.removed ?? [];
    if (indexed.length > 0) this.events.emit('file-indexed', { paths: indexed, chunks: result.addedChunks.length });
    if (removed.length > 0) this.events.emit('file-removed', { paths: removed });
    this.events.emit('batch-committed', { filesIndexed: indexed.length, filesRemoved: removed.length, chunksAdded: result.addedChunks.length, chunksRemoved: result.removedChunkIds.length, vectorsWritten: written.size, durationMs });
  }

  // ---- end of the library API ----

  async dispose(): Promise<void> {
    this.disposing = true;
    this.lexical.close(); // its build stops at its next page instead of reading the whole store first
    await this.indexing?.catch(() => undefined);
    this.abortVectorStream();
    await this.pool?.close();
    this.pool = null;
    await this.warming; // its workers are gone; its dense index load finishes before the store closes
    await this.scanThread?.close();
    await this.saveVectorFile(true);
    await this.embedder?.dispose();
    await this.store.close();
  }

  private chunking(): ChunkingOptions {
    return this.embedder ? { ...DEFAULT_CHUNKING, maxChars: this.embedder.maxChunkChars } : DEFAULT_CHUNKING;
  }

  private workerPool(): WorkerPool {
    const { WorkerPool } = require('./pool/pool.js') as typeof import('./pool/pool.js');
    this.pool ??= new WorkerPool(
      {
        grammarsDir: this.config.grammarsDir,
        modelDir: this.embedder ? this.recovery.activeModelDir : null,
        // The device the main thread's model actually got: after a CUDA fallback, workers go straight to CPU.
        device: this.embedder?.device ?? this.config.device,
        dimensions: this.config.dimensions,
        maxBatchSize: 64,
        maxFileBytes: this.config.discovery.maxFileBytes,
        modelFiles: loadedModelFiles(),
      },
      { size: this.config.workers, ...(this.config.workerFile ? { workerFile: this.config.workerFile } : {}), onEvent: (event) => this.notePoolEvent(event) },
    );
    return this.pool;
  }

  private async queryVector(text: string): Promise<Float32Array> {
    this.meters.counters.queryCacheLookups++;
    const cached = this.queryCache.get(text);
    if (cached) {
      this.meters.counters.queryCacheHits++;
      return cached;
    }
    const embedder = this.embedder!;
    const vector = await withRetry(() => embedder.embedQuery(text), QUERY_RETRY, (error) => (error as CodeGraphError).code === 'INFERENCE');
    this.queryInference.recordSuccess('query');
    this.queryCache.set(text, vector);
    return vector;
  }

  /**
   * Steps down the recovery chain after repeated inference failures: from the
   * configured model to the fallback model, then to lexical-only. False when
   * there is nothing to step down to, or the caller asked for errors instead.
   */
  private async degrade(reason: string, failed: Embedder): Promise<boolean> {
    // Already stepped down (a concurrent search or index run got here first)?
    if (this.embedder !== failed) return true;
    if (this.recovery.mode === 'throw') return false;
    this.log(`Model ${failed.modelId} is failing (${reason})`);
    await this.pool?.close();
    this.pool = null;
    await failed.dispose().catch(() => undefined);
    this.embedder = null;
    const failedDir = this.recovery.activeModelDir;
    let why = reason;
    if (this.recovery.mode === 'fallback' && failedDir !== this.recovery.fallbackModelDir) {
      const fallback = await loadFallback(this.config, this.recovery, reason, this.log);
      this.embedder = fallback.embedder;
      why = fallback.reason;
    }
    this.recovery.activeModelDir = this.embedder ? this.recovery.fallbackModelDir : null;
    this.recovery.fallback = { requested: this.config.modelDir!, active: this.recovery.activeModelDir, reason: why };
    this.modelError = this.embedder ? null : why;
    if (!this.embedder) this.log(`Search is lexical-only until the model is fixed: ${why}`);
    // Vectors of the failed model must not answer queries embedded by another.
    this.dense = null;
    this.denseLoading = null;
    this.denseGeneration = null;
    this.vectorFileAtRunStart = null;
    this.batchesDuringLoad = [];
    this.queryCache.clear();
    this.queryInference.recordSuccess('query');
    if (this.embedder) await this.noteModel(this.embedder);
    this.events.emit('model-degraded', { from: failed.modelId, to: this.embedder?.modelId ?? null, reason: why, serviceLevel: this.serviceLevel });
    return true;
  }

  private notePoolEvent(event: PoolEvent): void {
    if (event.kind === 'worker-crash') this.meters.recordError({ code: 'WORKER_CRASH' });
    if (event.kind === 'quarantine') this.log(`Quarantined ${event.path}: a worker crashed on it ${event.attempts} times (${event.error}); it is skipped until it changes`);
    else if (event.kind === 'inference-circuit-open') this.log(`Inference failed ${event.failures} times in a row; stopping embedding with this model: ${event.error}`);
  }

  private async files(): Promise<Map<number, { path: string; language: string }>> {
    this.fileIndex ??= await this.store.fileIndex();
    return this.fileIndex;
  }

  private get dense(): DenseIndex | null {
    return this.#dense;
  }

  /** Whichever way a dense index arrives (loaded, read before a batch, dropped), it scans with the session's thread. */
  private set dense(index: DenseIndex | null) {
    this.#dense = index;
    index?.useScanThread(this.scanThread);
  }

  /** Loads the dense index once; afterwards batches keep it current. */
  private async denseIndex(): Promise<DenseIndex | null> {
    if (!this.embedder) return null;
    if (this.dense) return this.dense;
    this.denseLoading ??= (async () => {
      const loaded = await this.loadDense();
      this.dense = loaded.index;
      this.denseSettings = loaded.settings;
      const replay = this.batchesDuringLoad;
      this.batchesDuringLoad = [];
      this.denseGeneration = generationAfter(loaded.generation, replay.map((batch) => batch.result.generation));
      this.denseUpdates++; // the whole replay: between two batches the index is at neither generation
      try {
        for (const batch of replay) await this.applyToDense(loaded.index, batch.result, batch.written);
      } finally {
        this.denseUpdates--;
      }
      return loaded.index;
    })();
    return this.denseLoading;
  }

  /** The dense index through the vector file (engine/vectorfile), with one message when the file had to be rebuilt unexpectedly. */
  private async loadDense(): Promise<DenseFileLoad> {
    const { modelId, dimension } = this.embedder!;
    const started = performance.now();
    const loaded = await loadDenseWithFile({
      store: this.store,
      modelId,
      dimension,
      precision: this.config.precision,
      pcaDimensions: this.config.pcaDimensions,
      log: this.log,
      path: this.vectorFilePath,
      prefetched: this.takePrefetch(),
      onSaveError: (error) => this.noteVectorFileError(error),
    });
    if (loaded.saved) this.vectorFileGeneration = loaded.generation;
    const problem = loaded.fileProblem;
    // A file behind this session's own writes is expected; any other rebuild of a non-empty index is news.
    if (problem && loaded.index.size > 0 && !(this.wroteVectors && problem.reason !== 'damaged')) {
      const what = problem.reason === 'missing' ? `The vector file ${this.vectorFilePath} did not exist (a cache from an earlier version)` : `The vector file ${this.vectorFilePath} was not usable: ${problem.detail}`;
      this.log(`${what}; rebuilt it from the ${loaded.index.size} vectors in the cache in ${Math.round(performance.now() - started)} ms${loaded.saved ? '' : ' (not saved)'}`);
    }
    return loaded;
  }

  /**
   * Brings the vector file up to date with this session's writes: from the dense
   * index in memory when it is current, otherwise (`disposing`: an index run that
   * never searched, as the CLI's) straight from the store's rows, a block at a time.
   */
  private async saveVectorFile(disposing: boolean): Promise<void> {
    if (this.vectorFileTimer) clearTimeout(this.vectorFileTimer);
    this.vectorFileTimer = null;
    // One save at a time, in order: an earlier save never lands over a later one.
    const previous = this.vectorFileSave;
    const save = (async () => {
      await previous;
      await this.saveVectorFileNow(disposing);
    })();
    this.vectorFileSave = save;
    try {
      await save;
    } finally {
      if (this.vectorFileSave === save) this.vectorFileSave = null;
    }
  }

  private async saveVectorFileNow(disposing: boolean): Promise<void> {
    if (!this.embedder || !this.wroteVectors || this.vectorFileFailed) return;
    try {
      const current = await this.store.vectorGeneration();
      if (this.vectorFileGeneration === current) return;
      // Mid-batch the index holds part of a batch: it is saved after the batch (the run reschedules the save).
      if (this.dense && this.denseSettings && this.denseGeneration === current && this.denseUpdates === 0) {
        // At dispose nothing else runs: the rows are written as they are. Otherwise they are copied at once,
        // so index runs and searches go on while the file is written on the I/O threads.
        const onError = (error: Error) => this.noteVectorFileError(error);
        const saved = disposing ? saveDenseFile(this.vectorFilePath, this.embedder.modelId, this.dense, this.denseSettings, current, onError) : await saveDenseFileAsync(this.vectorFilePath, this.embedder.modelId, this.dense, this.denseSettings, current, onError);
        if (saved) this.vectorFileGeneration = current;
      } else if (disposing && !this.dense && !this.denseLoading) {
        const { modelId, dimension } = this.embedder;
        const written = await writeDenseFileFromStore({ store: this.store, modelId, dimension, precision: this.config.precision, pcaDimensions: this.config.pcaDimensions, log: this.log, path: this.vectorFilePath, onSaveError: (error) => this.noteVectorFileError(error) });
        if (written) this.vectorFileGeneration = written.generation;
      }
    } catch (error) {
      // Saving is an optimisation: a damaged cache is found and recovered by the next read.
      this.log(`Could not save the vector file ${this.vectorFilePath}: ${(error as Error).message}`);
    }
  }

  private takePrefetch(): Promise<PrefetchedVectorFile | null> | null {
    const prefetch = this.vectorPrefetch;
    this.vectorPrefetch = null;
    return prefetch;
  }

  /** Saves the file a few seconds after the last index run of a burst (a watcher's edits), not after every one. */
  private scheduleVectorFileSave(): void {
    if (this.vectorFileTimer) clearTimeout(this.vectorFileTimer);
    this.vectorFileTimer = setTimeout(() => {
      this.vectorFileTimer = null;
      if (!this.indexing) void this.saveVectorFile(false);
    }, VECTOR_FILE_SAVE_DELAY_MS);
    this.vectorFileTimer.unref();
  }

  private noteVectorFileError(error: Error): void {
    if (this.vectorFileFailed) return;
    this.vectorFileFailed = true;
    this.log(`Could not save the vector file ${this.vectorFilePath} (${error.message}); searches still work, each start reads the vectors from the cache instead`);
  }

  private async applyBatch(result: BatchWriteResult, written: ReadonlyMap<string, Buffer>): Promise<void> {
    this.fileIndex = null;
    this.lexical.apply(result.lexical);
    if (!result.generation || result.generation.previous !== result.generation.current) this.wroteVectors = true;
    if (this.vectorStream) {
      // A dense index loaded during the run (a search) is saved from memory: the stream would read the same vectors again for nothing.
      if (this.dense || this.denseLoading) this.abortVectorStream();
      else this.queueStreamAppend(this.vectorStream, result, written);
    }
    if (!this.dense && !this.denseLoading) await this.readDenseBefore(result);
    const dense = this.dense;
    if (!dense) {
      if (this.denseLoading) this.batchesDuringLoad.push({ result, written });
      return;
    }
    this.denseGeneration = generationAfter(this.denseGeneration, [result.generation]);
    await this.applyToDense(dense, result, written);
  }

  /**
   * At an index run's first change: the dense index from the vector file that was current when the run
   * started, as the copy of the state just before this batch (`applyBatch` then applies the batch).
   * Nothing when the batch did not start from that state, or the file is not its copy after all.
   */
  private async readDenseBefore(result: BatchWriteResult): Promise<void> {
    const at = this.vectorFileAtRunStart;
    const change = result.generation;
    if (!this.embedder || at === null || !change || change.previous !== at || change.current === at) return;
    this.vectorFileAtRunStart = null;
    const { modelId, dimension } = this.embedder;
    const loaded = await loadDenseFromFile({ store: this.store, modelId, dimension, precision: this.config.precision, pcaDimensions: this.config.pcaDimensions, log: this.log, path: this.vectorFilePath }, at);
    // A search that began loading meanwhile reads the store, this batch included: its index wins.
    if (!loaded || this.dense || this.denseLoading) return;
    this.dense = loaded.index;
    this.denseSettings = loaded.settings;
    this.denseGeneration = at;
    this.vectorFileGeneration = at;
  }

  private async applyToDense(dense: DenseIndex, result: BatchWriteResult, written: ReadonlyMap<string, Buffer>): Promise<void> {
    this.denseUpdates++;
    try {
      for (const id of result.removedChunkIds) dense.remove(id);
      const blobs = await this.vectorsOfAdded(result, written);
      for (const chunk of result.addedChunks) {
        const blob = blobs.get(chunk.contentHash);
        if (blob) dense.add(chunk.id, chunk.fileId, blob);
      }
    } finally {
      this.denseUpdates--;
    }
  }

  /**
   * The vectors of a batch's added chunks by content hash: those it wrote, and those it reused from
   * the cache (read back, on the lookup connection when `committed`: beside the next batch's writes).
   */
  private async vectorsOfAdded(result: BatchWriteResult, written: ReadonlyMap<string, Buffer>, committed = false): Promise<ReadonlyMap<string, Buffer>> {
    const needed = [...new Set(result.addedChunks.filter((chunk) => !written.has(chunk.contentHash)).map((chunk) => chunk.contentHash))];
    if (needed.length === 0 || !this.modelId) return written;
    const blobs = new Map(written);
    const reused = committed ? await this.store.committedVectorsFor(this.modelId, needed) : await this.store.vectorsFor(this.modelId, needed);
    for (const [hash, blob] of reused) blobs.set(hash, blob);
    return blobs;
  }

  /**
   * Appends a committed batch to the streamed vector file after the ones before it, without holding up
   * the next batch's write: the write chain is a cold index's critical path (measured: appending in the
   * chain took back half of what the stream saved at the end).
   */
  private queueStreamAppend(stream: VectorFileStream, result: BatchWriteResult, written: ReadonlyMap<string, Buffer>): void {
    this.streamAppends = this.streamAppends.then(async () => {
      try {
        const blobs = await this.vectorsOfAdded(result, written, true);
        stream.append({ generation: result.generation, removedChunkIds: result.removedChunkIds, rows: result.addedChunks.map((chunk) => ({ id: chunk.id, fileId: chunk.fileId, blob: blobs.get(chunk.contentHash) })) });
      } catch {
        stream.abort(); // the store writes the file at the end instead
      }
    });
  }

  /**
   * A first index run (an empty store) writes the vector file as it commits instead of reading every
   * vector back afterwards (engine/vectorfile/vectorFileStream.ts). Not with PCA, which is fitted on the stored vectors.
   */
  private async startVectorStream(): Promise<VectorFileStream | null> {
    if (this.vectorFileFailed || this.config.pcaDimensions > 0 || (await this.store.hasFiles())) return null;
    const { modelId, dimension } = this.embedder!;
    const settings = await resolveDenseSettings({ store: this.store, modelId, dimension, precision: this.config.precision, pcaDimensions: this.config.pcaDimensions, log: this.log });
    return VectorFileStream.start(this.vectorFilePath, modelId, settings, await this.store.vectorGeneration(), (error) => this.noteVectorFileError(error));
  }

  /** The streamed vector file, as the copy of the store's state after the run (or nothing, if the stream could not follow it). */
  private async finishVectorStream(): Promise<void> {
    const stream = this.vectorStream;
    if (!stream) return;
    this.vectorStream = null;
    await this.streamAppends;
    // A dense index loaded during the run (a search) is current too, and saved from memory.
    if (this.dense || this.denseLoading) {
      stream.abort();
      return;
    }
    try {
      const current = await this.store.vectorGeneration();
      if (stream.finish(current)) this.vectorFileGeneration = current;
    } catch (error) {
      stream.abort();
      this.noteVectorFileError(error as Error);
    }
  }

  private abortVectorStream(): void {
    this.vectorStream?.abort();
    this.vectorStream = null;
  }

  private async noteModel(embedder: Embedder): Promise<void> {
    const { modelId, legacyModelId } = embedder;
    const previous = await this.store.getMeta('model_id');
    if (previous === modelId) return;
    if (previous && previous === legacyModelId) {
      // Same weights, id computed before it covered the manifest and tokenizer: keep the vectors (those of the
      // model's width; others were made under a manifest that disagreed with the graph) instead of re-embedding.
      const kept = await this.store.renameModelVectors(previous, modelId, embedder.manifest.dimension);
      this.log(`Model id ${previous} is now ${modelId} (it covers the manifest and tokenizer too); ${kept} vectors kept`);
    } else if (previous) {
      this.log(`Model changed from ${previous} to ${modelId}: chunks will be re-embedded on the next index`);
    }
    await this.store.setMeta('model_id', modelId);
  }

}

/** The model side of the engine's state: which recovery mode, and which level of the chain is serving. */
interface ModelRecovery {
  readonly mode: 'throw' | 'lexical' | 'fallback';
  readonly fallbackModelDir: string | null;
  /** The model directory in use; null when lexical-only. */
  activeModelDir: string | null;
  fallback: ModelFallback | null;
}

const QUICK_CHECK_INTERVAL_MS = 24 * 3600 * 1000;

/** Quiet time after an index run before the vector file is rewritten from memory. */
const VECTOR_FILE_SAVE_DELAY_MS = 5000;

/** Keeps the damaged file (and its WAL) beside the cache for inspection; returns the one message that says so. */
function moveCorruptCacheAside(cachePath: string, error: CacheCorruptionError): string {
  const aside = `${cachePath}.corrupt-${Date.now()}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(cachePath + suffix)) renameSync(cachePath + suffix, aside + suffix);
  const why = error.message.replace(/^The index cache is corrupt \([^)]*\):\s*/, '');
  return `The index cache was corrupt and has been rebuilt; the damaged file was moved to ${aside} (${why}).`;
}

const QUERY_RETRY = { maxAttempts: 2, baseDelayMs: 50, factor: 2, maxDelayMs: 500, jitter: 0, seed: 1 };

function loadEmbedder(config: EngineConfig, modelDir: string, log: (message: string) => void): Promise<Embedder> {
  // The configured model must lie in the configured model folders; a fallback is the bundled default or the caller's own choice.
  const roots = modelDir === config.modelDir ? { modelRoots: config.modelRoots } : {};
  return Embedder.load(modelDir, { device: config.device, intraOpThreads: 1, maxBatchSize: 32, maxBatchTokens: 16384, dimensions: config.dimensions, ...roots, log });
}

/** The chain's second level for a configured model: none when it is that model already. */
function fallbackFor(modelDir: string | null, options: OpenOptions): string | null {
  if (!modelDir || options.onModelError !== 'fallback') return null;
  let fallback = options.fallbackModelDir;
  if (fallback === undefined) {
    try {
      fallback = defaultModelDir();
    } catch {
      fallback = null;
    }
  }
  return fallback && resolve(fallback) !== resolve(modelDir) ? resolve(fallback) : null;
}

async function loadFallback(config: EngineConfig, recovery: ModelRecovery, reason: string, log: (message: string) => void): Promise<{ embedder: Embedder | null; reason: string }> {
  if (!recovery.fallbackModelDir) return { embedder: null, reason };
  try {
    const embedder = await loadEmbedder(config, recovery.fallbackModelDir, log);
    log(`Using the default model ${embedder.modelId} instead of ${config.modelDir}: ${reason}`);
    return { embedder, reason };
  } catch (error) {
    return { embedder: null, reason: `${reason}; the default model ${recovery.fallbackModelDir} failed too: ${(error as Error).message}` };
  }
}

export function isCodeGraphError(error: unknown): error is CodeGraphError {
  return error instanceof CodeGraphError;
}
