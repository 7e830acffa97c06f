/**
 * A flat, append-only matrix of int8 rows with per-row scales, scanned exactly.
 * Exact search over contiguous int8 is memory-bound and cache-friendly: 100k
 * rows of 256 dims is 25 MB, scanned in a few milliseconds.
 */
export class Int8Matrix {
  private data: Int8Array;
  private scales: Float32Array;
  private rows = 0;

  constructor(
    readonly dimension: number,
    initialCapacity = 1024,
  ) {
    this.data = new Int8Array(dimension * initialCapacity);
    this.scales = new Float32Array(initialCapacity);
  }

  get size(): number {
    return this.rows;
  }

  /** Appends a row and returns its index. */
  push(values: Int8Array, scale: number): number {
    if (values.length !== this.dimension) throw new RangeError(`Row has ${values.length} dimensions; the matrix has ${this.dimension}`);
    if (this.rows === this.scales.length) this.grow();
    this.data.set(values, this.rows * this.dimension);
    this.scales[this.rows] = scale;
    return this.rows++;
  }

  /** Overwrites row `index` (used to recycle freed rows). */
  set(index: number, values: Int8Array, scale: number): void {
    this.data.set(values, index * this.dimension);
    this.scales[index] = scale;
  }

  row(index: number): { data: Int8Array; scale: number } {
    return { data: this.data.subarray(index * this.dimension, (index + 1) * this.dimension), scale: this.scales[index]! };
  }

  /** Dot products of `query` with every row, written into `out` (length ≥ size). */
  scores(query: Float32Array, out: Float32Array): void {
    const dimension = this.dimension;
    const data = this.data;
    for (let row = 0; row < this.rows; row++) {
      let sum = 0;
      const offset = row * dimension;
      for (let i = 0; i < dimension; i++) sum += data[offset + i]! * query[i]!;
      out[row] = sum * this.scales[row]!;
    }
  }

  get byteLength(): number {
    return this.data.byteLength + this.scales.byteLength;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.scales.length * 2);
    const data = new Int8Array(this.dimension * capacity);
    data.set(this.data);
    const scales = new Float32Array(capacity);
    scales.set(this.scales);
    this.data = data;
    this.scales = scales;
  }
}

export interface Scored {
  readonly index: number;
  readonly score: number;
}

/**
 * The k highest of `scores[0..count)`, best first, skipping indices `accept`
 * rejects. A bounded min-heap: O(n log k) with no full sort.
 */
export function topK(scores: Float32Array, count: number, k: number, accept?: (index: number) => boolean): Scored[] {
  if (k <= 0) return [];
  // Typed arrays and hole-moving sifts: the same comparisons and the same final positions as
  // swapping entries pairwise, so the kept set (ties included) is the same, without the swaps' allocations.
  const capacity = Math.min(k, Math.max(0, count));
  const heapIndex = new Int32Array(capacity);
  const heapScore = new Float64Array(capacity);
  let size = 0;
  for (let index = 0; index < count; index++) {
    const score = scores[index]!;
    if (size === k && score <= heapScore[0]!) continue;
    if (accept && !accept(index)) continue;
    if (size < k) {
      let child = size++;
      while (child > 0) {
        const parent = (child - 1) >> 1;
        if (heapScore[parent]! <= score) break;
        heapScore[child] = heapScore[parent]!;
        heapIndex[child] = heapIndex[parent]!;
        child = parent;
      }
      heapScore[child] = score;
      heapIndex[child] = index;
    } else {
      let position = 0;
      for (;;) {
        const left = position * 2 + 1;
        const right = left + 1;
        let smallest = position;
        let smallestScore = score;
        if (left < size && heapScore[left]! < smallestScore) {
          smallest = left;
          smallestScore = heapScore[left]!;
        }
        if (right < size && heapScore[right]! < smallestScore) smallest = right;
        if (smallest === position) break;
        heapScore[position] = heapScore[smallest]!;
        heapIndex[position] = heapIndex[smallest]!;
        position = smallest;
      }
      heapScore[position] = score;
      heapIndex[position] = index;
    }
  }
  const ranked: Scored[] = [];
  for (let position = 0; position < size; position++) ranked.push({ index: heapIndex[position]!, score: heapScore[position]! });
  return ranked.sort((a, b) => b.score - a.score || a.index - b.index);
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) sum += a[i]! * b[i]!;
  return sum;
}
