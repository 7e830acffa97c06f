/**
 * Every chunk's summary (`ChunkSummary`: file, symbol, kind, lines) in columns
 * indexed by chunk id, for sessions that stay open. A search ranks its 300–400
 * fused candidates by their summaries; reading them from SQLite took 2.3 ms of a
 * 9 ms warm query at 183k chunks (statement, 400 row seeks, rows made into
 * objects), from here about 0.05 ms. About 30 bytes a chunk plus its symbol.
 */
import type { ChunkSummary } from '../store/records.js';

export class ChunkSummaryTable {
  /** File id per chunk id; 0 (no file has it) marks an id without a chunk. */
  private fileOfChunk = new Int32Array(1024);
  private startLines = new Int32Array(1024);
  private endLines = new Int32Array(1024);
  private kindOfChunk = new Uint16Array(1024);
  /** Kept as long as the typed columns and filled with null, so that V8 keeps them as flat arrays. */
  private readonly symbols: (string | null)[] = new Array<string | null>(1024).fill(null);
  private readonly parents: (string | null)[] = new Array<string | null>(1024).fill(null);
  private readonly kinds: string[] = [];
  private readonly kindIds = new Map<string, number>();
  /** Parent names repeat across a class's members: one string each. */
  private readonly parentNames = new Map<string, string>();
  private readonly files = new Map<number, { readonly path: string; readonly language: string }>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the chunk, or replaces what the table held for its id. */
  set(summary: ChunkSummary): void {
    const id = summary.id;
    if (id <= 0) throw new RangeError(`chunk id ${id} is not a row id`);
    this.ensureCapacity(id + 1);
    if (this.fileOfChunk[id] === 0) this.count++;
    this.fileOfChunk[id] = summary.fileId;
    this.startLines[id] = summary.startLine;
    this.endLines[id] = summary.endLine;
    this.kindOfChunk[id] = this.kindId(summary.kind);
    this.symbols[id] = summary.symbol;
    this.parents[id] = summary.parent === null ? null : this.parentName(summary.parent);
    const file = this.files.get(summary.fileId);
    if (!file || file.path !== summary.path || file.language !== summary.language) this.files.set(summary.fileId, { path: summary.path, language: summary.language });
  }

  remove(id: number): void {
    if (id <= 0 || id >= this.fileOfChunk.length || this.fileOfChunk[id] === 0) return;
    this.fileOfChunk[id] = 0;
    this.symbols[id] = null;
    this.parents[id] = null;
    this.count--;
  }

  get(id: number): ChunkSummary | undefined {
    const fileId = id > 0 && id < this.fileOfChunk.length ? this.fileOfChunk[id]! : 0;
    if (fileId === 0) return undefined;
    const file = this.files.get(fileId)!;
    return {
      id,
      fileId,
      path: file.path,
      language: file.language,
      symbol: this.symbols[id] ?? null,
      parent: this.parents[id] ?? null,
      kind: this.kinds[this.kindOfChunk[id]!]!,
      startLine: this.startLines[id]!,
      endLine: this.endLines[id]!,
    };
  }

  /** The summaries of those of `ids` the table holds, in ascending id order (as the store returns them). */
  many(ids: readonly number[]): Map<number, ChunkSummary> {
    const found = new Map<number, ChunkSummary>();
    for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
      const summary = this.get(id);
      if (summary) found.set(id, summary);
    }
    return found;
  }

  private kindId(kind: string): number {
    let id = this.kindIds.get(kind);
    if (id === undefined) {
      id = this.kinds.length;
      if (id > 0xffff) throw new RangeError('more than 65,536 chunk kinds');
      this.kinds.push(kind);
      this.kindIds.set(kind, id);
    }
    return id;
  }

  private parentName(parent: string): string {
    const known = this.parentNames.get(parent);
    if (known !== undefined) return known;
    this.parentNames.set(parent, parent);
    return parent;
  }

  private ensureCapacity(length: number): void {
    if (length <= this.fileOfChunk.length) return;
    const capacity = Math.max(length, this.fileOfChunk.length * 2);
    const grow = <T extends Int32Array | Uint16Array>(old: T, make: (size: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.fileOfChunk = grow(this.fileOfChunk, (size) => new Int32Array(size));
    this.startLines = grow(this.startLines, (size) => new Int32Array(size));
    this.endLines = grow(this.endLines, (size) => new Int32Array(size));
    this.kindOfChunk = grow(this.kindOfChunk, (size) => new Uint16Array(size));
    while (this.symbols.length < capacity) {
      this.symbols.push(null);
      this.parents.push(null);
    }
  }
}
