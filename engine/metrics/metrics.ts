/** Latency samples in a fixed ring, so percentiles reflect recent behaviour in bounded memory. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity = 2048) {
    this.samples = new Float64Array(capacity);
  }

  record(milliseconds: number): void {
    this.samples[this.count % this.samples.length] = milliseconds;
    this.count++;
  }

  summary(): { count: number; p50: number; p95: number; max: number } {
    const filled = Math.min(this.count, this.samples.length);
    if (filled === 0) return { count: 0, p50: 0, p95: 0, max: 0 };
    const sorted = Array.from(this.samples.subarray(0, filled)).sort((a, b) => a - b);
    return { count: this.count, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted[sorted.length - 1]! };
  }
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export interface MemorySnapshot {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
}

export function memorySnapshot(): MemorySnapshot {
  const usage = process.memoryUsage();
  const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  return { rssMb: mb(usage.rss), heapUsedMb: mb(usage.heapUsed), externalMb: mb(usage.external + usage.arrayBuffers) };
}

/** The engine's counters and latency recorders, read by `status` and the extension. */
export class EngineMetrics {
  readonly embedLatency = new LatencyRecorder();
  readonly searchLatency = new LatencyRecorder();
  readonly counters = { filesIndexed: 0, chunksEmbedded: 0, vectorsReused: 0, errors: 0, searches: 0 };

  snapshot() {
    const reused = this.counters.vectorsReused;
    const total = reused + this.counters.chunksEmbedded;
    return {
      ...this.counters,
      cacheHitRatio: total === 0 ? 1 : reused / total,
      embedLatencyMs: this.embedLatency.summary(),
      searchLatencyMs: this.searchLatency.summary(),
      memory: memorySnapshot(),
    };
  }
}
