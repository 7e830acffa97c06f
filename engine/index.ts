/**
 * CodeGraph's engine: everything but the editor. Never imports `vscode`, so
 * the CLI, the benchmarks, the workers and the extension all use it unchanged.
 */
export { CACHE_FILE, CodeGraph, isCodeGraphError, type EngineStatus, type ModelFallback, type OpenOptions, type ServiceLevel } from './codegraph.js';
export { resolveConfig, type EngineConfig, type EngineConfigInput } from './config/config.js';
export { defaultCacheDir, defaultGrammarsDir, defaultModelDir, packageRoot } from './config/paths.js';
export * from './errors.js';
export type { IndexProgress, IndexRunOptions, IndexSummary } from './indexer/indexer.js';
export type { SearchHit, SearchMode, SearchOptions } from './search/searcher.js';
export type { SkipReason, SkippedFile } from './discovery/types.js';
export { CodeEmbedder, type EmbedderConfigInput } from './embedding/codeEmbedder.js';
export { cosine, resolveEmbedLanguage, type EmbedInput, type EmbedResult, type EmbedRole } from './embedding/api.js';
export { EngineEvents, type BatchCommittedEvent, type EngineEventMap, type EngineEventName, type FilesIndexedEvent, type FilesRemovedEvent, type IndexSettledEvent, type ModelDegradedEvent } from './events/index.js';
export { EngineMetrics, PROMETHEUS_CONTENT_TYPE, prometheusText, type EngineMetricsSnapshot, type IndexGauges, type LatencyHistogram, type LatencySummary, type MemorySnapshot } from './metrics/index.js';
