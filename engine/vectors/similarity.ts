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
  const heapIndex: number[] = [];
  const heapScore: number[] = [];
  const siftDown = (start: number) => {
    let position = start;
    for (;;) {
      const left = position * 2 + 1;
      const right = left + 1;
      let smallest = position;
      if (left < heapScore.length && heapScore[left]! < heapScore[smallest]!) smallest = left;
      if (right < heapScore.length && heapScore[right]! < heapScore[smallest]!) smallest = right;
      if (smallest === position) return;
      [heapScore[position], heapScore[smallest]] = [heapScore[smallest]!, heapScore[position]!];
      [heapIndex[position], heapIndex[smallest]] = [heapIndex[smallest]!, heapIndex[position]!];
      position = smallest;
    }
  };
  for (let index = 0; index < count; index++) {
    const score = scores[index]!;
    if (heapScore.length === k && score <= heapScore[0]!) continue;
    if (accept && !accept(index)) continue;
    if (heapScore.length < k) {
      heapScore.push(score);
      heapIndex.push(index);
      let child = heapScore.length - 1;
      while (child > 0) {
        const parent = (child - 1) >> 1;
        if (heapScore[parent]! <= heapScore[child]!) break;
        [heapScore[parent], heapScore[child]] = [heapScore[child]!, heapScore[parent]!];
        [heapIndex[parent], heapIndex[child]] = [heapIndex[child]!, heapIndex[parent]!];
        child = parent;
      }
    } else {
      heapScore[0] = score;
      heapIndex[0] = index;
      siftDown(0);
    }
  }
  return heapIndex.map((index, position) => ({ index, score: heapScore[position]! })).sort((a, b) => b.score - a.score || a.index - b.index);
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) sum += a[i]! * b[i]!;
  return sum;
}
