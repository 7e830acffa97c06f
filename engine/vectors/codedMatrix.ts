import { encodeInt8Into, type VectorCodec } from './codecs.js';
import type { SignScanThread } from './signScanThread.js';

/**
 * Rows to allocate for a matrix loaded with `rows` rows: a sixteenth more (at
 * least 1,024), so that the edits after a load add chunks without growing it.
 * Growing copies the whole matrix (48 ms for one edit at 183k rows,
 * bench/speed/NOTES.md); the room costs 6% more memory.
 */
export function capacityWithRoom(rows: number): number {
  return rows + Math.max(1024, Math.ceil(rows / 16));
}

/**
 * A flat, append-only matrix of encoded rows in one buffer, scanned exactly
 * by its codec. Whatever the precision, the scan streams contiguous memory,
 * so its cost follows `bytesPerVector`.
 */
export class CodedMatrix {
  private buffer: ArrayBufferLike;
  private bytes: Uint8Array;
  private rows = 0;
  /** Whether the rows live in a SharedArrayBuffer (see `share`); growing keeps them there. */
  private shared = false;

  constructor(
    readonly codec: VectorCodec,
    initialCapacity = 1024,
  ) {
    this.buffer = new ArrayBuffer(codec.bytesPerVector * Math.max(1, initialCapacity));
    this.bytes = new Uint8Array(this.buffer);
  }

  /**
   * A matrix over rows already encoded by `codec` (`rows` rows at the start of
   * `bytes`, whose buffer it takes over): loading a saved index without re-encoding.
   * The buffer past the rows (whole rows of it) is the matrix's room to grow.
   */
  static fromEncoded(codec: VectorCodec, bytes: Uint8Array, rows: number): CodedMatrix {
    if (bytes.byteOffset !== 0 || !(bytes.buffer instanceof ArrayBuffer)) throw new RangeError('Encoded rows must start their own ArrayBuffer');
    if (bytes.buffer.byteLength % codec.bytesPerVector !== 0) throw new RangeError(`A buffer of ${bytes.buffer.byteLength} bytes is not whole rows of ${codec.bytesPerVector}`);
    if (bytes.byteLength < rows * codec.bytesPerVector) throw new RangeError(`${bytes.byteLength} bytes cannot hold ${rows} rows of ${codec.bytesPerVector}`);
    const matrix = new CodedMatrix(codec, 1);
    matrix.buffer = bytes.buffer;
    matrix.bytes = new Uint8Array(bytes.buffer);
    matrix.rows = rows;
    return matrix;
  }

  /** The encoded bytes of rows `[0, size)`. */
  encodedRows(): Uint8Array {
    return this.bytes.subarray(0, this.rows * this.codec.bytesPerVector);
  }

  get dimension(): number {
    return this.codec.dimension;
  }

  get size(): number {
    return this.rows;
  }

  get capacity(): number {
    return this.buffer.byteLength / this.codec.bytesPerVector;
  }

  /** Bytes allocated for rows (capacity, not only the rows in use). */
  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** Appends a row and returns its index. */
  push(vector: Float32Array): number {
    if (this.rows === this.capacity) this.grow();
    this.set(this.rows, vector);
    return this.rows++;
  }

  /** Overwrites row `index`. */
  set(index: number, vector: Float32Array): void {
    if (vector.length !== this.codec.dimension) throw new RangeError(`Row has ${vector.length} dimensions; the matrix has ${this.codec.dimension}`);
    this.codec.encode(vector, this.rowBytes(index));
  }

  /** Appends a row given as int8 values × scale (the store's format) and returns its index. */
  pushInt8(values: Int8Array, scale: number): number {
    if (this.rows === this.capacity) this.grow();
    this.setInt8(this.rows, values, scale);
    return this.rows++;
  }

  /** Overwrites row `index` with int8 values × scale. */
  setInt8(index: number, values: Int8Array, scale: number): void {
    if (values.length !== this.codec.dimension) throw new RangeError(`Row has ${values.length} dimensions; the matrix has ${this.codec.dimension}`);
    encodeInt8Into(this.codec, values, scale, this.rowBytes(index));
  }

  /** Zeroes row `index`: every codec scores an all-zero row as 0. */
  clear(index: number): void {
    this.rowBytes(index).fill(0);
  }

  decode(index: number): Float32Array {
    return this.codec.decode(this.rowBytes(index));
  }

  /** Score of `query` against one row (decodes it: for re-scoring a few candidates, not for scans). */
  score(query: Float32Array, index: number): number {
    const row = this.decode(index);
    let sum = 0;
    for (let d = 0; d < row.length; d++) sum += row[d]! * query[d]!;
    return sum;
  }

  /** `score` of each listed row, in order (the codec's in-place loop where it has one). */
  scoreRows(query: Float32Array, rows: readonly number[]): Float64Array {
    const out = new Float64Array(rows.length);
    if (this.codec.scoreRows) this.codec.scoreRows(query, this.buffer, rows, out);
    else for (let index = 0; index < rows.length; index++) out[index] = this.score(query, rows[index]!);
    return out;
  }

  /** Scores of `query` against every row, written into `out` (length ≥ size), with `thread`'s help where the codec can split its scan. */
  scores(query: Float32Array, out: Float32Array, thread?: SignScanThread | null): void {
    this.codec.scan(query, this.buffer, this.rows, out, thread);
  }

  /** Moves the rows into a SharedArrayBuffer (one copy), so that another thread can scan them; growing keeps them shared. */
  share(): void {
    if (this.shared) return;
    this.shared = true;
    this.replaceBuffer(this.buffer.byteLength / this.codec.bytesPerVector);
  }

  private rowBytes(index: number): Uint8Array {
    const width = this.codec.bytesPerVector;
    return this.bytes.subarray(index * width, (index + 1) * width);
  }

  private grow(): void {
    this.replaceBuffer(Math.max(1024, this.capacity * 2));
  }

  private replaceBuffer(capacity: number): void {
    const byteLength = capacity * this.codec.bytesPerVector;
    const buffer = this.shared ? new SharedArrayBuffer(byteLength) : new ArrayBuffer(byteLength);
    const bytes = new Uint8Array(buffer);
    bytes.set(this.bytes);
    this.buffer = buffer;
    this.bytes = bytes;
  }
}
