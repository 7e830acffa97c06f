/**
 * The vector file of a first index run, written while the run commits its
 * batches instead of afterwards. A run that starts from an empty store adds
 * chunks in ascending id order and removes none, so each committed batch's new
 * rows can be encoded and appended at once (`VectorFileBuilder`); at the end
 * the file is assembled with the store's generation. Without this, a cold
 * index read every vector back from SQLite once the run was over: 1.5 s at
 * 183k chunks and 8 s at 820k, on one core, while the other had nothing left to do.
 *
 * The stream follows the store's generation batch by batch; any change it
 * cannot mirror (a removed chunk, rows out of order, a write it did not see)
 * breaks it, and the caller writes the file from the store as before. The
 * bytes are those a file written from the store's rows would hold.
 */
import type { DenseSettings } from '../search/denseIndex.js';
import { emptyDenseIndex } from '../search/denseIndex.js';
import type { GenerationChange } from '../store/records.js';
import { vectorFileIdentity } from './denseFile.js';
import { VectorFileBuilder } from './vectorFile.js';

/** One committed batch, as the stream needs it. */
export interface StreamedBatch {
  readonly generation: GenerationChange | undefined;
  readonly removedChunkIds: readonly number[];
  /** The chunks the batch added, with their vectors (a chunk without one has no row). */
  readonly rows: readonly { readonly id: number; readonly fileId: number; readonly blob: Uint8Array | undefined }[];
}

export class VectorFileStream {
  private builder: VectorFileBuilder | null;
  /** The store generation the rows appended so far stand for; null once broken. */
  private at: string | null;

  private constructor(
    builder: VectorFileBuilder,
    private readonly settings: DenseSettings,
    generation: string,
  ) {
    this.builder = builder;
    this.at = generation;
  }

  /**
   * A stream for the vector file at `path`, from an empty store at `generation`. Null when the
   * settings need the stored vectors first (a PCA projection is fitted on them) or the file cannot be
   * started (`onError`: a read-only or full disk).
   */
  static start(path: string, modelId: string, settings: DenseSettings, generation: string, onError: (error: Error) => void): VectorFileStream | null {
    if (settings.projection || settings.projectionPending) return null;
    try {
      // The generation in the identity is only written by `finish`, which passes the final one.
      return new VectorFileStream(new VectorFileBuilder(path, vectorFileIdentity(modelId, settings, generation)), settings, generation);
    } catch (error) {
      onError(error as Error);
      return null;
    }
  }

  /** The store generation the stream is at; null once it can no longer become the file. */
  get generation(): string | null {
    return this.at;
  }

  /** Appends one committed batch, or breaks the stream if it cannot follow it. */
  append(batch: StreamedBatch): void {
    if (this.at === null || !this.builder) return;
    if (!batch.generation || batch.generation.previous !== this.at || batch.removedChunkIds.length > 0) {
      this.abort();
      return;
    }
    try {
      const block = emptyDenseIndex(this.settings, Math.max(1, batch.rows.length));
      for (const row of batch.rows) if (row.blob) block.add(row.id, row.fileId, row.blob);
      this.builder.append(block.exportRows());
      this.at = batch.generation.current;
    } catch {
      this.abort(); // rows out of id order, or the temporary files failed: the store writes the file instead
    }
  }

  /** Follows a write that changed no row of the file (garbage collection of other models' and unused vectors). */
  follow(change: GenerationChange): void {
    if (this.at !== null && change.previous === this.at) this.at = change.current;
    else this.abort();
  }

  /**
   * Assembles the file as the copy of store generation `current`; false (and nothing written)
   * when the stream is not at it. Throws what the file system throws.
   */
  finish(current: string): boolean {
    const builder = this.builder;
    if (!builder || this.at !== current) {
      this.abort();
      return false;
    }
    this.builder = null;
    this.at = null;
    builder.finish(current);
    return true;
  }

  /** Drops the temporary files. */
  abort(): void {
    this.at = null;
    this.builder?.abort();
    this.builder = null;
  }
}
