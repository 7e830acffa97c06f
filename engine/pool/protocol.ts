import type { SkipReason } from '../discovery/types.js';
import type { Device, ModelFileFacts } from '../embedding/model.js';
import type { SerializedError } from '../errors.js';
import type { Chunk, ChunkingOptions, FileAnalysis } from '../parsing/chunk.js';
import type { RowTerms } from '../lexical/lexicalRows.js';

/** Set once per worker through piscina's `workerData`. */
export interface WorkerConfig {
  readonly grammarsDir: string;
  readonly modelDir: string | null;
  readonly device: Device;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  readonly maxFileBytes: number;
  /** Model files the main thread read already (`loadedModelFiles`): their weights are shared memory, not one copy per worker. */
  readonly modelFiles?: ModelFileFacts;
}

export interface AnalyzeFileInput {
  readonly path: string;
  readonly absolutePath: string;
  readonly language: string;
  /** Content hash the store holds; a match means nothing to re-chunk. */
  readonly knownHash: string | null;
}

export interface AnalyzeTask {
  readonly kind: 'analyze';
  readonly files: readonly AnalyzeFileInput[];
  readonly chunking: ChunkingOptions;
}

export interface EmbedTask {
  readonly kind: 'embed';
  readonly texts: readonly string[];
  /** Language id of each text (null: unknown), for models that parse code (GraphCodeBERT data flow). */
  readonly languages?: readonly (string | null)[];
  /** Default `document`; the library API embeds queries through the pool too. */
  readonly role?: 'query' | 'document';
  /** `int8-blob` (default) for the store; `float32` returns the model's vectors and truncation flags (library API). */
  readonly output?: 'int8-blob' | 'float32';
}

/** Loads what a worker's first tasks would: the grammars of these languages, and the model when the pool has one. */
export interface WarmUpTask {
  readonly kind: 'warm-up';
  readonly languages: readonly string[];
}

export type WorkerTask = AnalyzeTask | EmbedTask | WarmUpTask;

export type AnalyzedFile =
  | { readonly status: 'unchanged'; readonly path: string; readonly size: number; readonly mtimeMs: number }
  | {
      readonly status: 'skipped';
      readonly path: string;
      readonly reason: SkipReason;
      readonly detail: string;
      /** For a quarantined file: the content hash that kept crashing workers. */
      readonly contentHash?: string;
    }
  | {
      readonly status: 'changed';
      readonly path: string;
      readonly language: string;
      readonly size: number;
      readonly mtimeMs: number;
      readonly contentHash: string;
      readonly method: 'syntax' | 'lines' | 'fallback';
      /** With their lexical rows (terms), computed here: the coordinator's write chain only encodes them. */
      readonly chunks: readonly (Chunk & { readonly lexical: RowTerms })[];
      readonly analysis: FileAnalysis;
    };

export interface AnalyzeResult {
  readonly kind: 'analyze';
  readonly files: AnalyzedFile[];
}

export interface EmbedResult {
  readonly kind: 'embed';
  readonly modelId: string;
  readonly dimension: number;
  /** Quantised vectors, one BLOB per text in input order (see vectors/quantize). */
  readonly blobs: Uint8Array[];
  /** With `output: 'float32'`: the vectors (blobs is then empty) and whether each text was cut to the model's window. */
  readonly vectors?: Float32Array[];
  readonly truncated?: boolean[];
}

/** What a worker has loaded after a warm-up: the languages whose grammar loaded, and whether the model did. */
export interface WarmUpResult {
  readonly kind: 'warm-up';
  readonly grammars: readonly string[];
  readonly model: boolean;
}

export type WorkerResult = AnalyzeResult | EmbedResult | WarmUpResult | { readonly kind: 'error'; readonly error: SerializedError };
