/** A batch of encoded texts padded to a common length. */
export interface TokenBatch {
  /** Positions of the batch's rows in the caller's input. */
  readonly indices: readonly number[];
  readonly length: number;
}

/**
 * Groups sequences of similar length so that padding wastes little compute:
 * sort by length, then cut batches by row count and by padded token budget.
 */
export function planBatches(lengths: readonly number[], maxBatchSize: number, maxBatchTokens: number): TokenBatch[] {
  const order = lengths.map((_, index) => index).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches: TokenBatch[] = [];
  let current: number[] = [];
  let currentLength = 0;
  for (const index of order) {
    const length = Math.max(1, lengths[index]!);
    const paddedLength = Math.max(currentLength, length);
    if (current.length > 0 && (current.length >= maxBatchSize || paddedLength * (current.length + 1) > maxBatchTokens)) {
      batches.push({ indices: current, length: currentLength });
      current = [];
    }
    current.push(index);
    currentLength = current.length === 1 ? length : Math.max(currentLength, length);
  }
  if (current.length > 0) batches.push({ indices: current, length: currentLength });
  return batches;
}

/** Share of padded positions that carry no token, for metrics. */
export function paddingRatio(lengths: readonly number[], batches: readonly TokenBatch[]): number {
  let padded = 0;
  let real = 0;
  for (const batch of batches) {
    padded += batch.length * batch.indices.length;
    for (const index of batch.indices) real += Math.max(1, lengths[index]!);
  }
  return padded === 0 ? 0 : 1 - real / padded;
}
