import { Counter, Gauge } from 'prom-client';
import type { EngineMetrics } from './metrics.js';

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
 */
export async function prometheusText(metrics: EngineMetrics, index: IndexGauges): Promise<string> {
  const registry = metrics.registry;
  const snapshot = metrics.snapshot();
  const gauge = (name: string, help: string, value: number) => {
    const existing = registry.getSingleMetric(name);
    const metric = (existing as Gauge | undefined) ?? new Gauge({ name, help, registers: [registry] });
    metric.set(value);
  };
  const counter = (name: string, help: string, value: number) => {
    const existing = registry.getSingleMetric(name) as Counter | undefined;
    const metric = existing ?? new Counter({ name, help, registers: [registry] });
    metric.reset();
    metric.inc(value);
  };
  counter('codegraph_files_indexed_total', 'Files (re)indexed by this process', snapshot.filesIndexed);
  counter('codegraph_chunks_embedded_total', 'Chunks embedded by the model', snapshot.chunksEmbedded);
  counter('codegraph_vectors_reused_total', 'Chunk vectors served from the cache instead of the model', snapshot.vectorsReused);
  counter('codegraph_searches_total', 'Searches answered', snapshot.searches);
  counter('codegraph_embeds_total', 'Texts embedded through the library API', snapshot.embeds);
  const errors = (registry.getSingleMetric('codegraph_errors_total') as Counter<'code'> | undefined) ?? new Counter({ name: 'codegraph_errors_total', help: 'Failed operations, by error code', labelNames: ['code'], registers: [registry] });
  errors.reset();
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
