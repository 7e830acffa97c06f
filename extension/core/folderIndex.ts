/**
 * One workspace folder's index: the engine's lifecycle (open, index, reopen on
 * settings changes, clear, dispose), change batching with pause/resume, and a
 * snapshot of its state for the status bar. Pure: no `vscode` import, so unit
 * tests drive it against the real engine.
 */
import { rm } from 'node:fs/promises';
import type { CodeGraph, EngineConfigInput, EngineStatus, IndexProgress, IndexSummary, ModelFallback, OpenOptions, SearchHit, SearchOptions } from '../../engine/index.js';
import { isIgnoreFilePath } from '../../engine/discovery/rules.js';
import { ChangeCoalescer } from '../../engine/watch/coalescer.js';
import type { DisposableLike } from './disposable.js';
import { Emitter } from './emitter.js';
import { EngineUnavailableError } from './errors.js';
import { describeError, type Logger } from './logger.js';

/** The engine surface the extension uses; `CodeGraph` provides it. */
export type FolderEngine = Pick<CodeGraph, 'index' | 'search' | 'similar' | 'status' | 'dispose' | 'config' | 'store' | 'warmUp'>;

export type EngineOpener = (input: EngineConfigInput, options: OpenOptions) => Promise<FolderEngine>;

export interface FolderRef {
  /** Stable key, the folder's URI string. */
  readonly key: string;
  readonly name: string;
  /** Absolute file-system path. */
  readonly root: string;
}

/** What the folder is doing now; the status bar maps this union to text and colour. */
export type FolderActivity =
  | { readonly kind: 'opening' }
  | { readonly kind: 'indexing'; readonly phase: 'discovering' | 'indexing' | 'done'; readonly filesDone: number; readonly filesTotal: number; readonly reason: 'full' | 'changes' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'paused'; readonly pendingChanges: number; readonly fullIndexPending: boolean }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'disposed' };

export interface FolderSnapshot {
  readonly folder: FolderRef;
  readonly activity: FolderActivity;
  readonly files: number;
  readonly chunks: number;
  readonly modelId: string | null;
  readonly serviceLevel: 'hybrid' | 'lexical-only';
  /** Cosine above which the active model calls code similar (from its manifest); null when lexical-only. */
  readonly similarityThreshold: number | null;
  /** Why the model is not in use, when it failed to load. */
  readonly modelError: string | null;
  /** Set while the engine serves from a lower level of its recovery chain than the configured model. */
  readonly modelFallback?: ModelFallback | null;
  /** Notes from model resolution (a missing precision build, an unknown id). */
  readonly modelNotes: readonly string[];
  /** Bumped whenever the index content may have changed; caches key on it. */
  readonly generation: number;
  readonly lastSummary: IndexSummary | null;
}

export interface FolderIndexOptions {
  readonly folder: FolderRef;
  readonly open: EngineOpener;
  readonly log: Logger;
  /** Change batching: wait for this much quiet, but never longer than `maxWaitMs`. */
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
}

/** Engine input plus the notes that explain how the model folder was chosen. */
export interface FolderEngineSettings {
  readonly input: EngineConfigInput;
  readonly modelNotes: readonly string[];
}

export class FolderIndex implements DisposableLike {
  readonly folder: FolderRef;
  readonly #options: FolderIndexOptions;
  readonly #changes: ChangeCoalescer;
  readonly #onDidChange = new Emitter<FolderSnapshot>();
  readonly onDidChange = this.#onDidChange.event;

  #engine: FolderEngine | null = null;
  #opening: Promise<void> | null = null;
  /** Lifecycle operations (open, reopen, clear, dispose) run one after another. */
  #lifecycle: Promise<void> = Promise.resolve();
  #openError: string | null = null;
  #runError: string | null = null;
  #paused = false;
  #fullIndexPending = false;
  #fullRun: AbortController | null = null;
  #activeRuns = 0;
  #progress: Extract<FolderActivity, { kind: 'indexing' }> | null = null;
  #disposed = false;
  #status: EngineStatus | null = null;
  #modelNotes: readonly string[] = [];
  #generation = 0;
  #lastSummary: IndexSummary | null = null;

  constructor(options: FolderIndexOptions) {
    this.folder = options.folder;
    this.#options = options;
    this.#changes = new ChangeCoalescer((paths) => this.#indexChanges(paths), options.quietMs ?? 300, options.maxWaitMs ?? 2000);
  }

  get engine(): FolderEngine | null {
    return this.#engine;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Opens the engine with these settings and indexes the folder (unless paused). */
  start(settings: FolderEngineSettings): Promise<void> {
    return this.#enqueue(async () => {
      await this.#closeEngine();
      await this.#openEngine(settings);
    });
  }

  /** Reopens with new settings; a new model id means every chunk is re-embedded. */
  reconfigure(settings: FolderEngineSettings): Promise<void> {
    return this.start(settings);
  }

  /** Deletes the folder's cache and rebuilds it from the sources. */
  clear(settings: FolderEngineSettings): Promise<void> {
    return this.#enqueue(async () => {
      const cacheDir = this.#engine?.config.cacheDir;
      await this.#closeEngine();
      if (cacheDir) {
        await rm(cacheDir, { recursive: true, force: true });
        this.#options.log.info(`[${this.folder.name}] Cleared the index cache at ${cacheDir}`);
      }
      this.#lastSummary = null;
      await this.#openEngine(settings);
    });
  }

  /** Records a changed, created or deleted path (workspace-relative, `/`-separated). */
  notifyChanged(relativePath: string): void {
    if (this.#disposed || relativePath === '' || relativePath.startsWith('../')) return;
    this.#changes.add(relativePath);
    if (this.#paused) this.#emit();
  }

  /** Holds every change until `resume`; a running full index stops and restarts then. */
  pause(): void {
    if (this.#paused || this.#disposed) return;
    this.#paused = true;
    this.#changes.pause();
    if (this.#fullRun) {
      this.#fullIndexPending = true;
      this.#fullRun.abort();
    }
    this.#options.log.info(`[${this.folder.name}] Indexing paused`);
    this.#emit();
  }

  resume(): void {
    if (!this.#paused || this.#disposed) return;
    this.#paused = false;
    this.#options.log.info(`[${this.folder.name}] Indexing resumed (${this.#changes.pendingCount} changes held${this.#fullIndexPending ? ', full index pending' : ''})`);
    if (this.#fullIndexPending && this.#engine) void this.#runFullIndex();
    this.#changes.resume();
    this.#emit();
  }

  /** Walks the whole folder again; unchanged files are skipped cheaply. */
  async reindex(): Promise<IndexSummary | null> {
    await this.#lifecycle;
    return this.#runFullIndex();
  }

  /** Resolves once every change recorded so far has been indexed (tests, commands). */
  async flushChanges(): Promise<void> {
    await this.#changes.flush();
  }

  async search(query: string, options: Partial<SearchOptions>): Promise<SearchHit[]> {
    return (await this.#ready()).search(query, options);
  }

  async similar(relativePath: string, line: number, options: Partial<SearchOptions>): Promise<{ origin: SearchHit; hits: SearchHit[] }> {
    return (await this.#ready()).similar(relativePath, line, options);
  }

  /** The indexed chunks of one file, in source order (for CodeLens). */
  async chunksOfFile(relativePath: string): Promise<Awaited<ReturnType<FolderEngine['store']['chunksOfFile']>>> {
    return (await this.#ready()).store.chunksOfFile(relativePath);
  }

  /** Fresh engine status (counts, metrics, model), or null while no engine is open. */
  async status(): Promise<EngineStatus | null> {
    if (!this.#engine) return null;
    this.#status = await this.#engine.status();
    return this.#status;
  }

  snapshot(): FolderSnapshot {
    const status = this.#status;
    return {
      folder: this.folder,
      activity: this.#activity(),
      files: status?.counts.files ?? 0,
      chunks: status?.counts.chunks ?? 0,
      modelId: status?.modelId ?? null,
      serviceLevel: status?.serviceLevel ?? 'lexical-only',
      similarityThreshold: status?.similarityThreshold ?? null,
      modelError: status?.modelError ?? null,
      modelFallback: status?.modelFallback ?? null,
      modelNotes: this.#modelNotes,
      generation: this.#generation,
      lastSummary: this.#lastSummary,
    };
  }

  /**
   * Resolves once nothing is opening or indexing and no unpaused change is
   * waiting: the state a command or a test can read results from.
   */
  async whenSettled(): Promise<FolderSnapshot> {
    for (;;) {
      await this.#lifecycle;
      const snapshot = this.snapshot();
      const busy = snapshot.activity.kind === 'opening' || snapshot.activity.kind === 'indexing' || (!this.#paused && this.#changes.pendingCount > 0);
      if (!busy || this.#disposed) return snapshot;
      await new Promise<void>((resolve) => {
        const subscription = this.onDidChange(() => {
          subscription.dispose();
          resolve();
        });
      });
    }
  }

  /** Stops indexing and closes the engine; resolves when its resources are released. */
  async close(): Promise<void> {
    if (this.#disposed) return this.#lifecycle;
    this.#disposed = true;
    this.#changes.dispose();
    this.#fullRun?.abort();
    this.#lifecycle = this.#lifecycle.then(() => this.#closeEngine());
    await this.#lifecycle;
    this.#emit();
    this.#onDidChange.dispose();
  }

  dispose(): void {
    void this.close().catch((error: unknown) => this.#options.log.error(`[${this.folder.name}] Closing the engine failed`, error));
  }

  #activity(): FolderActivity {
    if (this.#disposed) return { kind: 'disposed' };
    if (this.#opening) return { kind: 'opening' };
    if (this.#openError) return { kind: 'failed', message: this.#openError };
    if (this.#activeRuns > 0 && this.#progress) return this.#progress;
    if (this.#paused) return { kind: 'paused', pendingChanges: this.#changes.pendingCount, fullIndexPending: this.#fullIndexPending };
    if (this.#runError) return { kind: 'failed', message: this.#runError };
    return { kind: 'idle' };
  }

  #emit(): void {
    this.#onDidChange.fire(this.snapshot());
  }

  #enqueue(operation: () => Promise<void>): Promise<void> {
    const run = this.#lifecycle.then(() => (this.#disposed ? undefined : operation()));
    // A failed operation is reported by its caller; later ones still run.
    this.#lifecycle = run.catch(() => undefined);
    return run;
  }

  async #openEngine(settings: FolderEngineSettings): Promise<void> {
    const log = this.#options.log;
    let resolveOpening!: () => void;
    this.#opening = new Promise((resolve) => (resolveOpening = resolve));
    this.#openError = null;
    this.#runError = null;
    this.#modelNotes = settings.modelNotes;
    for (const note of settings.modelNotes) log.warn(`[${this.folder.name}] ${note}`);
    this.#emit();
    try {
      const started = performance.now();
      this.#engine = await this.#options.open(settings.input, { onModelError: 'fallback', log: (message) => log.info(`[${this.folder.name}] ${message}`) });
      this.#status = await this.#engine.status();
      log.info(`[${this.folder.name}] Engine opened in ${Math.round(performance.now() - started)} ms: model ${this.#status.modelId ?? 'none (lexical-only)'}, cache ${this.#status.cachePath}`);
      if (this.#status.modelError) log.warn(`[${this.folder.name}] Model failed to load; search is lexical-only: ${this.#status.modelError}`);
      if (this.#status.recoveredFromCorruption) log.warn(`[${this.folder.name}] ${this.#status.recoveredFromCorruption}`);
      // Started before `opening` clears, so the state goes straight from opening to indexing.
      if (this.#paused) this.#fullIndexPending = true;
      else void this.#runFullIndex();
    } catch (error) {
      this.#engine = null;
      this.#openError = describeError(error);
      log.error(`[${this.folder.name}] The engine failed to open`, error);
    } finally {
      this.#opening = null;
      resolveOpening();
      this.#generation++;
      this.#emit();
    }
  }

  async #closeEngine(): Promise<void> {
    const engine = this.#engine;
    if (!engine) return;
    this.#fullRun?.abort();
    this.#engine = null;
    this.#status = null;
    try {
      await engine.dispose();
    } catch (error) {
      this.#options.log.error(`[${this.folder.name}] Disposing the engine failed`, error);
    }
  }

  async #ready(): Promise<FolderEngine> {
    if (this.#opening) await this.#opening;
    if (this.#engine) return this.#engine;
    throw new EngineUnavailableError(this.folder.name, this.#disposed ? 'the folder was closed' : (this.#openError ?? 'it has not been opened yet'));
  }

  async #runFullIndex(): Promise<IndexSummary | null> {
    const engine = this.#engine;
    if (!engine || this.#disposed) return null;
    if (this.#paused) {
      this.#fullIndexPending = true;
      this.#emit();
      return null;
    }
    this.#fullRun?.abort();
    const controller = new AbortController();
    this.#fullRun = controller;
    this.#fullIndexPending = false;
    try {
      const summary = await this.#run(engine, 'full', (onProgress) => engine.index({ signal: controller.signal, onProgress }));
      // Edits follow: load every indexed language's grammar in each worker, and the dense index, now
      // rather than in the first edit (it never throws; a failure is logged and retried by that edit).
      if (summary && !summary.interrupted && engine === this.#engine) void engine.warmUp();
      return summary;
    } finally {
      if (this.#fullRun === controller) this.#fullRun = null;
    }
  }

  /** The coalescer's flush: never throws, since nobody awaits it but the coalescer. */
  async #indexChanges(paths: string[]): Promise<void> {
    const engine = this.#engine;
    // Without an engine a full index follows its opening, which reads the disk afresh.
    if (!engine || this.#disposed) {
      if (!this.#disposed) this.#emit();
      return;
    }
    // An edited ignore file changes what is indexed anywhere below it: only a full walk adds what it reveals and drops what it hides.
    const ignoreFile = paths.find(isIgnoreFilePath);
    if (ignoreFile) {
      this.#options.log.info(`[${this.folder.name}] ${ignoreFile} changed; re-walking the folder with the new rules`);
      await this.#runFullIndex();
      return;
    }
    this.#options.log.debug(`[${this.folder.name}] Indexing ${paths.length} changed paths: ${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''}`);
    await this.#run(engine, 'changes', (onProgress) => engine.index({ paths, onProgress }));
  }

  async #run(engine: FolderEngine, reason: 'full' | 'changes', index: (onProgress: (progress: IndexProgress) => void) => Promise<IndexSummary>): Promise<IndexSummary | null> {
    this.#activeRuns++;
    this.#progress = { kind: 'indexing', phase: 'discovering', filesDone: 0, filesTotal: 0, reason };
    this.#emit();
    const log = this.#options.log;
    try {
      const summary = await index((progress) => {
        this.#progress = { kind: 'indexing', reason, ...progress };
        this.#emit();
      });
      this.#runError = null;
      this.#lastSummary = summary;
      if (summary.filesChanged > 0 || summary.filesDeleted > 0 || summary.chunksEmbedded > 0) this.#generation++;
      log.info(
        `[${this.folder.name}] Indexed (${reason}): ${summary.filesChanged} changed, ${summary.filesDeleted} deleted, ${summary.filesUnchanged} unchanged, ` +
          `${summary.filesSkipped} skipped; ${summary.chunksEmbedded} chunks embedded, ${summary.vectorsReused} reused; ${summary.chunksTotal} chunks in ${Math.round(summary.durationMs)} ms`,
      );
      if (engine === this.#engine) this.#status = await engine.status();
      return summary;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'CANCELLED') {
        log.info(`[${this.folder.name}] Indexing stopped (${reason})`);
        if (reason === 'full' && engine === this.#engine && !this.#disposed) this.#fullIndexPending = true;
      } else if (engine === this.#engine) {
        this.#runError = describeError(error);
        log.error(`[${this.folder.name}] Indexing failed (${reason})`, error);
      }
      return null;
    } finally {
      this.#activeRuns--;
      if (this.#activeRuns === 0) this.#progress = null;
      if (!this.#disposed) this.#emit();
    }
  }
}
