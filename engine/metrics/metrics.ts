import { Histogram, Registry } from 'prom-client';

/**
 * Latency samples in a fixed ring, so percentiles reflect recent behaviour in
 * bounded memory; each sample also goes to `observer` (a Prometheus histogram).
 */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(
    capacity = 2048,
    private readonly observer: ((milliseconds: number) => void) | null = null,
  ) {
    this.samples = new Float64Array(capacity);
  }

  record(milliseconds: number): void {
    this.samples[this.count % this.samples.length] = milliseconds;
    this.count++;
    this.observer?.(milliseconds);
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

/** Histogram bucket bounds in milliseconds: sub-millisecond embeds up to minute-long index batches. */
export const LATENCY_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

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
 * The engine's counters and latency recorders, read by `metrics()`, `status`
 * and the extension. Latencies also feed Prometheus histograms in `registry`
 * (prom-client), which `metrics/prometheus.ts` renders; nothing opens a socket.
 */
export class EngineMetrics {
  /** One registry per engine, never prom-client's global one: several engines may share a process. */
  readonly registry = new Registry();
  readonly embedLatency: LatencyRecorder;
  readonly searchLatency: LatencyRecorder;
  readonly indexBatchLatency: LatencyRecorder;
  readonly counters = { filesIndexed: 0, chunksEmbedded: 0, vectorsReused: 0, errors: 0, searches: 0, embeds: 0, queryCacheHits: 0, queryCacheLookups: 0 };
  readonly errorsByCode: Record<string, number> = {};

  constructor() {
    const histogram = (name: string, help: string) => {
      const metric = new Histogram({ name, help, buckets: LATENCY_BUCKETS_MS, registers: [this.registry] });
      return (ms: number) => metric.observe(ms);
    };
    this.embedLatency = new LatencyRecorder(2048, histogram('codegraph_embed_latency_ms', 'Embedding latency per text, in milliseconds'));
    this.searchLatency = new LatencyRecorder(2048, histogram('codegraph_search_latency_ms', 'Search latency, in milliseconds'));
    this.indexBatchLatency = new LatencyRecorder(2048, histogram('codegraph_index_batch_latency_ms', 'Wall time per committed indexing batch, in milliseconds'));
  }

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
