import type { Pooling } from './manifest.js';

/**
 * Pools a graph output into one vector per row. `[batch, hidden]` outputs
 * (pooled inside the graph) pass through; `[batch, length, hidden]` token
 * states are pooled over the positions whose mask is 1:
 * - `mean`: average of the real tokens;
 * - `cls`: the first real token (position 0 with right padding);
 * - `last`: the last real token, for decoder models whose last position has
 *   seen the whole text. Reading the mask makes left and right padding both work.
 * Pure: `data` is the output tensor's buffer in row-major order.
 */
export function poolOutput(data: Float32Array, dims: readonly number[], mask: BigInt64Array, pooling: Pooling): Float32Array[] {
  const batch = dims[0]!;
  if (dims.length === 2) {
    const hidden = dims[1]!;
    return Array.from({ length: batch }, (_, row) => data.slice(row * hidden, (row + 1) * hidden));
  }
  const length = dims[1]!;
  const hidden = dims[2]!;
  const vectors: Float32Array[] = [];
  for (let row = 0; row < batch; row++) {
    const vector = new Float32Array(hidden);
    let first = -1;
    let last = -1;
    let count = 0;
    for (let t = 0; t < length; t++) {
      if (mask[row * length + t] === 0n) continue;
      if (first < 0) first = t;
      last = t;
      count++;
      if (pooling === 'mean') {
        const offset = (row * length + t) * hidden;
        for (let h = 0; h < hidden; h++) vector[h]! += data[offset + h]!;
      }
    }
    if (pooling === 'mean') {
      for (let h = 0; h < hidden; h++) vector[h]! /= Math.max(1, count);
    } else {
      // A row with no real token (never produced by the engine) falls back to position 0.
      const t = Math.max(0, pooling === 'last' ? last : first);
      vector.set(data.subarray((row * length + t) * hidden, (row * length + t + 1) * hidden));
    }
    vectors.push(vector);
  }
  return vectors;
}

/** Keeps the first `dimension` values (Matryoshka truncation) and L2-normalises when asked. */
export function finalizeVector(vector: Float32Array, dimension: number, normalize: boolean): Float32Array {
  const result = vector.length === dimension ? vector : vector.slice(0, dimension);
  if (normalize) {
    let norm = 0;
    for (let i = 0; i < result.length; i++) norm += result[i]! * result[i]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < result.length; i++) result[i]! /= norm;
  }
  return result;
}
