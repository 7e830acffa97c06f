/** An int8 vector with one scale: value ≈ data[i] * scale. */
export interface QuantizedVector {
  readonly data: Int8Array;
  readonly scale: number;
}

/**
 * Symmetric int8 quantisation with a per-vector scale (max |x| → 127). For
 * unit vectors of a few hundred dimensions the dot-product error is ~1e-3,
 * far below the gaps that decide rankings, at a quarter of float32's size.
 */
export function quantizeInt8(vector: Float32Array): QuantizedVector {
  let max = 0;
  for (let i = 0; i < vector.length; i++) {
    const magnitude = Math.abs(vector[i]!);
    if (magnitude > max) max = magnitude;
  }
  const data = new Int8Array(vector.length);
  if (max === 0) return { data, scale: 0 };
  const inverse = 127 / max;
  for (let i = 0; i < vector.length; i++) data[i] = Math.round(vector[i]! * inverse);
  return { data, scale: max / 127 };
}

export function dequantizeInt8(quantized: QuantizedVector): Float32Array {
  const vector = new Float32Array(quantized.data.length);
  for (let i = 0; i < vector.length; i++) vector[i] = quantized.data[i]! * quantized.scale;
  return vector;
}

/** Serialises to a BLOB: 4-byte little-endian float32 scale, then the int8 values. */
export function encodeInt8Blob(quantized: QuantizedVector): Buffer {
  const buffer = Buffer.allocUnsafe(4 + quantized.data.length);
  buffer.writeFloatLE(quantized.scale, 0);
  buffer.set(new Uint8Array(quantized.data.buffer, quantized.data.byteOffset, quantized.data.length), 4);
  return buffer;
}

/**
 * `encodeInt8Blob(quantizeInt8(vector))` for each vector, the same bytes, with
 * one allocation for all of them (views into one buffer) and no intermediate
 * objects: what a worker returns for a batch.
 */
export function quantizeInt8Blobs(vectors: readonly Float32Array[]): Buffer[] {
  let total = 0;
  for (const vector of vectors) total += 4 + vector.length;
  const bytes = new ArrayBuffer(total);
  const view = new DataView(bytes);
  const values = new Int8Array(bytes);
  const blobs = new Array<Buffer>(vectors.length);
  let offset = 0;
  for (let index = 0; index < vectors.length; index++) {
    const vector = vectors[index]!;
    const length = vector.length;
    let max = 0;
    for (let i = 0; i < length; i++) {
      const magnitude = Math.abs(vector[i]!);
      if (magnitude > max) max = magnitude;
    }
    // All zeros stays zeros with scale 0, as in quantizeInt8 (the buffer starts zeroed).
    if (max !== 0) {
      view.setFloat32(offset, max / 127, true);
      const inverse = 127 / max;
      const start = offset + 4;
      for (let i = 0; i < length; i++) values[start + i] = Math.round(vector[i]! * inverse);
    }
    blobs[index] = Buffer.from(bytes, offset, 4 + length);
    offset += 4 + length;
  }
  return blobs;
}

export function decodeInt8Blob(blob: Uint8Array): QuantizedVector {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const scale = view.getFloat32(0, true);
  const data = new Int8Array(blob.byteLength - 4);
  data.set(new Int8Array(blob.buffer, blob.byteOffset + 4, blob.byteLength - 4));
  return { data, scale };
}
