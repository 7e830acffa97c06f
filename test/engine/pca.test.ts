import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CacheCorruptionError } from '../../engine/errors.js';
import { DenseIndex } from '../../engine/search/denseIndex.js';
import { applyPcaToDocument, applyPcaToQuery, decodePca, encodePca, fitPca, gaussianSource, reconstructFromPca, symmetricEigen } from '../../engine/vectors/pca.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

/** `count` orthonormal vectors of `dimension` (Gram–Schmidt on seeded Gaussians). */
function orthonormalAxes(dimension: number, count: number, seed: number): Float64Array[] {
  const gaussian = gaussianSource(seed);
  const axes: Float64Array[] = [];
  while (axes.length < count) {
    const vector = Float64Array.from({ length: dimension }, gaussian);
    for (const axis of axes) {
      const projection = dot(vector, axis);
      for (let i = 0; i < dimension; i++) vector[i] -= projection * axis[i]!;
    }
    const norm = Math.sqrt(dot(vector, vector));
    axes.push(vector.map((value) => value / norm));
  }
  return axes;
}

/** Samples mean + Σ √λⱼ zⱼ axisⱼ: principal axes and variances known by construction. */
function sampleAlongAxes(axes: Float64Array[], variances: number[], mean: Float64Array, count: number, seed: number): Float32Array[] {
  const gaussian = gaussianSource(seed);
  return Array.from({ length: count }, () => {
    const sample = Float32Array.from(mean);
    axes.forEach((axis, j) => {
      const weight = Math.sqrt(variances[j]!) * gaussian();
      for (let i = 0; i < sample.length; i++) sample[i] += weight * axis[i]!;
    });
    return sample;
  });
}

describe('PCA', () => {
  const dimension = 24;
  const variances = [25, 16, 9, 4, 0.25, 0.2, 0.15, 0.1, 0.05, 0.05, 0.05, 0.05, 0.04, 0.04, 0.03, 0.03, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01];
  const axes = orthonormalAxes(dimension, dimension, 11);
  const mean = Float64Array.from({ length: dimension }, (_, i) => (i % 3) - 1);
  const samples = sampleAlongAxes(axes, variances, mean, 4000, 12);

  it('recovers the principal axes, their variances and the mean of data built along known axes', () => {
    for (const options of [{}, { oversample: 2 }]) {
      // 4 of 24 with the default basis decomposes the whole covariance; oversample 2 takes the subspace-iteration path.
      const projection = fitPca(samples, 4, options);
      for (let j = 0; j < 4; j++) {
        const component = projection.components.subarray(j * dimension, (j + 1) * dimension);
        assert.ok(Math.abs(dot(component, axes[j]!)) > 0.995, `component ${j} is axis ${j} (|cos| = ${Math.abs(dot(component, axes[j]!))})`);
        assert.ok(Math.abs(projection.eigenvalues[j]! - variances[j]!) / variances[j]! < 0.1, `variance ${j}: ${projection.eigenvalues[j]} vs ${variances[j]}`);
      }
      const total = variances.reduce((sum, value) => sum + value, 0);
      assert.ok(Math.abs(projection.explainedVariance - (25 + 16 + 9 + 4) / total) < 0.01);
      for (let i = 0; i < dimension; i++) assert.ok(Math.abs(projection.mean[i]! - mean[i]!) < 0.3);
    }
  });

  it('returns orthonormal components, largest variance first, with a deterministic sign', () => {
    const projection = fitPca(samples, 6);
    for (let a = 0; a < 6; a++) {
      const rowA = projection.components.subarray(a * dimension, (a + 1) * dimension);
      for (let b = 0; b < 6; b++) {
        const rowB = projection.components.subarray(b * dimension, (b + 1) * dimension);
        assert.ok(Math.abs(dot(rowA, rowB) - (a === b ? 1 : 0)) < 1e-5);
      }
      const largest = rowA.reduce((best, value, index) => (Math.abs(value) > Math.abs(rowA[best]!) ? index : best), 0);
      assert.ok(rowA[largest]! > 0);
      if (a > 0) assert.ok(projection.eigenvalues[a]! <= projection.eigenvalues[a - 1]!);
    }
    assert.deepEqual(fitPca(samples, 6).components, projection.components);
  });

  it('keeps a full basis when the data has lower rank than the components asked for', () => {
    const flat = sampleAlongAxes(axes.slice(0, 3), [4, 2, 1], new Float64Array(dimension), 200, 3);
    const projection = fitPca(flat, 6, { oversample: 1 });
    assert.ok(projection.eigenvalues[2]! > 0.5);
    assert.ok(projection.eigenvalues[3]! < 1e-6);
    assert.ok(Math.abs(projection.explainedVariance - 1) < 1e-6);
    const fourth = projection.components.subarray(3 * dimension, 4 * dimension);
    assert.ok(Math.abs(Math.sqrt(dot(fourth, fourth)) - 1) < 1e-5);
  });

  it('projects queries so that scores stay on the dot-product scale, and reconstructs documents in its span', () => {
    const projection = fitPca(samples, 4);
    const query = samples[7]!;
    const document = samples[9]!;
    const { vector, offset } = applyPcaToQuery(projection, query);
    const projected = applyPcaToDocument(projection, document);
    const approximate = dot(vector, projected) + offset;
    // Exactly what is lost: the parts of the query and of the centred document outside the kept span.
    const documentResidual = document.map((value, i) => value - reconstructFromPca(projection, projected)[i]!);
    const queryResidual = query.map((value, i) => value - reconstructFromPca(projection, vector)[i]! + projection.mean[i]!);
    assert.ok(Math.abs(dot(query, document) - approximate - dot(queryResidual, documentResidual)) < 1e-3);
    assert.ok(Math.abs(dot(queryResidual, documentResidual)) < 0.1 * Math.abs(dot(query, document)));
    const inSpan = Float32Array.from(mean);
    for (let i = 0; i < dimension; i++) inSpan[i] += 2 * axes[0]![i]! - 3 * axes[2]![i]!;
    const restored = reconstructFromPca(projection, applyPcaToDocument(projection, inSpan));
    for (let i = 0; i < dimension; i++) assert.ok(Math.abs(restored[i]! - inSpan[i]!) < 0.05);
  });

  it('preserves nearest neighbours of clustered data when projected to the dimensions that carry the structure', () => {
    // 40 clusters in a 12-dimensional subspace of 64 dimensions, plus isotropic noise in all 64.
    const wide = 64;
    const signal = orthonormalAxes(wide, 12, 21);
    const gaussian = gaussianSource(22);
    const centres = Array.from({ length: 40 }, () => signal.map(() => 3 * gaussian()));
    const draw = (cluster: number) => {
      const vector = Float32Array.from({ length: wide }, () => 0.15 * gaussian());
      signal.forEach((axis, j) => {
        const weight = centres[cluster]![j]! + 0.8 * gaussian();
        for (let i = 0; i < wide; i++) vector[i] += weight * axis[i]!;
      });
      return vector;
    };
    const documents = Array.from({ length: 2000 }, (_, index) => draw(index % 40));
    const queries = Array.from({ length: 50 }, (_, index) => draw((index * 7) % 40));
    const projection = fitPca(documents, 16, { seed: 5 });
    const index = new DenseIndex(wide, { precision: 'f32', projection });
    documents.forEach((vector, id) => index.addVector(id, 0, vector));
    let found = 0;
    for (const query of queries) {
      const exact = new Set(documents.map((vector, id) => ({ id, score: dot(vector, query) })).sort((a, b) => b.score - a.score).slice(0, 10).map((hit) => hit.id));
      for (const hit of index.search(query, 10)) if (exact.has(hit.index)) found++;
    }
    assert.ok(found / (queries.length * 10) >= 0.9, `recall@10 ${found / (queries.length * 10)}`);
  });

  it('round-trips through its BLOB and rejects a damaged one with a cache error', () => {
    const projection = fitPca(samples, 3);
    const restored = decodePca(encodePca(projection));
    assert.deepEqual(restored.components, projection.components);
    assert.deepEqual(restored.mean, projection.mean);
    assert.deepEqual(restored.eigenvalues, projection.eigenvalues);
    assert.equal(restored.sampleCount, 4000);
    assert.equal(restored.explainedVariance, projection.explainedVariance);
    assert.deepEqual(restored.projectedMean, projection.projectedMean);
    const blob = encodePca(projection);
    assert.throws(() => decodePca(blob.subarray(0, blob.length - 4)), CacheCorruptionError);
    assert.throws(() => decodePca(Buffer.alloc(64)), CacheCorruptionError);
  });

  it('rejects impossible fits', () => {
    assert.throws(() => fitPca([samples[0]!], 2), RangeError);
    assert.throws(() => fitPca(samples, 0), RangeError);
    assert.throws(() => fitPca(samples, dimension + 1), RangeError);
    assert.throws(() => fitPca([samples[0]!, new Float32Array(3)], 2), RangeError);
  });
});

describe('symmetric eigen-decomposition', () => {
  it('diagonalises random symmetric matrices with orthonormal eigenvectors', () => {
    const gaussian = gaussianSource(9);
    for (const n of [1, 2, 5, 31]) {
      const matrix = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const value = gaussian();
          matrix[i * n + j] = value;
          matrix[j * n + i] = value;
        }
      }
      const { values, vectors } = symmetricEigen(matrix, n);
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          let product = 0;
          for (let l = 0; l < n; l++) product += matrix[i * n + l]! * vectors[l * n + j]!;
          assert.ok(Math.abs(product - values[j]! * vectors[i * n + j]!) < 1e-10);
        }
        for (let other = 0; other < n; other++) {
          let inner = 0;
          for (let l = 0; l < n; l++) inner += vectors[l * n + j]! * vectors[l * n + other]!;
          assert.ok(Math.abs(inner - (j === other ? 1 : 0)) < 1e-10);
        }
      }
    }
  });

  it('handles repeated eigenvalues and the zero matrix', () => {
    const n = 5;
    const diagonal = new Float64Array(n * n);
    [3, 3, 1, 1, 1].forEach((value, i) => (diagonal[i * n + i] = value));
    assert.deepEqual([...symmetricEigen(diagonal, n).values].sort(), [1, 1, 1, 3, 3]);
    assert.deepEqual([...symmetricEigen(new Float64Array(9), 3).values], [0, 0, 0]);
  });
});
