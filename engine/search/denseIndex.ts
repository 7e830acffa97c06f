import { decodeInt8Blob } from '../vectors/quantize.js';
import { Int8Matrix, topK, type Scored } from '../vectors/similarity.js';

/**
 * All chunk vectors of the active model in one int8 matrix, kept in step with
 * the store by `apply` after each batch: removed rows are tombstoned and
 * reused, so an edit costs O(changed chunks), not a reload.
 */
export class DenseIndex {
  private readonly matrix: Int8Matrix;
  private readonly rowOfChunk = new Map<number, number>();
  private chunkOfRow: number[] = [];
  private fileOfRow: number[] = [];
  private readonly freeRows: number[] = [];
  private scratch = new Float32Array(0);

  constructor(readonly dimension: number) {
    this.matrix = new Int8Matrix(dimension);
  }

  get size(): number {
    return this.rowOfChunk.size;
  }

  get byteLength(): number {
    return this.matrix.byteLength + this.chunkOfRow.length * 16;
  }

  has(chunkId: number): boolean {
    return this.rowOfChunk.has(chunkId);
  }

  add(chunkId: number, fileId: number, blob: Uint8Array): void {
    const { data, scale } = decodeInt8Blob(blob);
    if (data.length !== this.dimension) return; // a vector of another dimension cannot be scored against this one
    const existing = this.rowOfChunk.get(chunkId);
    const row = existing ?? this.freeRows.pop();
    if (row === undefined) {
      const appended = this.matrix.push(data, scale);
      this.chunkOfRow[appended] = chunkId;
      this.fileOfRow[appended] = fileId;
      this.rowOfChunk.set(chunkId, appended);
      return;
    }
    this.matrix.set(row, data, scale);
    this.chunkOfRow[row] = chunkId;
    this.fileOfRow[row] = fileId;
    this.rowOfChunk.set(chunkId, row);
  }

  remove(chunkId: number): void {
    const row = this.rowOfChunk.get(chunkId);
    if (row === undefined) return;
    this.rowOfChunk.delete(chunkId);
    this.chunkOfRow[row] = -1;
    this.matrix.set(row, new Int8Array(this.dimension), 0);
    this.freeRows.push(row);
  }

  /** The stored (dequantised) vector of a chunk, for "similar to this chunk". */
  vectorOf(chunkId: number): Float32Array | undefined {
    const row = this.rowOfChunk.get(chunkId);
    if (row === undefined) return undefined;
    const { data, scale } = this.matrix.row(row);
    const vector = new Float32Array(this.dimension);
    for (let i = 0; i < this.dimension; i++) vector[i] = data[i]! * scale;
    return vector;
  }

  /** Exact top-k chunk ids by dot product; `acceptFile` filters by file before ranking. */
  search(query: Float32Array, k: number, acceptFile?: (fileId: number) => boolean, excludeChunk?: number): Scored[] {
    const rows = this.matrix.size;
    if (this.scratch.length < rows) this.scratch = new Float32Array(Math.max(rows, this.scratch.length * 2));
    this.matrix.scores(query, this.scratch);
    const accept = (row: number) => {
      const chunkId = this.chunkOfRow[row]!;
      if (chunkId < 0 || chunkId === excludeChunk) return false;
      return acceptFile ? acceptFile(this.fileOfRow[row]!) : true;
    };
    return topK(this.scratch, rows, k, accept).map((hit) => ({ index: this.chunkOfRow[hit.index]!, score: hit.score }));
  }
}
