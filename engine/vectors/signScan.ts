/**
 * Scores rows `[from, to)` of sign codes (see `BinaryCodec`) from the query's byte
 * tables: each row's sum adds its bytes' table entries in byte order, in float64,
 * then multiplies by the row's scale. Four rows are summed side by side so that
 * their addition chains overlap (one chain alone waits on each add's latency),
 * reading the code a 32-bit word at a time (little-endian: the low byte first).
 *
 * Self-contained on purpose (no imports, no names from outside its body): the scan
 * thread (`SignScanThread`) runs this very function from its source text, so the
 * scores of both halves of a split scan are bit for bit those of one thread.
 */
export function sumSignRows(tables: Float32Array, words: Uint32Array, scales: Float32Array, strideWords: number, codeWords: number, from: number, to: number, out: Float32Array): void {
  let row = from;
  for (; row + 4 <= to; row += 4) {
    const w0 = row * strideWords;
    const w1 = w0 + strideWords;
    const w2 = w1 + strideWords;
    const w3 = w2 + strideWords;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0, base = 0; k < codeWords; k++, base += 1024) {
      const a = words[w0 + k]!, b = words[w1 + k]!, c = words[w2 + k]!, d = words[w3 + k]!;
      s0 += tables[base | (a & 255)]!;
      s1 += tables[base | (b & 255)]!;
      s2 += tables[base | (c & 255)]!;
      s3 += tables[base | (d & 255)]!;
      s0 += tables[(base + 256) | ((a >>> 8) & 255)]!;
      s1 += tables[(base + 256) | ((b >>> 8) & 255)]!;
      s2 += tables[(base + 256) | ((c >>> 8) & 255)]!;
      s3 += tables[(base + 256) | ((d >>> 8) & 255)]!;
      s0 += tables[(base + 512) | ((a >>> 16) & 255)]!;
      s1 += tables[(base + 512) | ((b >>> 16) & 255)]!;
      s2 += tables[(base + 512) | ((c >>> 16) & 255)]!;
      s3 += tables[(base + 512) | ((d >>> 16) & 255)]!;
      s0 += tables[(base + 768) | (a >>> 24)]!;
      s1 += tables[(base + 768) | (b >>> 24)]!;
      s2 += tables[(base + 768) | (c >>> 24)]!;
      s3 += tables[(base + 768) | (d >>> 24)]!;
    }
    out[row] = s0 * scales[w0 + codeWords]!;
    out[row + 1] = s1 * scales[w1 + codeWords]!;
    out[row + 2] = s2 * scales[w2 + codeWords]!;
    out[row + 3] = s3 * scales[w3 + codeWords]!;
  }
  for (; row < to; row++) {
    const w = row * strideWords;
    let sum = 0;
    for (let k = 0, base = 0; k < codeWords; k++, base += 1024) {
      const a = words[w + k]!;
      sum += tables[base | (a & 255)]!;
      sum += tables[(base + 256) | ((a >>> 8) & 255)]!;
      sum += tables[(base + 512) | ((a >>> 16) & 255)]!;
      sum += tables[(base + 768) | (a >>> 24)]!;
    }
    out[row] = sum * scales[w + codeWords]!;
  }
}
