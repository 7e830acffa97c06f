import { isIgnoreFilePath, WorkspaceRules } from '../discovery/rules.js';
import type { DiscoveredFile, SkippedFile, SkipReason } from '../discovery/types.js';
import { checkPath, countSkipped, discoverFiles } from '../discovery/walk.js';
import type { ChunkingOptions } from '../parsing/chunk.js';
import type { AnalyzedFile } from '../pool/protocol.js';
import type { WorkerPool } from '../pool/pool.js';
import { readQuarantine, stillQuarantined, writeQuarantine, type QuarantineEntry } from '../pool/quarantine.js';
import type { BatchWriteResult, FileTouch, FileUpdate, StoredFile, VectorWrite } from '../store/records.js';
import type { WorkspaceStore } from '../store/store.js';
import type { EngineConfig } from '../config/config.js';

const FILES_PER_ANALYZE_TASK = 16;
/**
 * How much work one batch aims at. A kill or Ctrl-C loses the batches in flight, not
 * yet committed, so batches are sized from the measured commit rate to about this
 * long, and never more than `batchFiles`. Each commit costs a transaction and a
 * reference pass, and a short batch leaves workers idle at its end: on fastapi, 2 s
 * cost no more than count-sized batches (within run-to-run noise), 1 s no better.
 */
export const COMMIT_INTERVAL_MS = 2000;

export interface IndexProgress {
  readonly phase: 'discovering' | 'indexing' | 'done';
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly chunksEmbedded: number;
  /** Files read and chunked by the workers so far: ahead of filesDone, which counts files written. */
  readonly filesAnalyzed?: number;
}

export interface IndexSummary {
  readonly filesDiscovered: number;
  /** Unchanged by size and mtime, or by content hash. */
  readonly filesUnchanged: number;
  readonly filesChanged: number;
  readonly filesDeleted: number;
  readonly filesSkipped: number;
  readonly skippedByReason: Partial<Record<SkipReason, number>>;
  readonly skipped: SkippedFile[];
  /** Chunks in the files that were (re)analysed. */
  readonly chunksAnalyzed: number;
  readonly chunksEmbedded: number;
  /** Chunks of (re)analysed files whose vector was already cached (same content elsewhere or before). */
  readonly vectorsReused: number;
  /** Chunks in the index after the run. */
  readonly chunksTotal: number;
  /** Share of the index's chunks served from cache rather than embedded in this run. */
  readonly cacheHitRatio: number;
  readonly dependentFiles: number;
  readonly refreshedReferences: number;
  readonly durationMs: number;
  /** Wall time the coordinator spent waiting on each phase (phases overlap across batches). */
  readonly phaseMs: { discover: number; analyze: number; lookup: number; embed: number; write: number; backfill: number };
  /** The run was stopped through `signal`: what was committed is kept, `filesPending` files were not reached. */
  readonly interrupted: boolean;
  readonly filesPending: number;
}

export interface IndexRunOptions {
  /**
   * Stops the run gracefully: no new batch is started, the batch in hand is embedded
   * and committed, and the summary comes back with `interrupted` set.
   */
  readonly signal?: AbortSignal;
  /** Target work per committed batch (default COMMIT_INTERVAL_MS). */
  readonly commitIntervalMs?: number;
  readonly onProgress?: (progress: IndexProgress) => void;
  /** Only these workspace-relative paths (from file events); otherwise the whole tree is walked. */
  readonly paths?: readonly string[];
  /**
   * Update only files of these languages (`index --lang`): others are neither
   * added, updated nor removed, so a selection never deletes what it did not
   * select. Unlike `discovery.languages`, which is the workspace's rule.
   */
  readonly languages?: readonly string[];
}

export interface IndexerDeps {
  readonly config: EngineConfig;
  readonly store: WorkspaceStore;
  readonly pool: WorkerPool;
  /** Null in lexical-only mode: nothing is embedded. */
  readonly modelId: string | null;
  readonly chunking: ChunkingOptions;
  readonly rules: WorkspaceRules;
  /** Called after each committed batch, with the vectors it wrote, to update in-memory indexes. */
  /** `files`: the paths whose chunks the batch replaced, and those it removed (absent for vector backfills). */
  readonly onBatchCommitted?: (result: BatchWriteResult, written: ReadonlyMap<string, Buffer>, files?: { readonly indexed: readonly string[]; readonly removed: readonly string[] }) => Promise<void>;
  readonly onEmbedLatency?: (milliseconds: number, texts: number) => void;
}

/**
 * Narrows one run to a language selection: files of other languages leave the
 * run, and stored files of other languages are kept (neither reported as
 * skipped nor removed) whatever discovery said about them.
 */
function selectLanguages(
  discovered: { files: DiscoveredFile[]; skipped: SkippedFile[]; deleted: string[] },
  stored: ReadonlyMap<string, StoredFile>,
  selection: ReadonlySet<string>,
): { files: DiscoveredFile[]; skipped: SkippedFile[]; deleted: string[] } {
  const outside = (path: string) => {
    const known = stored.get(path);
    return known !== undefined && !selection.has(known.language);
  };
  return {
    files: discovered.files.filter((file) => selection.has(file.language)),
    skipped: discovered.skipped.filter((entry) => !outside(entry.path)),
    deleted: discovered.deleted.filter((path) => !outside(path)),
  };
}

/**
 * The indexing pipeline: discover → stat fast path → analyse in workers →
 * embed only new content hashes → write one transaction per batch. The next
 * batch's analysis is queued before the current batch is embedded and written,
 * so the workers stay busy while the main thread writes.
 */
export class Indexer {
  private readonly phaseMs = { discover: 0, analyze: 0, lookup: 0, embed: 0, write: 0, backfill: 0 };

  constructor(private readonly deps: IndexerDeps) {}

  async run(options: IndexRunOptions = {}): Promise<IndexSummary> {
    const started = performance.now();
    const { store, config } = this.deps;
    options.onProgress?.({ phase: 'discovering', filesDone: 0, filesTotal: 0, chunksEmbedded: 0 });
    // An update for a few paths (file events) reads only their rows; a full run reads them all.
    const stored = options.paths ? await store.filesAt(options.paths) : await store.files();
    const discovered = options.paths ? await this.checkPaths(options.paths, stored) : await this.walk(stored);
    const { files, skipped, deleted } = options.languages?.length ? selectLanguages(discovered, stored, new Set(options.languages)) : discovered;
    this.phaseMs.discover += performance.now() - started;

    const changedFiles = files.filter((file) => {
      const known = stored.get(file.path);
      return !known || known.size !== file.size || known.mtimeMs !== file.mtimeMs;
    });
    // Files that crashed workers in an earlier run stay out until their content changes.
    const quarantine = await readQuarantine(store);
    let released = false;
    const candidates: DiscoveredFile[] = [];
    for (const file of changedFiles) {
      const entry = quarantine.get(file.path);
      if (entry && (await stillQuarantined(file.absolutePath, entry))) {
        skipped.push({ path: file.path, reason: 'quarantined', detail: entry.detail });
        continue;
      }
      candidates.push(file);
      released = quarantine.delete(file.path) || released;
    }
    // Files that were indexed but are now skipped (grew too large, became binary) leave the index.
    const toDelete = new Set(deleted);
    for (const entry of skipped) if (stored.has(entry.path)) toDelete.add(entry.path);

    const totals = { unchanged: files.length - changedFiles.length, changed: 0, analyzed: 0, embedded: 0, reused: 0, dependents: 0, refreshed: 0 };
    const skippedAll = [...skipped];
    // Batches are cut as the run goes, each sized to about one commit interval of work.
    const pacer = new CommitPacer(config.batchFiles, Math.min(config.batchFiles, FILES_PER_ANALYZE_TASK * config.workers), options.commitIntervalMs ?? COMMIT_INTERVAL_MS);
    let offset = 0;
    const takeBatch = (): DiscoveredFile[] | null => {
      if (offset >= candidates.length) return null;
      const batch = candidates.slice(offset, offset + pacer.nextBatchFiles());
      offset += batch.length;
      return batch;
    };

    let filesDone = 0;
    let interrupted = false;
    let filesAnalyzed = 0;
    const report = () => options.onProgress?.({ phase: 'indexing', filesDone, filesTotal: candidates.length, chunksEmbedded: totals.embedded, filesAnalyzed });
    const countAnalyzed = (files: number) => {
      filesAnalyzed += files;
      report();
    };
    report();
    let current = takeBatch() ?? (toDelete.size > 0 ? [] : null);
    let pendingAnalysis = current ? this.analyzeBatch(current, stored, countAnalyzed) : null;
    // Writes run in order behind the embedding of later batches (SQLite works off the JS thread);
    // hashes embedded but not yet written count as present, so nothing is embedded twice.
    const inFlightHashes = new Set<string>();
    const writes: Promise<void>[] = [];
    try {
      for (let index = 0; current; index++) {
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const waitStarted = performance.now();
        const analyzed = await pendingAnalysis!;
        this.phaseMs.analyze += performance.now() - waitStarted;
        // Stopped while this batch was analysed: embedding it would take as long again, so it waits for the next run.
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
        const batchFiles = current.length;
        current = takeBatch();
        pendingAnalysis = current ? this.analyzeBatch(current, stored, countAnalyzed) : null;
        const deletions = index === 0 ? [...toDelete] : [];
        const prepared = await this.prepareBatch(analyzed, deletions, skippedAll, stored, inFlightHashes);
        const previous = writes[writes.length - 1] ?? Promise.resolve();
        const write = previous.then(async () => {
          const writeStarted = performance.now();
          const result = await this.deps.store.writeBatch(this.deps.modelId ?? '', prepared.updates, prepared.removals, prepared.vectors, prepared.touches);
          if (prepared.quarantined.size > 0) {
            for (const [path, entry] of prepared.quarantined) quarantine.set(path, entry);
            await writeQuarantine(store, quarantine);
          }
          this.phaseMs.write += performance.now() - writeStarted;
          for (const vector of prepared.vectors) inFlightHashes.delete(vector.contentHash);
          await this.deps.onBatchCommitted?.(result, prepared.written, { indexed: prepared.updates.map((update) => update.path), removed: prepared.removals });
          totals.changed += prepared.updates.length;
          totals.unchanged += prepared.unchanged;
          totals.analyzed += prepared.analyzedChunks;
          totals.embedded += prepared.embedded;
          totals.reused += this.deps.modelId ? prepared.analyzedChunks - prepared.embedded : 0;
          totals.dependents += result.dependentFiles;
          totals.refreshed += result.refreshedReferences;
          filesDone += batchFiles;
          pacer.committed(batchFiles);
          report();
        });
        write.catch(() => undefined); // awaited below; this only keeps the rejection from going unhandled meanwhile
        writes.push(write);
        // Backpressure: at most two batches written behind the one being embedded.
        if (writes.length > 2) await writes[writes.length - 3];
      }
      await Promise.all(writes);
    } finally {
      await Promise.allSettled(writes);
      // After a failure the next batch may still be in the workers (which the engine may be closing): observe it.
      await pendingAnalysis?.catch(() => undefined);
    }
    if (released) await writeQuarantine(store, quarantine);
    if (pendingAnalysis) await pendingAnalysis.catch(() => undefined);
    // Chunks indexed under another model (or whose embedding failed before) get vectors now.
    // That scan covers the whole index, so runs for a few changed paths (an edit) skip it:
    // their own chunks were embedded above, and the next full run catches up.
    if (!options.paths && !interrupted) {
      const backfillStarted = performance.now();
      totals.embedded += await this.backfillVectors(options.signal);
      this.phaseMs.backfill += performance.now() - backfillStarted;
    }

    const counts = { chunks: await store.chunkCount() };
    const summary: IndexSummary = {
      filesDiscovered: files.length,
      filesUnchanged: totals.unchanged,
      filesChanged: totals.changed,
      filesDeleted: toDelete.size,
      filesSkipped: skippedAll.length,
      skippedByReason: countSkipped(skippedAll),
      skipped: skippedAll,
      chunksAnalyzed: totals.analyzed,
      chunksEmbedded: totals.embedded,
      vectorsReused: totals.reused,
      chunksTotal: counts.chunks,
      cacheHitRatio: counts.chunks === 0 ? 1 : Math.max(0, 1 - totals.embedded / counts.chunks),
      dependentFiles: totals.dependents,
      refreshedReferences: totals.refreshed,
      durationMs: performance.now() - started,
      phaseMs: Object.fromEntries(Object.entries(this.phaseMs).map(([phase, ms]) => [phase, Math.round(ms)])) as IndexSummary['phaseMs'],
      interrupted: interrupted || options.signal?.aborted === true,
      filesPending: candidates.length - filesDone,
    };
    options.onProgress?.({ phase: 'done', filesDone, filesTotal: candidates.length, chunksEmbedded: totals.embedded });
    return summary;
  }

  private async walk(stored: ReadonlyMap<string, StoredFile>): Promise<{ files: DiscoveredFile[]; skipped: SkippedFile[]; deleted: string[] }> {
    const { files, skipped } = await discoverFiles(this.deps.config.root, this.deps.config.discovery, this.deps.rules);
    const present = new Set(files.map((file) => file.path));
    for (const entry of skipped) present.add(entry.path);
    const deleted = [...stored.keys()].filter((path) => !present.has(path));
    return { files, skipped, deleted };
  }

  /** Checks only the given paths: what a file-system event names. */
  private async checkPaths(paths: readonly string[], stored: ReadonlyMap<string, StoredFile>): Promise<{ files: DiscoveredFile[]; skipped: SkippedFile[]; deleted: string[] }> {
    const files: DiscoveredFile[] = [];
    const skipped: SkippedFile[] = [];
    const deleted: string[] = [];
    const { root, discovery } = this.deps.config;
    if (paths.some(isIgnoreFilePath)) this.deps.rules.invalidate();
    for (const path of new Set(paths)) {
      const checked = await checkPath(root, path, discovery, this.deps.rules);
      if (checked.kind === 'gone') {
        // Gone: the file itself, or a directory whose files the store holds.
        if (stored.has(path)) deleted.push(path);
        const prefix = `${path}/`;
        for (const known of stored.keys()) if (known.startsWith(prefix)) deleted.push(known);
      } else if (checked.kind === 'skipped') {
        skipped.push(checked.entry);
      } else if (checked.kind === 'directory') {
        const nested = await discoverFiles(root, discovery, this.deps.rules, path).catch(() => ({ files: [], skipped: [] }));
        files.push(...nested.files);
      } else {
        files.push(checked.file);
      }
    }
    // A directory and a file inside it can both be named (a new folder's events): each file counts once.
    const unique = [...new Map(files.map((file) => [file.path, file])).values()];
    const present = new Set(unique.map((file) => file.path));
    return { files: unique, skipped, deleted: [...new Set(deleted)].filter((path) => !present.has(path)) };
  }

  private async analyzeBatch(batch: readonly DiscoveredFile[], stored: ReadonlyMap<string, StoredFile>, onAnalyzed: (files: number) => void = () => undefined): Promise<AnalyzedFile[]> {
    const tasks: Promise<AnalyzedFile[]>[] = [];
    for (let start = 0; start < batch.length; start += FILES_PER_ANALYZE_TASK) {
      const files = batch.slice(start, start + FILES_PER_ANALYZE_TASK).map((file) => ({
        path: file.path,
        absolutePath: file.absolutePath,
        language: file.language,
        knownHash: stored.get(file.path)?.contentHash ?? null,
      }));
      tasks.push(
        this.deps.pool.analyze({ files, chunking: this.deps.chunking }).then((result) => {
          onAnalyzed(files.length);
          return result.files;
        }),
      );
    }
    return (await Promise.all(tasks)).flat();
  }

  /** Sorts a batch's results and embeds the content hashes that have no vector yet. */
  private async prepareBatch(analyzed: readonly AnalyzedFile[], deletions: readonly string[], skipped: SkippedFile[], stored: ReadonlyMap<string, StoredFile>, inFlightHashes: Set<string>) {
    const updates: FileUpdate[] = [];
    const touches: FileTouch[] = [];
    const removals = [...deletions];
    const quarantined = new Map<string, QuarantineEntry>();
    let unchanged = 0;
    for (const file of analyzed) {
      if (file.status === 'unchanged') {
        touches.push({ path: file.path, size: file.size, mtimeMs: file.mtimeMs });
        unchanged++;
      } else if (file.status === 'skipped') {
        skipped.push({ path: file.path, reason: file.reason, detail: file.detail });
        if (stored.has(file.path)) removals.push(file.path);
        if (file.reason === 'quarantined' && file.contentHash) quarantined.set(file.path, { contentHash: file.contentHash, detail: file.detail, since: new Date().toISOString() });
      } else {
        updates.push({
          path: file.path,
          language: file.language,
          size: file.size,
          mtimeMs: file.mtimeMs,
          contentHash: file.contentHash,
          method: file.method,
          analysis: file.analysis,
          chunks: file.chunks,
        });
      }
    }
    const analyzedChunks = updates.reduce((sum, update) => sum + update.chunks.length, 0);
    const written = new Map<string, Buffer>();
    let embedded = 0;
    if (this.deps.modelId) {
      const textOf = new Map<string, string>();
      const languageOf = new Map<string, string>();
      for (const update of updates) {
        for (const chunk of update.chunks) {
          if (textOf.has(chunk.contentHash) || inFlightHashes.has(chunk.contentHash)) continue;
          textOf.set(chunk.contentHash, chunk.text);
          languageOf.set(chunk.contentHash, update.language);
        }
      }
      const lookupStarted = performance.now();
      const missing = [...(await this.deps.store.missingVectors(this.deps.modelId, [...textOf.keys()]))];
      const embedStarted = performance.now();
      this.phaseMs.lookup += embedStarted - lookupStarted;
      embedded = missing.length;
      for (const [hash, blob] of await this.embedTexts(missing, textOf, languageOf)) {
        written.set(hash, blob);
        inFlightHashes.add(hash);
      }
      this.phaseMs.embed += performance.now() - embedStarted;
    }
    const vectors: VectorWrite[] = [...written].map(([contentHash, blob]) => ({ contentHash, blob }));
    return { updates, touches, removals, vectors, written, unchanged, analyzedChunks, embedded, quarantined };
  }

  private async backfillVectors(signal: AbortSignal | undefined): Promise<number> {
    const modelId = this.deps.modelId;
    if (!modelId) return 0;
    let embedded = 0;
    // Chunk languages, for models that parse code: read once, since files do not change during the backfill.
    let fileLanguages: Map<number, string> | undefined;
    for (;;) {
      if (signal?.aborted) return embedded;
      const pending = await this.deps.store.chunksWithoutVectors(modelId, this.deps.config.batchFiles * 8);
      if (pending.length === 0) return embedded;
      const textOf = new Map(pending.map((row) => [row.contentHash, row.text]));
      fileLanguages ??= new Map([...(await this.deps.store.files()).values()].map((file) => [file.id, file.language]));
      const languageOf = new Map((await this.deps.store.chunksWithHashes([...textOf.keys()])).map((chunk) => [chunk.contentHash, fileLanguages!.get(chunk.fileId) ?? '']));
      const written = await this.embedTexts([...textOf.keys()], textOf, languageOf);
      const generation = await this.deps.store.writeVectors(modelId, [...written].map(([contentHash, blob]) => ({ contentHash, blob })));
      const chunks = await this.deps.store.chunksWithHashes([...written.keys()]);
      await this.deps.onBatchCommitted?.({ removedChunkIds: [], addedChunks: chunks, dependentFiles: 0, refreshedReferences: 0, generation }, written);
      embedded += written.size;
    }
  }

  /** `languageOf` gives each chunk's language, for models that parse code. */
  private async embedTexts(hashes: readonly string[], textOf: ReadonlyMap<string, string>, languageOf: ReadonlyMap<string, string>): Promise<Map<string, Buffer>> {
    const size = this.deps.config.embedBatchSize;
    const tasks: Promise<void>[] = [];
    const out = new Map<string, Buffer>();
    for (let start = 0; start < hashes.length; start += size) {
      const slice = hashes.slice(start, start + size);
      const begun = performance.now();
      tasks.push(
        this.deps.pool.embed(slice.map((hash) => textOf.get(hash)!), slice.map((hash) => languageOf.get(hash) ?? null)).then((result) => {
          this.deps.onEmbedLatency?.(performance.now() - begun, slice.length);
          slice.forEach((hash, index) => out.set(hash, Buffer.from(result.blobs[index]!)));
        }),
      );
    }
    await Promise.all(tasks);
    return out;
  }
}

/**
 * Sizes batches so that each commits about `intervalMs` after the previous one,
 * between `minFiles` and `maxFiles`. The first batches are small, so that a kill
 * early in a cold index keeps something, and then double until the commit rate is
 * measured; the rate is taken from the first commit on, because the time to the
 * first one is mostly start-up (workers, model), which would keep batches small.
 */
export class CommitPacer {
  private filesCommitted = 0;
  private lastBatchFiles = 0;
  private first: { at: number; files: number } | null = null;
  private lastAt = 0;

  constructor(
    private readonly maxFiles: number,
    private readonly minFiles: number,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  nextBatchFiles(): number {
    const bounded = (files: number) => Math.max(this.minFiles, Math.min(this.maxFiles, Math.round(files)));
    if (!this.first) return this.minFiles;
    if (this.lastAt === this.first.at) return bounded(this.lastBatchFiles * 2);
    const filesPerMs = (this.filesCommitted - this.first.files) / (this.lastAt - this.first.at);
    return bounded(Math.min(filesPerMs * this.intervalMs, this.lastBatchFiles * 2));
  }

  committed(files: number): void {
    this.filesCommitted += files;
    this.lastBatchFiles = files;
    this.lastAt = this.now();
    this.first ??= { at: this.lastAt, files: this.filesCommitted };
  }
}
