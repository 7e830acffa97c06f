export { defaultPoolSize, WorkerPool, type PoolEvent, type PoolOptions } from './pool.js';
export type { AnalyzedFile, WorkerConfig } from './protocol.js';
export { readQuarantine, stillQuarantined, writeQuarantine, type QuarantineEntry } from './quarantine.js';
export { backoffDelay, CircuitBreaker, DEFAULT_RETRY, seededRandom, withRetry, type RetryPolicy } from './resilience.js';
