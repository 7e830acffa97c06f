export { EngineMetrics, LatencyRecorder, memorySnapshot, percentile, type MemorySnapshot } from './metrics.js';
