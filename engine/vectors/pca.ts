import { CacheCorruptionError } from '../errors.js';
import { gaussianSource } from '../random/index.js';

export { gaussianSource };

/**
 * A PCA projection from `inputDimension` to `outputDimension` components,
 * fitted on a sample of a workspace's embeddings.
 *
 * Documents are stored as y = W(x − μ); a query q becomes Wq plus a scalar
 * offset q·μ, so that Wq · W(x − μ) + q·μ ≈ q·x: the index keeps scoring on
 * the model's cosine scale (thresholds keep their meaning), and ranking needs
 * only the k-dimensional dot product. The query is deliberately not centred:
 * (Wq)·(Wμ) would be a per-query constant, but q·μ is the right one.
 */
export interface PcaProjection {
  readonly inputDimension: number;
  readonly outputDimension: number;
  /** μ, the sample mean (inputDimension). */
  readonly mean: Float32Array;
  /** W, orthonormal rows, largest variance first (outputDimension × inputDimension, row-major). */
  readonly components: Float32Array;
  /** Variance of the sample along each component. */
  readonly eigenvalues: Float32Array;
  /** Fraction of the sample's total variance the components keep. */
  readonly explainedVariance: number;
  readonly sampleCount: number;
  /** Wμ, precomputed for document projection. */
  readonly projectedMean: Float32Array;
}

export interface PcaFitOptions {
  /** Seed of the random starting subspace; the same sample and seed give the same projection. */
  readonly seed?: number;
  /** Extra basis vectors iterated beyond the k kept (default max(10, k/4)): they speed convergence of the last components. */
  readonly oversample?: number;
  /** Subspace (power) iterations (default 6). */
  readonly iterations?: number;
}

/**
 * Fits PCA by randomised subspace iteration on the covariance matrix: a
 * seeded random basis of k + p vectors is multiplied by the covariance and
 * re-orthonormalised (Gram–Schmidt) a few times, then a Rayleigh–Ritz step
 * (Jacobi eigen-decomposition of the small projected matrix) separates the
 * components. Cost: n·d²/2 for the covariance plus iterations·d²·(k + p) —
 * about a second for d = 256, a few for d = 768, in plain TypeScript.
 * Deterministic: a fixed seed, and each component's largest coordinate made positive.
 */
export function fitPca(samples: readonly Float32Array[], outputDimension: number, options: PcaFitOptions = {}): PcaProjection {
  const count = samples.length;
  if (count < 2) throw new RangeError(`PCA needs at least 2 samples, got ${count}`);
  const dimension = samples[0]!.length;
  for (const sample of samples) if (sample.length !== dimension) throw new RangeError(`PCA samples must share one dimension: ${sample.length} ≠ ${dimension}`);
  if (!Number.isInteger(outputDimension) || outputDimension < 1 || outputDimension > dimension) {
    throw new RangeError(`PCA output dimension must be an integer in [1, ${dimension}], got ${outputDimension}`);
  }

  const mean = new Float64Array(dimension);
  for (const sample of samples) for (let i = 0; i < dimension; i++) mean[i] += sample[i]!;
  for (let i = 0; i < dimension; i++) mean[i] /= count;
  const covariance = covarianceOf(samples, mean);
  let trace = 0;
  for (let i = 0; i < dimension; i++) trace += covariance[i * dimension + i]!;

  const width = Math.min(dimension, outputDimension + (options.oversample ?? Math.max(10, Math.ceil(outputDimension / 4))));
  // Keeping half the dimensions or more, decomposing the whole covariance is exact and no slower:
  // the basis is then the identity, and the Ritz matrix the covariance itself.
  const basis = 2 * width >= dimension ? null : subspaceIteration(covariance, dimension, width, options);
  const span = basis ? basis.length : dimension;
  let small = covariance;
  if (basis) {
    // Rayleigh–Ritz: eigen-decompose Qᵀ C Q, then rotate the basis onto its eigenvectors.
    const images = multiplyAll(covariance, dimension, basis);
    small = new Float64Array(span * span);
    for (let a = 0; a < span; a++) {
      for (let b = a; b < span; b++) {
        const value = (dotF64(basis[a]!, images[b]!) + dotF64(basis[b]!, images[a]!)) / 2;
        small[a * span + b] = value;
        small[b * span + a] = value;
      }
    }
  }
  const { values, vectors } = symmetricEigen(small, span);
  const order = [...values.keys()].sort((a, b) => values[b]! - values[a]! || a - b).slice(0, outputDimension);

  const components = new Float32Array(outputDimension * dimension);
  const eigenvalues = new Float32Array(outputDimension);
  let kept = 0;
  order.forEach((column, rank) => {
    const component = new Float64Array(dimension);
    for (let a = 0; a < span; a++) {
      const weight = vectors[a * span + column]!;
      if (!basis) component[a] = weight;
      else for (let i = 0; i < dimension; i++) component[i] += weight * basis[a]![i]!;
    }
    let largest = 0;
    for (let i = 1; i < dimension; i++) if (Math.abs(component[i]!) > Math.abs(component[largest]!)) largest = i;
    const sign = component[largest]! < 0 ? -1 : 1;
    for (let i = 0; i < dimension; i++) components[rank * dimension + i] = sign * component[i]!;
    const variance = Math.max(0, values[column]!);
    eigenvalues[rank] = variance;
    kept += variance;
  });
  return createPcaProjection({
    mean: Float32Array.from(mean),
    components,
    eigenvalues,
    explainedVariance: trace > 0 ? Math.min(1, kept / trace) : 1,
    sampleCount: count,
  });
}

/** Builds a projection from its parameters (fitted or deserialised), precomputing Wμ. */
export function createPcaProjection(parameters: { mean: Float32Array; components: Float32Array; eigenvalues: Float32Array; explainedVariance: number; sampleCount: number }): PcaProjection {
  const inputDimension = parameters.mean.length;
  const outputDimension = parameters.eigenvalues.length;
  if (parameters.components.length !== inputDimension * outputDimension) {
    throw new RangeError(`PCA components hold ${parameters.components.length} values, expected ${outputDimension} × ${inputDimension}`);
  }
  const projectedMean = new Float32Array(outputDimension);
  for (let j = 0; j < outputDimension; j++) {
    let sum = 0;
    for (let i = 0; i < inputDimension; i++) sum += parameters.components[j * inputDimension + i]! * parameters.mean[i]!;
    projectedMean[j] = sum;
  }
  return { ...parameters, inputDimension, outputDimension, projectedMean };
}

/** y = W(x − μ), the stored form of a document vector. */
export function applyPcaToDocument(projection: PcaProjection, vector: Float32Array, out = new Float32Array(projection.outputDimension)): Float32Array {
  const { inputDimension, outputDimension, components, projectedMean } = projection;
  for (let j = 0; j < outputDimension; j++) {
    const row = j * inputDimension;
    let sum = 0;
    for (let i = 0; i < inputDimension; i++) sum += components[row + i]! * vector[i]!;
    out[j] = sum - projectedMean[j]!;
  }
  return out;
}

/** Wq and the offset q·μ to add to its dot products with projected documents. */
export function applyPcaToQuery(projection: PcaProjection, query: Float32Array): { vector: Float32Array; offset: number } {
  const { inputDimension, outputDimension, components, mean } = projection;
  const vector = new Float32Array(outputDimension);
  for (let j = 0; j < outputDimension; j++) {
    const row = j * inputDimension;
    let sum = 0;
    for (let i = 0; i < inputDimension; i++) sum += components[row + i]! * query[i]!;
    vector[j] = sum;
  }
  let offset = 0;
  for (let i = 0; i < inputDimension; i++) offset += query[i]! * mean[i]!;
  return { vector, offset };
}

/** x̂ = μ + Wᵀy: back to the model's space (e.g. to use a stored chunk as a query). */
export function reconstructFromPca(projection: PcaProjection, projected: Float32Array): Float32Array {
  const { inputDimension, outputDimension, components } = projection;
  const vector = Float32Array.from(projection.mean);
  for (let j = 0; j < outputDimension; j++) {
    const weight = projected[j]!;
    const row = j * inputDimension;
    for (let i = 0; i < inputDimension; i++) vector[i] += weight * components[row + i]!;
  }
  return vector;
}

const MAGIC = 0x31414350; // "PCA1", little-endian
const HEADER_BYTES = 24;

/** BLOB layout: magic, input and output dimension, sample count (uint32 LE), explained variance (float64), then μ, eigenvalues and W as float32 LE. */
export function encodePca(projection: PcaProjection): Buffer {
  const { inputDimension: d, outputDimension: k } = projection;
  const buffer = Buffer.alloc(HEADER_BYTES + 4 * (d + k + k * d));
  buffer.writeUInt32LE(MAGIC, 0);
  buffer.writeUInt32LE(d, 4);
  buffer.writeUInt32LE(k, 8);
  buffer.writeUInt32LE(projection.sampleCount, 12);
  buffer.writeDoubleLE(projection.explainedVariance, 16);
  let offset = HEADER_BYTES;
  for (const array of [projection.mean, projection.eigenvalues, projection.components]) {
    for (let i = 0; i < array.length; i++, offset += 4) buffer.writeFloatLE(array[i]!, offset);
  }
  return buffer;
}

export function decodePca(blob: Uint8Array): PcaProjection {
  const buffer = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const fail = (why: string) => new CacheCorruptionError(`The stored PCA projection is unreadable (${why}); clear the index to rebuild it`, { check: 'pca' });
  if (buffer.byteLength < HEADER_BYTES || buffer.readUInt32LE(0) !== MAGIC) throw fail('bad header');
  const d = buffer.readUInt32LE(4);
  const k = buffer.readUInt32LE(8);
  if (d < 1 || k < 1 || k > d || buffer.byteLength !== HEADER_BYTES + 4 * (d + k + k * d)) throw fail(`size ${buffer.byteLength} does not match ${d}→${k}`);
  let offset = HEADER_BYTES;
  const read = (length: number) => {
    const array = new Float32Array(length);
    for (let i = 0; i < length; i++, offset += 4) array[i] = buffer.readFloatLE(offset);
    return array;
  };
  const mean = read(d);
  const eigenvalues = read(k);
  const components = read(k * d);
  return createPcaProjection({ mean, components, eigenvalues, explainedVariance: buffer.readDoubleLE(16), sampleCount: buffer.readUInt32LE(12) });
}

/** Sample covariance (n − 1 denominator), d × d row-major. Samples are centred in blocks, transposed, so the inner loop is contiguous. */
function covarianceOf(samples: readonly Float32Array[], mean: Float64Array): Float64Array {
  const dimension = mean.length;
  const covariance = new Float64Array(dimension * dimension);
  const blockSize = 32;
  const block = new Float64Array(dimension * blockSize);
  for (let start = 0; start < samples.length; start += blockSize) {
    block.fill(0);
    const rows = Math.min(blockSize, samples.length - start);
    for (let b = 0; b < rows; b++) {
      const sample = samples[start + b]!;
      for (let i = 0; i < dimension; i++) block[i * blockSize + b] = sample[i]! - mean[i]!;
    }
    for (let i = 0; i < dimension; i++) {
      const rowI = i * blockSize;
      for (let j = i; j < dimension; j++) {
        const rowJ = j * blockSize;
        let sum = 0;
        for (let b = 0; b < blockSize; b++) sum += block[rowI + b]! * block[rowJ + b]!;
        covariance[i * dimension + j] += sum;
      }
    }
  }
  const denominator = samples.length - 1;
  for (let i = 0; i < dimension; i++) {
    for (let j = i; j < dimension; j++) {
      const value = covariance[i * dimension + j]! / denominator;
      covariance[i * dimension + j] = value;
      covariance[j * dimension + i] = value;
    }
  }
  return covariance;
}

/**
 * An orthonormal basis of `width` vectors close to the covariance's top
 * eigenvectors: a seeded random basis, multiplied by the covariance and
 * re-orthonormalised `iterations` times (orthogonal iteration).
 */
function subspaceIteration(covariance: Float64Array, dimension: number, width: number, options: PcaFitOptions): Float64Array[] {
  const random = gaussianSource(options.seed ?? 0);
  let basis: Float64Array[] = Array.from({ length: width }, () => Float64Array.from({ length: dimension }, random));
  orthonormalize(basis, random, 2);
  const iterations = options.iterations ?? 6;
  for (let iteration = 0; iteration < iterations; iteration++) {
    basis = multiplyAll(covariance, dimension, basis);
    // One Gram–Schmidt pass keeps the basis orthogonal to ~1e-13 here; the last iteration does two.
    orthonormalize(basis, random, iteration === iterations - 1 ? 2 : 1);
  }
  return basis;
}

/** matrix · v for every v, four vectors per pass over the matrix: the matrix is what costs memory bandwidth. */
function multiplyAll(matrix: Float64Array, dimension: number, vectors: readonly Float64Array[]): Float64Array[] {
  const outs = vectors.map(() => new Float64Array(dimension));
  for (let start = 0; start < vectors.length; start += 4) {
    const v0 = vectors[start]!;
    const v1 = vectors[Math.min(start + 1, vectors.length - 1)]!;
    const v2 = vectors[Math.min(start + 2, vectors.length - 1)]!;
    const v3 = vectors[Math.min(start + 3, vectors.length - 1)]!;
    for (let i = 0; i < dimension; i++) {
      const row = i * dimension;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < dimension; j++) {
        const m = matrix[row + j]!;
        s0 += m * v0[j]!;
        s1 += m * v1[j]!;
        s2 += m * v2[j]!;
        s3 += m * v3[j]!;
      }
      outs[start]![i] = s0;
      if (start + 1 < vectors.length) outs[start + 1]![i] = s1;
      if (start + 2 < vectors.length) outs[start + 2]![i] = s2;
      if (start + 3 < vectors.length) outs[start + 3]![i] = s3;
    }
  }
  return outs;
}

function dotF64(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * Modified Gram–Schmidt (`passes` times per vector). A vector that
 * collapses (the covariance has lower rank than the basis) is replaced by a
 * fresh random one, orthogonalised in turn, so the basis always stays full.
 */
function orthonormalize(basis: Float64Array[], random: () => number, passes: number): void {
  for (let index = 0; index < basis.length; index++) {
    let vector = basis[index]!;
    const original = Math.sqrt(dotF64(vector, vector));
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < passes; pass++) {
        for (let previous = 0; previous < index; previous++) {
          const other = basis[previous]!;
          const projection = dotF64(vector, other);
          for (let i = 0; i < vector.length; i++) vector[i] -= projection * other[i]!;
        }
      }
      const norm = Math.sqrt(dotF64(vector, vector));
      if (norm > 1e-10 * Math.max(original, 1e-300) && norm > 1e-150) {
        for (let i = 0; i < vector.length; i++) vector[i] /= norm;
        break;
      }
      if (attempt > 8) throw new RangeError('PCA could not build an orthonormal basis');
      vector = Float64Array.from({ length: vector.length }, random);
      basis[index] = vector;
    }
  }
}

/**
 * Eigenvalues and eigenvectors of a symmetric n × n matrix (row-major);
 * eigenvector j is column j of `vectors`. Householder reduction to
 * tridiagonal form, then implicit QR steps with Wilkinson shifts, chasing the
 * bulge with Givens rotations (Golub & Van Loan, §8.3). O(n³) with a small
 * constant: about 10× fewer operations than cyclic Jacobi.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  tridiagonalize(a, q, n);
  const at = (i: number, j: number) => i * n + j;
  const epsilon = 2.220446049250313e-16;
  let hi = n - 1;
  for (let steps = 0; hi > 0; steps++) {
    if (steps > 60 * n) throw new RangeError('Eigen-decomposition did not converge');
    // Deflate: drop converged eigenvalues at the bottom, then find the unreduced block [lo, hi].
    while (hi > 0 && Math.abs(a[at(hi, hi - 1)]!) <= epsilon * (Math.abs(a[at(hi, hi)]!) + Math.abs(a[at(hi - 1, hi - 1)]!))) {
      a[at(hi, hi - 1)] = 0;
      a[at(hi - 1, hi)] = 0;
      hi--;
    }
    if (hi === 0) break;
    let lo = hi - 1;
    while (lo > 0 && Math.abs(a[at(lo, lo - 1)]!) > epsilon * (Math.abs(a[at(lo, lo)]!) + Math.abs(a[at(lo - 1, lo - 1)]!))) lo--;
    if (lo > 0) {
      a[at(lo, lo - 1)] = 0;
      a[at(lo - 1, lo)] = 0;
    }
    // Wilkinson shift: the eigenvalue of the trailing 2 × 2 block nearer its last diagonal entry.
    const half = (a[at(hi - 1, hi - 1)]! - a[at(hi, hi)]!) / 2;
    const off = a[at(hi, hi - 1)]!;
    const shift = a[at(hi, hi)]! - (off * off) / (half + (half >= 0 ? 1 : -1) * Math.hypot(half, off));
    let x = a[at(lo, lo)]! - shift;
    let z = a[at(lo + 1, lo)]!;
    for (let k = lo; k < hi; k++) {
      const r = Math.hypot(x, z);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : -z / r;
      // T ← G T Gᵀ on rows and columns k, k + 1; only a window around the diagonal is non-zero.
      const from = Math.max(lo, k - 1);
      const to = Math.min(hi, k + 2);
      for (let j = from; j <= to; j++) {
        const upper = a[at(k, j)]!;
        const lower = a[at(k + 1, j)]!;
        a[at(k, j)] = c * upper - s * lower;
        a[at(k + 1, j)] = s * upper + c * lower;
      }
      for (let i = from; i <= to; i++) {
        const left = a[at(i, k)]!;
        const right = a[at(i, k + 1)]!;
        a[at(i, k)] = c * left - s * right;
        a[at(i, k + 1)] = s * left + c * right;
      }
      for (let i = 0; i < n; i++) {
        const left = q[at(i, k)]!;
        const right = q[at(i, k + 1)]!;
        q[at(i, k)] = c * left - s * right;
        q[at(i, k + 1)] = s * left + c * right;
      }
      if (k + 2 <= hi) {
        // The rotation left a bulge at (k + 2, k); the next one zeroes it.
        x = a[at(k + 1, k)]!;
        z = a[at(k + 2, k)]!;
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[at(i, i)]!;
  return { values, vectors: q };
}

/** Householder reduction of symmetric `a` to tridiagonal form in place, accumulating the reflections into `q` (a = q T qᵀ). */
function tridiagonalize(a: Float64Array, q: Float64Array, n: number): void {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k]! * a[i * n + k]!;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const head = a[(k + 1) * n + k]!;
    const alpha = head > 0 ? -norm : norm;
    v.fill(0);
    v[k + 1] = head - alpha;
    for (let i = k + 2; i < n; i++) v[i] = a[i * n + k]!;
    let length2 = 0;
    for (let i = k + 1; i < n; i++) length2 += v[i]! * v[i]!;
    if (length2 === 0) continue;
    const beta = 2 / length2;
    // H A H = A − v wᵀ − w vᵀ with p = βAv, w = p − (β vᵀp / 2) v.
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let sum = 0;
      for (let j = k + 1; j < n; j++) sum += a[i * n + j]! * v[j]!;
      p[i] = beta * sum;
      vp += v[i]! * p[i]!;
    }
    const half = (beta * vp) / 2;
    for (let i = k + 1; i < n; i++) p[i] = p[i]! - half * v[i]!;
    for (let i = k + 1; i < n; i++) {
      for (let j = k + 1; j < n; j++) a[i * n + j] = a[i * n + j]! - v[i]! * p[j]! - p[i]! * v[j]!;
    }
    a[(k + 1) * n + k] = alpha;
    a[k * n + k + 1] = alpha;
    for (let i = k + 2; i < n; i++) {
      a[i * n + k] = 0;
      a[k * n + i] = 0;
    }
    // q ← q H
    for (let r = 0; r < n; r++) {
      let sum = 0;
      for (let j = k + 1; j < n; j++) sum += q[r * n + j]! * v[j]!;
      sum *= beta;
      for (let j = k + 1; j < n; j++) q[r * n + j] = q[r * n + j]! - sum * v[j]!;
    }
  }
}
