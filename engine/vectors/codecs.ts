import { float16Table, toFloat16Bits } from './float16.js';
import { sumSignRows } from './signScan.js';
import type { SignScanThread } from './signScanThread.js';

/** How vectors are held in the in-memory dense index. */
export type VectorPrecision = 'f32' | 'f16' | 'int8' | 'binary';

export const VECTOR_PRECISIONS: readonly VectorPrecision[] = ['f32', 'f16', 'int8', 'binary'];

export function isVectorPrecision(value: unknown): value is VectorPrecision {
  return typeof value === 'string' && (VECTOR_PRECISIONS as readonly string[]).includes(value);
}

/**
 * One precision mode: how a vector is packed into a fixed-size row, unpacked,
 * and scored against a float32 query. Rows are packed back to back in one
 * buffer (see `CodedMatrix`); `bytesPerVector` is a multiple of 4 so float32
 * fields stay aligned for typed-array views over that buffer. Scores
 * approximate the dot product of the query with the encoded vector.
 */
export interface VectorCodec {
  readonly precision: VectorPrecision;
  readonly dimension: number;
  readonly bytesPerVector: number;
  /** Writes `vector` (length `dimension`) into `row` (length `bytesPerVector`, 4-byte aligned). */
  encode(vector: Float32Array, row: Uint8Array): void;
  decode(row: Uint8Array): Float32Array;
  /**
   * Scores `query` against rows `[0, count)` of `packed`, into `out`. A codec that can split
   * its scan across threads (the sign codes) uses `thread` when `packed` is shared.
   */
  scan(query: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array, thread?: SignScanThread | null): void;
  /**
   * Writes a vector given as int8 values times `scale` (the store's format) into `row`.
   * Loading an index calls this once per stored vector, so codecs that can skip the
   * float round trip do.
   */
  encodeInt8?(values: Int8Array, scale: number, row: Uint8Array): void;
  /**
   * Scores of `query` against the listed rows of `packed`, each exactly the float64 dot product
   * of `query` with `decode(row)` (for re-scoring candidates); codecs without it are decoded.
   */
  scoreRows?(query: Float32Array, packed: ArrayBufferLike, rows: readonly number[], out: Float64Array): void;
}

/** `codec.encodeInt8` where the codec has one, otherwise through floats. */
export function encodeInt8Into(codec: VectorCodec, values: Int8Array, scale: number, row: Uint8Array): void {
  if (codec.encodeInt8) return codec.encodeInt8(values, scale, row);
  const vector = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) vector[i] = values[i]! * scale;
  codec.encode(vector, row);
}

const align4 = (bytes: number) => (bytes + 3) & ~3;

/** Whether a Uint32Array reads a row's bytes low byte first (the binary scan reads four code bytes per word). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The codec of a precision for vectors of `dimension` components. */
export function createCodec(precision: VectorPrecision, dimension: number): VectorCodec {
  if (!Number.isInteger(dimension) || dimension < 1) throw new RangeError(`Vector dimension must be a positive integer, got ${dimension}`);
  switch (precision) {
    case 'f32':
      return new Float32Codec(dimension);
    case 'f16':
      return new Float16Codec(dimension);
    case 'int8':
      return new Int8Codec(dimension);
    case 'binary':
      return new BinaryCodec(dimension);
    default:
      throw new RangeError(`Unknown vector precision '${String(precision)}'; expected one of ${VECTOR_PRECISIONS.join(', ')}`);
  }
}

/** Exact: the reference the others are measured against. */
class Float32Codec implements VectorCodec {
  readonly precision = 'f32';
  readonly bytesPerVector: number;

  constructor(readonly dimension: number) {
    this.bytesPerVector = dimension * 4;
  }

  encode(vector: Float32Array, row: Uint8Array): void {
    new Float32Array(row.buffer, row.byteOffset, this.dimension).set(vector.subarray(0, this.dimension));
  }

  decode(row: Uint8Array): Float32Array {
    return new Float32Array(row.buffer.slice(row.byteOffset, row.byteOffset + this.bytesPerVector));
  }

  scan(query: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array): void {
    const data = new Float32Array(packed, 0, count * this.dimension);
    const dimension = this.dimension;
    for (let row = 0; row < count; row++) {
      const offset = row * dimension;
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += data[offset + i]! * query[i]!;
      out[row] = sum;
    }
  }
}

/** Half precision: 11 significant bits, relative error ≤ 2^-11 per component. */
class Float16Codec implements VectorCodec {
  readonly precision = 'f16';
  readonly bytesPerVector: number;
  private readonly table = float16Table();

  constructor(readonly dimension: number) {
    this.bytesPerVector = align4(dimension * 2);
  }

  encode(vector: Float32Array, row: Uint8Array): void {
    const halves = new Uint16Array(row.buffer, row.byteOffset, this.dimension);
    for (let i = 0; i < this.dimension; i++) halves[i] = toFloat16Bits(vector[i]!);
  }

  decode(row: Uint8Array): Float32Array {
    const halves = new Uint16Array(row.buffer, row.byteOffset, this.dimension);
    const vector = new Float32Array(this.dimension);
    for (let i = 0; i < this.dimension; i++) vector[i] = this.table[halves[i]!]!;
    return vector;
  }

  scan(query: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array): void {
    const stride = this.bytesPerVector >> 1;
    const data = new Uint16Array(packed, 0, count * stride);
    const table = this.table;
    const dimension = this.dimension;
    for (let row = 0; row < count; row++) {
      const offset = row * stride;
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += table[data[offset + i]!]! * query[i]!;
      out[row] = sum;
    }
  }
}

/**
 * Symmetric int8 with a per-vector scale (max |x| → 127), as at rest in the
 * store. Row: the int8 values, padding to 4 bytes, then the float32 scale.
 */
class Int8Codec implements VectorCodec {
  readonly precision = 'int8';
  readonly bytesPerVector: number;
  private readonly scaleOffset: number;

  constructor(readonly dimension: number) {
    this.scaleOffset = align4(dimension);
    this.bytesPerVector = this.scaleOffset + 4;
  }

  encode(vector: Float32Array, row: Uint8Array): void {
    const values = new Int8Array(row.buffer, row.byteOffset, this.dimension);
    let max = 0;
    for (let i = 0; i < this.dimension; i++) max = Math.max(max, Math.abs(vector[i]!));
    const inverse = max === 0 ? 0 : 127 / max;
    for (let i = 0; i < this.dimension; i++) values[i] = Math.round(vector[i]! * inverse);
    new Float32Array(row.buffer, row.byteOffset + this.scaleOffset, 1)[0] = max / 127;
  }

  /** Stored int8 vectors are already this codec's rows (max |x| → 127): a copy. */
  encodeInt8(values: Int8Array, scale: number, row: Uint8Array): void {
    new Int8Array(row.buffer, row.byteOffset, this.dimension).set(values);
    new Float32Array(row.buffer, row.byteOffset + this.scaleOffset, 1)[0] = scale;
  }

  decode(row: Uint8Array): Float32Array {
    const values = new Int8Array(row.buffer, row.byteOffset, this.dimension);
    const scale = new Float32Array(row.buffer, row.byteOffset + this.scaleOffset, 1)[0]!;
    const vector = new Float32Array(this.dimension);
    for (let i = 0; i < this.dimension; i++) vector[i] = values[i]! * scale;
    return vector;
  }

  /** `decode` then a dot product, without the decoded copy: each component is rounded to float32 as `decode` stores it. */
  scoreRows(query: Float32Array, packed: ArrayBufferLike, rows: readonly number[], out: Float64Array): void {
    const stride = this.bytesPerVector;
    const values = new Int8Array(packed);
    const scales = new Float32Array(packed, 0, packed.byteLength >> 2);
    const scaleWord = this.scaleOffset >> 2;
    const dimension = this.dimension;
    for (let index = 0; index < rows.length; index++) {
      const offset = rows[index]! * stride;
      const scale = scales[(offset >> 2) + scaleWord]!;
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += Math.fround(values[offset + i]! * scale) * query[i]!;
      out[index] = sum;
    }
  }

  scan(query: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array): void {
    const stride = this.bytesPerVector;
    const values = new Int8Array(packed, 0, count * stride);
    const scales = new Float32Array(packed, 0, (count * stride) >> 2);
    const scaleWord = this.scaleOffset >> 2;
    const strideWords = stride >> 2;
    const dimension = this.dimension;
    for (let row = 0; row < count; row++) {
      const offset = row * stride;
      let sum = 0;
      for (let i = 0; i < dimension; i++) sum += values[offset + i]! * query[i]!;
      out[row] = sum * scales[row * strideWords + scaleWord]!;
    }
  }
}

/**
 * One bit per component (its sign) and a per-vector scale α = mean |x|, so a
 * vector is approximated by α·sign(x). Scoring is asymmetric: the float query
 * against the bits, through per-query tables of the query's partial sums for
 * every byte value, so a row costs one lookup per 8 dimensions, like a
 * popcount, while keeping the query's magnitudes (far better recall than
 * Hamming distance between sign codes). Centred inputs (PCA) suit it best.
 */
export class BinaryCodec implements VectorCodec {
  readonly precision = 'binary';
  readonly bytesPerVector: number;
  private readonly codeBytes: number;
  private readonly scaleOffset: number;

  constructor(readonly dimension: number) {
    this.codeBytes = Math.ceil(dimension / 8);
    this.scaleOffset = align4(this.codeBytes);
    this.bytesPerVector = this.scaleOffset + 4;
  }

  encode(vector: Float32Array, row: Uint8Array): void {
    let magnitude = 0;
    row.fill(0, 0, this.scaleOffset);
    for (let i = 0; i < this.dimension; i++) {
      const value = vector[i]!;
      magnitude += Math.abs(value);
      if (value > 0) row[i >> 3]! |= 1 << (i & 7);
    }
    new Float32Array(row.buffer, row.byteOffset + this.scaleOffset, 1)[0] = magnitude / this.dimension;
  }

  /** Signs and mean magnitude straight from the int8 values. */
  encodeInt8(values: Int8Array, scale: number, row: Uint8Array): void {
    let magnitude = 0;
    row.fill(0, 0, this.scaleOffset);
    for (let i = 0; i < this.dimension; i++) {
      const value = values[i]!;
      magnitude += value < 0 ? -value : value;
      if (value > 0) row[i >> 3]! |= 1 << (i & 7);
    }
    new Float32Array(row.buffer, row.byteOffset + this.scaleOffset, 1)[0] = (magnitude * scale) / this.dimension;
  }

  decode(row: Uint8Array): Float32Array {
    const scale = new Float32Array(row.buffer, row.byteOffset + this.scaleOffset, 1)[0]!;
    const vector = new Float32Array(this.dimension);
    for (let i = 0; i < this.dimension; i++) vector[i] = (row[i >> 3]! >> (i & 7)) & 1 ? scale : -scale;
    return vector;
  }

  /**
   * Scores are bit for bit those of `scanRowByRow` (see `sumSignRows`), and the same
   * when `thread` scores half of the rows: it runs the same function.
   */
  scan(query: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array, thread?: SignScanThread | null): void {
    const tables = this.byteTables(query);
    if (this.codeBytes !== this.scaleOffset || !LITTLE_ENDIAN) return this.sumRows(tables, packed, count, out, 0);
    const strideWords = this.bytesPerVector >> 2;
    const codeWords = this.codeBytes >> 2;
    if (thread && packed instanceof SharedArrayBuffer) return thread.scan(tables, packed, count, strideWords, codeWords, out);
    sumSignRows(tables, new Uint32Array(packed, 0, count * strideWords), new Float32Array(packed, 0, count * strideWords), strideWords, codeWords, 0, count, out);
  }

  /** `scan` one row at a time, a byte at a time: the reference the interleaved loop must equal. */
  scanRowByRow(query: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array): void {
    this.sumRows(this.byteTables(query), packed, count, out, 0);
  }

  private sumRows(tables: Float32Array, packed: ArrayBufferLike, count: number, out: Float32Array, from: number): void {
    const stride = this.bytesPerVector;
    const bytes = new Uint8Array(packed, 0, count * stride);
    const scales = new Float32Array(packed, 0, (count * stride) >> 2);
    const scaleWord = this.scaleOffset >> 2;
    const strideWords = stride >> 2;
    const codeBytes = this.codeBytes;
    for (let row = from; row < count; row++) {
      const offset = row * stride;
      let sum = 0;
      for (let j = 0; j < codeBytes; j++) sum += tables[(j << 8) | bytes[offset + j]!]!;
      out[row] = sum * scales[row * strideWords + scaleWord]!;
    }
  }

  /** tables[j·256 + b] = Σ over the 8 dimensions of byte j of ±query (+ where b's bit is set). */
  private byteTables(query: Float32Array): Float32Array {
    const tables = new Float32Array(this.codeBytes * 256);
    for (let j = 0; j < this.codeBytes; j++) {
      const base = j << 8;
      let allNegative = 0;
      for (let bit = 0; bit < 8; bit++) {
        const index = j * 8 + bit;
        if (index < this.dimension) allNegative -= query[index]!;
      }
      tables[base] = allNegative;
      for (let byte = 1; byte < 256; byte++) {
        const lowest = byte & -byte;
        const index = j * 8 + 31 - Math.clz32(lowest);
        // Setting one more bit turns −q into +q for that dimension.
        tables[base + byte] = tables[base + (byte ^ lowest)]! + (index < this.dimension ? 2 * query[index]! : 0);
      }
    }
    return tables;
  }
}
