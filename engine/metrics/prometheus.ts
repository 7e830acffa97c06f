import type * as PromClient from 'prom-client';
import type { EngineMetrics, LatencyHistogram } from './metrics.js';

/** Index facts the exposition adds to the engine's own metrics (from `CodeGraph.status()`). */
export interface IndexGauges {
  readonly files: number;
  readonly chunks: number;
  readonly vectors: number;
  readonly cacheBytes: number;
  /** 1 while search is hybrid, 0 when lexical-only. */
  readonly hybrid: boolean;
  readonly lastIndexedAt: string | null;
}

/**
 * The metrics in the Prometheus text exposition format (version 0.0.4), as
 * prom-client renders it: for a scraper reading a file or a command's output.
 * Counters reflect this process; index gauges reflect the cache on disk.
 * prom-client is loaded here, on first use, not when the engine starts.
 */
export async function prometheusText(metrics: EngineMetrics, index: IndexGauges): Promise<string> {
  const prom = require('prom-client') as typeof PromClient;
  // A registry per rendering, never prom-client's global one: several engines may share a process.
  const registry = new prom.Registry();
  const snapshot = metrics.snapshot();
  const gauge = (name: string, help: string, value: number) => new prom.Gauge({ name, help, registers: [registry] }).set(value);
  const counter = (name: string, help: string, value: number) => new prom.Counter({ name, help, registers: [registry] }).inc(value);
  const histogram = (name: string, help: string, data: LatencyHistogram) => recordedHistogram(registry, name, help, data);
  histogram('codegraph_embed_latency_ms', 'Embedding latency per text, in milliseconds', metrics.embedLatency.histogram());
  histogram('codegraph_search_latency_ms', 'Search latency, in milliseconds', metrics.searchLatency.histogram());
  histogram('codegraph_index_batch_latency_ms', 'Wall time per committed indexing batch, in milliseconds', metrics.indexBatchLatency.histogram());
  counter('codegraph_files_indexed_total', 'Files (re)indexed by this process', snapshot.filesIndexed);
  counter('codegraph_chunks_embedded_total', 'Chunks embedded by the model', snapshot.chunksEmbedded);
  counter('codegraph_vectors_reused_total', 'Chunk vectors served from the cache instead of the model', snapshot.vectorsReused);
  counter('codegraph_searches_total', 'Searches answered', snapshot.searches);
  counter('codegraph_embeds_total', 'Texts embedded through the library API', snapshot.embeds);
  const errors = new prom.Counter({ name: 'codegraph_errors_total', help: 'Failed operations, by error code', labelNames: ['code'], registers: [registry] });
  for (const [code, count] of Object.entries(snapshot.errorsByCode)) errors.inc({ code }, count);
  gauge('codegraph_cache_hit_ratio', 'Share of indexed chunks whose vector came from the cache', snapshot.cacheHitRatio);
  gauge('codegraph_query_cache_hit_ratio', 'Query-embedding cache hits over lookups', snapshot.queryCacheHitRatio);
  gauge('codegraph_memory_rss_bytes', 'Resident set size of the process', Math.round(snapshot.memory.rssMb * 1048576));
  gauge('codegraph_memory_heap_used_bytes', 'V8 heap in use', Math.round(snapshot.memory.heapUsedMb * 1048576));
  gauge('codegraph_memory_external_bytes', 'Memory outside the V8 heap (buffers, typed arrays)', Math.round(snapshot.memory.externalMb * 1048576));
  gauge('codegraph_index_files', 'Files in the index', index.files);
  gauge('codegraph_index_chunks', 'Chunks in the index', index.chunks);
  gauge('codegraph_index_vectors', 'Vectors of the serving model in the index', index.vectors);
  gauge('codegraph_index_cache_bytes', 'Size of the index cache on disk', index.cacheBytes);
  gauge('codegraph_search_hybrid', '1 while search is hybrid, 0 when lexical-only', index.hybrid ? 1 : 0);
  gauge('codegraph_index_last_indexed_timestamp_seconds', 'When the index was last updated (0: never)', index.lastIndexedAt ? Date.parse(index.lastIndexedAt) / 1000 : 0);
  return registry.metrics();
}

/** The exposition's content type, for anyone serving the text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A histogram whose buckets the engine's own recorder counted
 * (`LatencyRecorder`), registered for rendering: prom-client's registry
 * formats whatever a registered metric's `get()` returns, and its own
 * Histogram can only be fed single observations.
 */
function recordedHistogram(registry: PromClient.Registry, name: string, help: string, data: LatencyHistogram): void {
  const { bounds, cumulative, sum, count } = data;
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      values: [
        ...bounds.map((bound, index) => ({ metricName: `${name}_bucket`, labels: { le: bound }, value: cumulative[index]! })),
        { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: count },
        { metricName: `${name}_sum`, labels: {}, value: sum },
        { metricName: `${name}_count`, labels: {}, value: count },
      ],
    }),
  };
  registry.registerMetric(metric as unknown as PromClient.Metric);
}
