import { createHash } from 'node:crypto';
import type { WorkspaceStore } from '../store/store.js';
import { capacityWithRoom, CodedMatrix } from '../vectors/codedMatrix.js';
import { createCodec, type VectorPrecision } from '../vectors/codecs.js';
import { applyPcaToDocument, applyPcaToQuery, decodePca, encodePca, fitPca, reconstructFromPca, type PcaProjection } from '../vectors/pca.js';
import { decodeInt8Blob, dequantizeInt8 } from '../vectors/quantize.js';
import { topK, type Scored } from '../vectors/similarity.js';
import type { SignScanThread } from '../vectors/signScanThread.js';
import type { VectorRows } from '../vectorfile/index.js';

export interface DenseIndexOptions {
  /** How rows are held in memory (default int8). */
  readonly precision?: VectorPrecision;
  /** Projects documents and queries to fewer dimensions before encoding. */
  readonly projection?: PcaProjection | null;
  /** Rows to allocate up front (it grows by doubling otherwise). */
  readonly capacity?: number;
  /**
   * From this many rows on, a search first scans sign bits (a binary copy of
   * every row, 1/8 byte per dimension) and re-scores only the best candidates
   * at the index's precision. Infinity: always scan every row at full precision.
   */
  readonly prefilterMinRows?: number;
}

/**
 * Below this many rows an exact scan is a few milliseconds, so the binary
 * prefilter is not worth its memory (bench/vectors measures both).
 */
export const PREFILTER_MIN_ROWS = 20_000;

/** Candidates the binary prefilter keeps for re-scoring: at least this many, and 4 per result asked. */
const PREFILTER_CANDIDATES = 512;

/**
 * All chunk vectors of the active model in one encoded matrix, kept in step
 * with the store by `add`/`remove` after each batch: removed rows are
 * tombstoned and reused, so an edit costs O(changed chunks), not a reload.
 *
 * Vectors arrive in the model's space (the int8 BLOBs at rest, or floats) and
 * are projected (optional PCA) and encoded (the precision's codec) on entry;
 * queries come in the model's space too and are projected the same way, so
 * callers never see the index's internal space.
 */
/** Scores over a SharedArrayBuffer, which the scan thread writes its half into. */
function sharedScores(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(1, length) * 4));
}

export class DenseIndex {
  readonly precision: VectorPrecision;
  readonly projection: PcaProjection | null;
  /** True when PCA was asked for but not fitted yet (too few vectors): the loader tries again after indexing. */
  projectionPending = false;
  private matrix: CodedMatrix;
  /** Sign bits of every row, parallel to `matrix`; null when the rows are binary already. */
  private signs: CodedMatrix | null;
  private readonly prefilterMinRows: number;
  /** Chunk → row, built on first use: a scan needs only `chunkOfRow`, so a one-off search never builds it. */
  private rowMap: Map<number, number> | null = new Map<number, number>();
  private liveRows = 0;
  private chunkOfRow: Int32Array;
  private fileOfRow: Int32Array;
  private readonly freeRows: number[] = [];
  private scratch: Float32Array = new Float32Array(0);
  /** The second thread of the sign scan (sessions that stay open), or null: see `useScanThread`. */
  private scanThread: SignScanThread | null = null;

  /** `dimension` is the model's (the vectors' as they arrive); the index may hold fewer after projection. */
  constructor(
    readonly dimension: number,
    options: DenseIndexOptions = {},
  ) {
    this.precision = options.precision ?? 'int8';
    this.projection = options.projection ?? null;
    if (this.projection && this.projection.inputDimension !== dimension) {
      throw new RangeError(`The PCA projection takes ${this.projection.inputDimension} dimensions; the index holds ${dimension}`);
    }
    const capacity = Math.max(1, options.capacity ?? 1024);
    this.matrix = new CodedMatrix(createCodec(this.precision, this.storedDimension), capacity);
    this.prefilterMinRows = options.prefilterMinRows ?? PREFILTER_MIN_ROWS;
    this.signs = this.precision === 'binary' || this.prefilterMinRows === Infinity ? null : new CodedMatrix(createCodec('binary', this.storedDimension), capacity);
    this.chunkOfRow = new Int32Array(capacity);
    this.fileOfRow = new Int32Array(capacity);
  }

  /** Dimensions of the encoded rows: the PCA output, or the model's. */
  get storedDimension(): number {
    return this.projection?.outputDimension ?? this.dimension;
  }

  /** Bytes per row in memory: the row at its precision, plus its sign bits when the index keeps a prefilter. */
  get bytesPerVector(): number {
    return this.matrix.codec.bytesPerVector + (this.signs?.codec.bytesPerVector ?? 0);
  }

  get size(): number {
    return this.liveRows;
  }

  /** Rows the matrix holds before it has to grow, which copies every row. */
  get rowCapacity(): number {
    return this.matrix.capacity;
  }

  private get rowOfChunk(): Map<number, number> {
    if (!this.rowMap) {
      this.rowMap = new Map();
      for (let row = 0; row < this.matrix.size; row++) if (this.chunkOfRow[row]! >= 0) this.rowMap.set(this.chunkOfRow[row]!, row);
    }
    return this.rowMap;
  }

  /** Bytes per row of the encoded matrix and of its sign rows (0 without a prefilter): the saved layout. */
  get rowLayout(): { bytesPerRow: number; bytesPerSignRow: number } {
    return { bytesPerRow: this.matrix.codec.bytesPerVector, bytesPerSignRow: this.signs?.codec.bytesPerVector ?? 0 };
  }

  /**
   * The live rows in ascending chunk id order (the order `loadDenseIndex` adds them
   * from the store), for saving: an index restored from them scans like a fresh load.
   */
  exportRows(): VectorRows {
    const { bytesPerRow, bytesPerSignRow } = this.rowLayout;
    const total = this.matrix.size;
    let ordered = true;
    for (let row = 0; row < total; row++) {
      if (this.chunkOfRow[row]! < 0 || (row > 0 && this.chunkOfRow[row]! <= this.chunkOfRow[row - 1]!)) {
        ordered = false;
        break;
      }
    }
    if (ordered) {
      return { count: total, chunkIds: this.chunkOfRow.slice(0, total), fileIds: this.fileOfRow.slice(0, total), rows: this.matrix.encodedRows(), signs: this.signs?.encodedRows() ?? null };
    }
    const order: number[] = [];
    for (let row = 0; row < total; row++) if (this.chunkOfRow[row]! >= 0) order.push(row);
    order.sort((a, b) => this.chunkOfRow[a]! - this.chunkOfRow[b]!);
    const count = order.length;
    const chunkIds = new Int32Array(count);
    const fileIds = new Int32Array(count);
    const rows = new Uint8Array(count * bytesPerRow);
    const signs = this.signs ? new Uint8Array(count * bytesPerSignRow) : null;
    const sourceRows = this.matrix.encodedRows();
    const sourceSigns = this.signs?.encodedRows();
    order.forEach((row, index) => {
      chunkIds[index] = this.chunkOfRow[row]!;
      fileIds[index] = this.fileOfRow[row]!;
      rows.set(sourceRows.subarray(row * bytesPerRow, (row + 1) * bytesPerRow), index * bytesPerRow);
      if (signs) signs.set(sourceSigns!.subarray(row * bytesPerSignRow, (row + 1) * bytesPerSignRow), index * bytesPerSignRow);
    });
    return { count, chunkIds, fileIds, rows, signs };
  }

  /**
   * Replaces an empty index's contents with saved rows (`exportRows` of an index
   * with the same settings); the buffers are taken over, not copied.
   */
  importRows(saved: VectorRows): void {
    if (this.matrix.size > 0) throw new Error('importRows needs an empty index');
    const { bytesPerRow, bytesPerSignRow } = this.rowLayout;
    if (saved.rows.byteLength !== saved.count * bytesPerRow || (this.signs !== null) !== (saved.signs !== null) || (saved.signs && saved.signs.byteLength !== saved.count * bytesPerSignRow)) {
      throw new RangeError('Saved rows do not match this index\'s layout');
    }
    this.matrix = CodedMatrix.fromEncoded(this.matrix.codec, saved.rows, saved.count);
    if (this.signs) this.signs = CodedMatrix.fromEncoded(this.signs.codec, saved.signs!, saved.count);
    if (this.scanThread) this.signs?.share();
    this.chunkOfRow = saved.chunkIds;
    this.fileOfRow = saved.fileIds;
    this.liveRows = saved.count;
    this.rowMap = null;
  }

  /** Bytes held in typed arrays: encoded rows and row→chunk/file maps (allocated capacity), plus the projection. The chunk→row Map is not counted. */
  get byteLength(): number {
    const projection = this.projection ? (this.projection.components.length + this.projection.mean.length + this.projection.outputDimension * 2) * 4 : 0;
    return this.matrix.byteLength + (this.signs?.byteLength ?? 0) + this.chunkOfRow.byteLength + this.fileOfRow.byteLength + projection;
  }

  has(chunkId: number): boolean {
    return this.rowOfChunk.has(chunkId);
  }

  /** Adds (or replaces) a chunk's vector from its stored int8 BLOB. */
  add(chunkId: number, fileId: number, blob: Uint8Array): void {
    if (blob.byteLength - 4 !== this.dimension) return; // a vector of another dimension cannot be scored against this one
    if (this.projection) {
      this.addVector(chunkId, fileId, dequantizeInt8(decodeInt8Blob(blob)));
      return;
    }
    // Without a projection the stored int8 values go into the rows directly (no float round trip):
    // loading a large index is dominated by this.
    const scale = new DataView(blob.buffer, blob.byteOffset, 4).getFloat32(0, true);
    const values = new Int8Array(blob.buffer, blob.byteOffset + 4, this.dimension);
    this.placeRow(chunkId, fileId, (row) => {
      if (row === undefined) {
        const appended = this.matrix.pushInt8(values, scale);
        this.signs?.pushInt8(values, scale);
        return appended;
      }
      this.matrix.setInt8(row, values, scale);
      this.signs?.setInt8(row, values, scale);
      return row;
    });
  }

  /** Adds (or replaces) a chunk's vector given in the model's space. */
  addVector(chunkId: number, fileId: number, vector: Float32Array): void {
    if (vector.length !== this.dimension) throw new RangeError(`Vector has ${vector.length} dimensions; the index takes ${this.dimension}`);
    this.addProjected(chunkId, fileId, this.projection ? applyPcaToDocument(this.projection, vector) : vector);
  }

  /** Adds a vector already in the index's stored space (`storedDimension`): for benchmarks that reuse projected rows. */
  addProjected(chunkId: number, fileId: number, vector: Float32Array): void {
    this.placeRow(chunkId, fileId, (row) => {
      if (row === undefined) {
        const appended = this.matrix.push(vector);
        this.signs?.push(vector);
        return appended;
      }
      this.matrix.set(row, vector);
      this.signs?.set(row, vector);
      return row;
    });
  }

  /** Picks the chunk's row (its own, a freed one, or undefined for a new one), lets `write` fill it, and records it. */
  private placeRow(chunkId: number, fileId: number, write: (row: number | undefined) => number): void {
    const row = write(this.rowOfChunk.get(chunkId) ?? this.freeRows.pop());
    this.ensureRowCapacity(row + 1);
    this.chunkOfRow[row] = chunkId;
    this.fileOfRow[row] = fileId;
    if (!this.rowOfChunk.has(chunkId)) this.liveRows++;
    this.rowOfChunk.set(chunkId, row);
  }

  remove(chunkId: number): void {
    const row = this.rowOfChunk.get(chunkId);
    if (row === undefined) return;
    this.rowOfChunk.delete(chunkId);
    this.liveRows--;
    this.chunkOfRow[row] = -1;
    this.matrix.clear(row);
    this.signs?.clear(row);
    this.freeRows.push(row);
  }

  /**
   * Splits the sign scan of large indexes with `thread` (null: back to one thread). The sign
   * rows and the score scratch move to SharedArrayBuffers; scores and results are unchanged.
   */
  useScanThread(thread: SignScanThread | null): void {
    if (thread === this.scanThread) return;
    this.scanThread = thread;
    if (!thread) return;
    this.signs?.share();
    this.scratch = sharedScores(this.scratch.length);
  }

  /** A chunk's vector as the index holds it, back in the model's space (decoded, and un-projected), for "similar to this chunk". */
  vectorOf(chunkId: number): Float32Array | undefined {
    const row = this.rowOfChunk.get(chunkId);
    if (row === undefined) return undefined;
    const stored = this.matrix.decode(row);
    return this.projection ? reconstructFromPca(this.projection, stored) : stored;
  }

  /**
   * Top-k chunk ids by dot product with `query` at the index's precision;
   * `acceptFile` filters by file before ranking. On a large index the scan is
   * two-stage: sign bits pick the candidates, the full rows rank them.
   */
  search(query: Float32Array, k: number, acceptFile?: (fileId: number) => boolean, excludeChunk?: number): Scored[] {
    const rows = this.matrix.size;
    if (this.scratch.length < rows) this.scratch = this.scanThread ? sharedScores(Math.max(rows, this.scratch.length * 2)) : new Float32Array(Math.max(rows, this.scratch.length * 2));
    let offset = 0;
    let scanned = query;
    if (this.projection) ({ vector: scanned, offset } = applyPcaToQuery(this.projection, query));
    const accept = (row: number) => {
      const chunkId = this.chunkOfRow[row]!;
      if (chunkId < 0 || chunkId === excludeChunk) return false;
      return acceptFile ? acceptFile(this.fileOfRow[row]!) : true;
    };
    let ranked: Scored[];
    if (this.signs && rows >= this.prefilterMinRows) {
      this.signs.scores(scanned, this.scratch, this.scanThread);
      // A thread that failed or fell behind is retired; a late one could still write into this scratch.
      if (this.scanThread && !this.scanThread.usable) {
        this.scanThread = null;
        this.scratch = this.scratch.slice();
      }
      const candidates = topK(this.scratch, rows, Math.max(PREFILTER_CANDIDATES, 4 * k), accept);
      const rescored = this.matrix.scoreRows(scanned, candidates.map((candidate) => candidate.index));
      ranked = candidates.map((candidate, position) => ({ index: candidate.index, score: rescored[position]! }));
      ranked.sort((a, b) => b.score - a.score);
      ranked.length = Math.min(ranked.length, k);
    } else {
      this.matrix.scores(scanned, this.scratch);
      ranked = topK(this.scratch, rows, k, accept);
    }
    return ranked.map((hit) => ({ index: this.chunkOfRow[hit.index]!, score: hit.score + offset }));
  }

  private ensureRowCapacity(rows: number): void {
    if (rows <= this.chunkOfRow.length) return;
    const capacity = Math.max(rows, this.chunkOfRow.length * 2);
    const chunks = new Int32Array(capacity);
    chunks.set(this.chunkOfRow);
    const files = new Int32Array(capacity);
    files.set(this.fileOfRow);
    this.chunkOfRow = chunks;
    this.fileOfRow = files;
  }
}

/**
 * Vectors a PCA fit reads at most: 8192, fewer for wide models, since the
 * covariance costs sample × d² / 2 (kept near 10⁹ multiply-adds, a second or two).
 */
export function pcaSampleLimit(dimension: number): number {
  return Math.min(8192, Math.max(2048, Math.floor(2e9 / (dimension * dimension))));
}

/** Vectors needed before PCA to k dimensions is fitted: a covariance estimate from fewer is mostly noise. */
export function pcaMinimumSamples(outputDimension: number): number {
  return Math.max(4 * outputDimension, 32);
}

export interface DenseLoadOptions {
  readonly store: WorkspaceStore;
  readonly modelId: string;
  /** The model's output dimension. */
  readonly dimension: number;
  readonly precision: VectorPrecision;
  /** PCA output dimensions; 0 (or ≥ dimension) for none. */
  readonly pcaDimensions: number;
  readonly log?: (message: string) => void;
}

/**
 * Builds the dense index of a model from the store, honouring and recording
 * the precision and PCA settings (schema v3 `dense_settings`).
 *
 * Vectors stay at rest as the model's int8 output; the projection and the
 * precision apply only in memory, so a change of either costs one reload,
 * never a re-embedding. PCA is fitted once enough vectors exist, on a
 * deterministic sample of up to `pcaSampleLimit`, stored per model and
 * reused; it is refitted when the output dimension changes, or when the
 * workspace has grown to 4× the sample it was fitted on (while that sample
 * was below the limit).
 */
export async function loadDenseIndex(options: DenseLoadOptions): Promise<DenseIndex> {
  const settings = await resolveDenseSettings(options);
  return fillDenseIndex(settings, options.store, options.modelId);
}

/** The settings a dense index of a model is built with, once `resolveDenseSettings` has settled and recorded them. */
export interface DenseSettings {
  readonly dimension: number;
  readonly precision: VectorPrecision;
  readonly projection: PcaProjection | null;
  /** PCA asked for but waiting for more vectors. */
  readonly projectionPending: boolean;
  /** Names the projection for a saved index: '' for none, else a digest of its encoding. */
  readonly projectionId: string;
}

/** An empty index with these settings. */
export function emptyDenseIndex(settings: DenseSettings, capacity?: number): DenseIndex {
  const index = new DenseIndex(settings.dimension, { precision: settings.precision, projection: settings.projection, ...(capacity !== undefined ? { capacity } : {}) });
  index.projectionPending = settings.projectionPending;
  return index;
}

/** Streams every (chunk, vector) row of the model from the store into a new index, in chunk id order. */
export async function fillDenseIndex(settings: DenseSettings, store: WorkspaceStore, modelId: string): Promise<DenseIndex> {
  const index = emptyDenseIndex(settings, capacityWithRoom(await store.chunkCount()));
  await store.eachChunkVector(modelId, (row) => index.add(row.id, row.fileId, row.vector));
  return index;
}

/**
 * Decides the precision and projection of the dense index of a model (see
 * `loadDenseIndex`), fitting or refitting PCA when due, and records them.
 */
export async function resolveDenseSettings(options: DenseLoadOptions): Promise<DenseSettings> {
  const { store, modelId, dimension, precision } = options;
  const log = options.log ?? (() => undefined);
  const previous = await store.denseSettings(modelId);
  if (previous && previous.precision !== precision) log(`Vector precision changed from ${previous.precision} to ${precision}: the in-memory index is re-encoded from the stored vectors`);

  const wanted = options.pcaDimensions > 0 && options.pcaDimensions < dimension ? options.pcaDimensions : 0;
  if (options.pcaDimensions >= dimension && options.pcaDimensions > 0) log(`PCA to ${options.pcaDimensions} dimensions is off: the model has only ${dimension}`);
  let projection: PcaProjection | null = null;
  let reused = false;
  let pending = false;
  if (wanted === 0) {
    if (previous?.pca) log('PCA turned off: the index is rebuilt from the stored vectors at full dimension');
  } else {
    const stored = previous?.pca && previous.pcaInputDimension === dimension && previous.pcaOutputDimension === wanted ? decodePca(previous.pca) : null;
    const available = await store.countChunkVectors(modelId);
    const grown = stored !== null && stored.sampleCount < pcaSampleLimit(dimension) && available >= 4 * stored.sampleCount;
    if (stored && !grown) {
      projection = stored;
      reused = true;
    } else if (available < pcaMinimumSamples(wanted)) {
      pending = true;
      log(`PCA to ${wanted} dimensions waits for ${pcaMinimumSamples(wanted)} vectors (${available} so far); searching at full dimension until then`);
    } else {
      const started = performance.now();
      const samples = (await store.sampleChunkVectors(modelId, pcaSampleLimit(dimension))).map((blob) => dequantizeInt8(decodeInt8Blob(blob))).filter((vector) => vector.length === dimension);
      projection = fitPca(samples, wanted, { seed: 0 });
      const why = stored ? `refitted (the workspace grew from ${stored.sampleCount} to ${available} vectors)` : 'fitted';
      log(`PCA ${dimension}→${wanted} ${why} on ${samples.length} vectors in ${Math.round(performance.now() - started)} ms; it keeps ${(100 * projection.explainedVariance).toFixed(1)}% of the variance`);
    }
  }
  // The row describes the index as loaded: a projection that is not in use is not kept.
  const unchanged = previous?.precision === precision && (projection ? reused : !previous.pca);
  if (!unchanged) {
    await store.saveDenseSettings({
      modelId,
      precision,
      pcaInputDimension: projection ? dimension : null,
      pcaOutputDimension: projection ? wanted : null,
      pca: projection ? encodePca(projection) : null,
    });
  }

  const projectionId = projection ? createHash('sha256').update(encodePca(projection)).digest('hex').slice(0, 32) : '';
  return { dimension, precision, projection, projectionPending: pending, projectionId };
}
