export { Database, isCorruptionError, type SqlValue } from './database.js';
export type { BatchWriteResult, ChunkRecord, ChunkSummary, ChunkToStore, DenseSettingsRecord, FileTouch, GenerationChange, FileUpdate, LexicalChange, StoreCounts, StoredFile, VectorWrite } from './records.js';
export { generationAfter } from './generation.js';
export { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
export { WorkspaceStore } from './store.js';
