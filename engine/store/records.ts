import type { Chunk, FileAnalysis } from '../parsing/chunk.js';
import type { RowTerms } from '../lexical/lexicalRows.js';

export interface StoredFile {
  readonly id: number;
  readonly path: string;
  readonly language: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentHash: string;
}

/** A file's fresh analysis, to replace whatever the store held for its path. */
export interface FileUpdate {
  readonly path: string;
  readonly language: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentHash: string;
  readonly method: string;
  readonly analysis: FileAnalysis;
  readonly chunks: readonly ChunkToStore[];
}

/** A chunk to store; `lexical`, when present, is its `chunkRowTerms` computed already (by the worker that chunked it). */
export type ChunkToStore = Chunk & { readonly lexical?: RowTerms };

/** An unchanged file whose mtime moved (touch, checkout): only its stat is refreshed. */
export interface FileTouch {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface VectorWrite {
  readonly contentHash: string;
  readonly blob: Buffer;
}

export interface ChunkRecord {
  readonly id: number;
  readonly fileId: number;
  readonly path: string;
  readonly language: string;
  readonly symbol: string | null;
  readonly parent: string | null;
  readonly kind: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly doc: string | null;
  readonly text: string;
  readonly contentHash: string;
  readonly complexity: number;
}

/** What search ranks candidates by: a chunk row without its text, doc, hash and metrics (read for the results only). */
export type ChunkSummary = Omit<ChunkRecord, 'text' | 'doc' | 'contentHash' | 'complexity'>;

export interface BatchWriteResult {
  /** Chunk ids that left the index. */
  readonly removedChunkIds: number[];
  /** Chunks that entered it, with their content hash. */
  readonly addedChunks: { id: number; fileId: number; contentHash: string }[];
  /** Files outside the batch whose references were re-resolved because they point into it. */
  readonly dependentFiles: number;
  /** Reference edges re-resolved. */
  readonly refreshedReferences: number;
  /** How the store's vector generation moved (`WorkspaceStore.vectorGeneration`); absent: unknown. */
  readonly generation?: GenerationChange;
  /** How the lexical rows changed, for a copy of them (engine/lexical); absent: the write did not touch them. */
  readonly lexical?: LexicalChange;
}

/**
 * One write's change to the lexical rows: rows removed, then rows added, and the lexical generation before and after.
 * The generation moves with every write that changes chunks, so it also carries the chunks' summaries for a copy of them.
 */
export interface LexicalChange {
  readonly generation: GenerationChange;
  readonly removed: readonly number[];
  readonly added: readonly { readonly id: number; readonly terms: RowTerms }[];
  /** The summary of every chunk of the files written, new and kept (kept ones at their new lines). */
  readonly summaries: readonly ChunkSummary[];
}

/** The vector generation before and after one write; equal when the write changed no chunk or vector. */
export interface GenerationChange {
  readonly previous: string | null;
  readonly current: string;
}

export interface StoreCounts {
  readonly files: number;
  readonly chunks: number;
  readonly vectors: number;
  readonly vectorsForModel: number;
  readonly references: number;
  readonly resolvedReferences: number;
}

/** The dense index settings recorded for a model (schema v3). */
export interface DenseSettingsRecord {
  readonly modelId: string;
  readonly precision: string;
  readonly pcaInputDimension: number | null;
  readonly pcaOutputDimension: number | null;
  /** The serialised projection (`encodePca`), or null when none is fitted. */
  readonly pca: Buffer | null;
}
