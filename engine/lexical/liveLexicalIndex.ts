/**
 * A `LexicalIndex` kept equal to the store's lexical segments, and a `ChunkSummaryTable`
 * kept equal to its chunk rows, for sessions that stay open (the extension, watch,
 * MCP): built from the store's rows in the background, then kept current by each
 * write's `LexicalChange`. A search is answered from memory only while the copy's
 * generation is the store's `lexicalGeneration` (which every write of chunks moves);
 * otherwise (still building, a write being applied, another process wrote) it
 * returns null and the caller reads the store's segments, which gives the same
 * results more slowly (`searchSegments`).
 *
 * The build reads the segments (the terms are stored, so nothing is tokenised
 * again) and the chunks' summaries in pages that yield to the event loop, so
 * searches and index runs go on meanwhile. One-off processes never build it.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { generationAfter } from '../store/generation.js';
import type { ChunkSummary, LexicalChange } from '../store/records.js';
import type { WorkspaceStore } from '../store/store.js';
import { ChunkSummaryTable } from './chunkSummaryTable.js';
import { isSimpleToken } from './ftsTerms.js';
import { LexicalIndex, type LexicalHit } from './lexicalIndex.js';

/** Summaries read per statement while building. */
const PAGE_ROWS = 4096;

export interface LiveLexicalOptions {
  /** The store to copy; a getter, since the engine replaces a damaged one. */
  readonly store: () => WorkspaceStore;
  /** True while this process has writes in flight: a generation that differs then is a batch not yet applied. */
  readonly writing: () => boolean;
  readonly log: (message: string) => void;
}

export class LiveLexicalIndex {
  private index: LexicalIndex | null = null;
  /** Set and cleared with `index`: both are at `generation`. */
  private summaries: ChunkSummaryTable | null = null;
  /** The store's lexical generation the index reflects; null: unknown (never answers). */
  private generation: string | null = null;
  private building: Promise<void> | null = null;
  /** Changes committed while building, applied once the rows are read (add and remove are idempotent). */
  private changesDuringBuild: LexicalChange[] = [];
  private wanted = false;
  private closed = false;
  /** The store was replaced while a build read the old one: build again once it stops. */
  private rebuildAfterBuild = false;

  constructor(private readonly options: LiveLexicalOptions) {}

  /** Starts the build (once) and resolves when the copy is ready, or could not be made (logged). */
  load(): Promise<void> {
    this.wanted = true;
    this.building ??= this.build().finally(() => {
      this.building = null;
      if (this.rebuildAfterBuild && !this.closed) {
        this.rebuildAfterBuild = false;
        void this.load();
      }
    });
    return this.building;
  }

  /** Whether searches are answered from memory now. */
  get ready(): boolean {
    return this.index !== null && this.generation !== null;
  }

  /** Applies one committed write. */
  apply(change: LexicalChange | undefined): void {
    if (!change) return;
    if (this.building) {
      this.changesDuringBuild.push(change);
      return;
    }
    const index = this.index;
    if (!index) return;
    this.generation = generationAfter(this.generation, [change.generation]);
    applyChange(index, this.summaries!, change);
  }

  /**
   * The `limit` best rows for `terms`, as `WorkspaceStore.lexicalSearch` returns
   * them, or null when the copy is not current (ask the store then).
   */
  async search(terms: readonly string[], limit: number): Promise<LexicalHit[] | null> {
    // Words the index does not tokenize as queries are (beyond ASCII): the store answers them.
    if (!terms.every(isSimpleToken)) return null;
    return (await this.current())?.index.search(terms, limit) ?? null;
  }

  /**
   * The summaries of those of `ids` still stored, as `WorkspaceStore.chunkSummariesByIds`
   * returns them, or null when the copy is not current (read them from the store then).
   */
  async summariesOf(ids: readonly number[]): Promise<Map<number, ChunkSummary> | null> {
    return (await this.current())?.summaries.many(ids) ?? null;
  }

  /** The copy, when it is at the store's lexical generation now; null (and a rebuild when another process wrote) otherwise. */
  private async current(): Promise<{ index: LexicalIndex; summaries: ChunkSummaryTable } | null> {
    const { index, summaries, generation } = this;
    if (!index || !summaries || generation === null) return this.staleAnswer();
    if ((await this.options.store().lexicalGeneration()) !== generation) return this.staleAnswer();
    // A change applied while the token was read moves `generation`; the copy is then at neither.
    if (this.generation !== generation || this.index !== index) return null;
    return { index, summaries };
  }

  /** Drops the copy (the store was replaced), building it again from the new store if it was wanted. */
  restart(): void {
    this.reset();
    if (!this.wanted || this.closed) return;
    if (this.building) this.rebuildAfterBuild = true;
    else void this.load();
  }

  private reset(): void {
    this.index = null;
    this.summaries = null;
    this.generation = null;
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  /** Null, and a rebuild when the copy went stale outside this process's writes. */
  private staleAnswer(): null {
    if (this.wanted && !this.building && !this.closed && !this.options.writing() && this.index) {
      this.reset();
      void this.load();
    }
    return null;
  }

  private async build(): Promise<void> {
    this.changesDuringBuild = [];
    try {
      const store = this.options.store();
      const started = performance.now();
      const before = await store.lexicalGeneration();
      const segments = await store.lexicalSegments();
      if (this.closed || store !== this.options.store()) return;
      await yieldToEventLoop();
      const built = LexicalIndex.fromSegments(segments);
      // The copy answers from now on: the segments the store kept for its own searches are not needed.
      store.releaseLexicalSegments();
      const summaries = new ChunkSummaryTable();
      for (let after = 0; ; ) {
        await yieldToEventLoop();
        const rows = await store.chunkSummariesAfter(after, PAGE_ROWS);
        if (this.closed || store !== this.options.store()) return;
        for (const row of rows) summaries.set(row);
        if (rows.length < PAGE_ROWS) break;
        after = rows[rows.length - 1]!.id;
      }
      const index = built;
      const changes = this.changesDuringBuild;
      for (const change of changes) applyChange(index, summaries, change);
      this.index = index;
      this.summaries = summaries;
      this.generation = generationAfter(before, changes.map((change) => change.generation));
      this.options.log(`Lexical index in memory: ${index.rowCount} chunks, ${index.postingCount} postings in ${Math.round(performance.now() - started)} ms`);
    } catch (error) {
      if (!this.closed) this.options.log(`Could not build the lexical index in memory (searches read the cache's lexical segments): ${(error as Error).message}`);
    } finally {
      this.changesDuringBuild = [];
    }
  }
}

function applyChange(index: LexicalIndex, summaries: ChunkSummaryTable, change: LexicalChange): void {
  for (const id of change.removed) {
    index.remove(id);
    summaries.remove(id);
  }
  for (const row of change.added) index.add(row.id, row.terms);
  for (const summary of change.summaries) summaries.set(summary);
  if (index.wantsCompaction) index.compact();
}
