export { EngineMetrics, LATENCY_BUCKETS_MS, LatencyRecorder, memorySnapshot, percentile, type EngineMetricsSnapshot, type LatencyHistogram, type LatencySummary, type MemorySnapshot } from './metrics.js';
export { PROMETHEUS_CONTENT_TYPE, prometheusText, type IndexGauges } from './prometheus.js';
