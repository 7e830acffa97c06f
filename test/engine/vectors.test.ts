import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeInt8Blob, dequantizeInt8, encodeInt8Blob, quantizeInt8, quantizeInt8Blobs } from '../../engine/vectors/quantize.js';
import { dot, Int8Matrix, topK } from '../../engine/vectors/similarity.js';

function randomUnit(dimension: number, seed: number): Float32Array {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const vector = Float32Array.from({ length: dimension }, next);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

describe('int8 quantisation', () => {
  it('round-trips through a BLOB with small error', () => {
    const vector = randomUnit(256, 7);
    const decoded = decodeInt8Blob(encodeInt8Blob(quantizeInt8(vector)));
    const restored = dequantizeInt8(decoded);
    const maxError = Math.max(...vector.map((value, index) => Math.abs(value - restored[index]!)));
    assert.ok(maxError <= decoded.scale / 2 + 1e-7);
  });

  it('keeps dot products within 1e-2 of float32', () => {
    const a = randomUnit(256, 1);
    const b = randomUnit(256, 2);
    const matrix = new Int8Matrix(256);
    const q = quantizeInt8(b);
    matrix.push(q.data, q.scale);
    const out = new Float32Array(1);
    matrix.scores(a, out);
    assert.ok(Math.abs(out[0]! - dot(a, b)) < 1e-2);
  });

  it('handles the zero vector', () => {
    assert.equal(quantizeInt8(new Float32Array(4)).scale, 0);
  });

  it('writes a batch of blobs with the same bytes as one vector at a time', () => {
    const vectors = [randomUnit(256, 3), new Float32Array(256), randomUnit(64, 4), Float32Array.from([0.5, -0.5, 0.25, 1 / 254]), new Float32Array(0)];
    const blobs = quantizeInt8Blobs(vectors);
    assert.equal(blobs.length, vectors.length);
    vectors.forEach((vector, index) => assert.deepEqual(new Uint8Array(blobs[index]!), new Uint8Array(encodeInt8Blob(quantizeInt8(vector))), `vector ${index}`));
  });
});

describe('top-k selection', () => {
  it('matches a full sort, best first, with filtering', () => {
    const scores = Float32Array.from({ length: 500 }, (_, index) => Math.sin(index * 12.9898) * 43758.5453 % 1);
    const expected = [...scores.keys()].filter((index) => index % 3 !== 0).sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, 10);
    assert.deepEqual(topK(scores, scores.length, 10, (index) => index % 3 !== 0).map((hit) => hit.index), expected);
  });

  it('keeps the same entries as a pairwise-swapping heap when scores tie at the cut', () => {
    // The heap the scan used before it moved to typed arrays: ties at the k-th score are kept by heap position.
    const swappingTopK = (scores: Float32Array, k: number) => {
      const index: number[] = [];
      const score: number[] = [];
      const swap = (a: number, b: number) => {
        [score[a], score[b]] = [score[b]!, score[a]!];
        [index[a], index[b]] = [index[b]!, index[a]!];
      };
      scores.forEach((value, at) => {
        if (score.length === k && value <= score[0]!) return;
        if (score.length < k) {
          score.push(value);
          index.push(at);
          for (let child = score.length - 1; child > 0 && score[(child - 1) >> 1]! > score[child]!; child = (child - 1) >> 1) swap(child, (child - 1) >> 1);
          return;
        }
        score[0] = value;
        index[0] = at;
        for (let position = 0; ; ) {
          const left = position * 2 + 1;
          let smallest = position;
          if (left < score.length && score[left]! < score[smallest]!) smallest = left;
          if (left + 1 < score.length && score[left + 1]! < score[smallest]!) smallest = left + 1;
          if (smallest === position) break;
          swap(position, smallest);
          position = smallest;
        }
      });
      return index.map((at, position) => ({ index: at, score: score[position]! })).sort((a, b) => b.score - a.score || a.index - b.index);
    };
    // Few distinct values, so many ties fall on the cut.
    const scores = Float32Array.from({ length: 3000 }, (_, at) => Math.floor(((Math.sin(at * 78.233) * 43758.5453) % 1) * 7) / 7);
    for (const k of [1, 5, 64, 512]) assert.deepEqual(topK(scores, scores.length, k), swappingTopK(scores, k), `k = ${k}`);
  });

  it('returns fewer than k when there are fewer candidates', () => {
    assert.equal(topK(new Float32Array([0.1, 0.2]), 2, 5).length, 2);
    assert.equal(topK(new Float32Array([0.1]), 1, 0).length, 0);
  });

  it('grows the matrix past its initial capacity', () => {
    const matrix = new Int8Matrix(4, 2);
    for (let i = 0; i < 5; i++) matrix.push(new Int8Array([i, 0, 0, 0]), 1);
    assert.equal(matrix.size, 5);
    assert.equal(matrix.row(4).data[0], 4);
  });
});
