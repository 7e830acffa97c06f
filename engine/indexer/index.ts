export { Indexer, type IndexerDeps, type IndexProgress, type IndexRunOptions, type IndexSummary } from './indexer.js';
