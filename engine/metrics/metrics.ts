/** Histogram bucket bounds in milliseconds: sub-millisecond embeds up to minute-long index batches. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

/** Every sample ever recorded, by bucket: what a Prometheus histogram exposes. */
export interface LatencyHistogram {
  readonly bounds: readonly number[];
  /** Cumulative: samples at or below each bound; the last entry (+Inf) is the total count. */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/**
 * Latency samples in a fixed ring, so percentiles reflect recent behaviour in
 * bounded memory, plus cumulative bucket counts and a sum over all samples.
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;
  private readonly bucketCounts = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  private sum = 0;

  constructor(capacity = 2048) {
    this.samples = new Float64Array(capacity);
  }

  record(milliseconds: number): void {
    this.samples[this.count % this.samples.length] = milliseconds;
    this.count++;
    this.sum += milliseconds;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_MS.length && milliseconds > LATENCY_BUCKETS_MS[bucket]!) bucket++;
    this.bucketCounts[bucket]!++;
  }

  histogram(): LatencyHistogram {
    const cumulative: number[] = [];
    let running = 0;
    for (const value of this.bucketCounts) cumulative.push((running += value));
    return { bounds: LATENCY_BUCKETS_MS, cumulative, sum: this.sum, count: this.count };
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

export type LatencySummary = ReturnType<LatencyRecorder['summary']>;

/** What `CodeGraph.metrics()` returns; `status().metrics` is the same object. */
export interface EngineMetricsSnapshot {
  readonly filesIndexed: number;
  readonly chunksEmbedded: number;
  readonly vectorsReused: number;
  /** Failed engine operations (index runs, searches, embeds) and recovered worker failures. */
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  readonly searches: number;
  /** Texts embedded through the library API (`embedCode`, `embedQuery`, `embedBatch`, `similarity`). */
  readonly embeds: number;
  /** Share of indexed chunks whose vector came from the cache rather than the model. */
  readonly cacheHitRatio: number;
  /** Query-embedding cache hits over lookups; 1 before the first lookup. */
  readonly queryCacheHitRatio: number;
  /** Per text, from indexing and the library API. */
  readonly embedLatencyMs: LatencySummary;
  readonly searchLatencyMs: LatencySummary;
  readonly indexBatchLatencyMs: LatencySummary;
  readonly memory: MemorySnapshot;
}

/**
 * The engine's counters and latency recorders, read by `metrics()`, `status`,
 * the extension and `metrics/prometheus.ts`; nothing opens a socket.
 */
export class EngineMetrics {
  readonly embedLatency = new LatencyRecorder();
  readonly searchLatency = new LatencyRecorder();
  readonly indexBatchLatency = new LatencyRecorder();
  readonly counters = { filesIndexed: 0, chunksEmbedded: 0, vectorsReused: 0, errors: 0, searches: 0, embeds: 0, queryCacheHits: 0, queryCacheLookups: 0 };
  readonly errorsByCode: Record<string, number> = {};

  /** Counts a failure under its error code (`CodeGraphError.code`, else the error's name). */
  recordError(error: unknown): void {
    this.counters.errors++;
    const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : error instanceof Error ? error.name : 'UNKNOWN';
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
  }

  snapshot(): EngineMetricsSnapshot {
    const { queryCacheHits, queryCacheLookups, ...counters } = this.counters;
    const reused = counters.vectorsReused;
    const total = reused + counters.chunksEmbedded;
    return {
      ...counters,
      errorsByCode: { ...this.errorsByCode },
      cacheHitRatio: total === 0 ? 1 : reused / total,
      queryCacheHitRatio: queryCacheLookups === 0 ? 1 : queryCacheHits / queryCacheLookups,
      embedLatencyMs: this.embedLatency.summary(),
      searchLatencyMs: this.searchLatency.summary(),
      indexBatchLatencyMs: this.indexBatchLatency.summary(),
      memory: memorySnapshot(),
    };
  }
}
