export { defaultPoolSize, WorkerPool, type PoolOptions } from './pool.js';
export type { AnalyzedFile, WorkerConfig } from './protocol.js';
