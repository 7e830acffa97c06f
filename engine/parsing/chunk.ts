import type { ChunkKind } from './languages.js';

export interface ChunkMetrics {
  /** Syntax nodes inside the chunk, named and anonymous (tree-sitter's visible nodes). */
  readonly nodeCount: number;
  /** McCabe complexity: 1 + branch points. */
  readonly complexity: number;
}

/** One unit of retrieval: a definition, a part of a large one, or a group of top-level code. */
export interface Chunk {
  readonly ordinal: number;
  readonly symbol: string | null;
  /** Enclosing container, e.g. the class of a method. */
  readonly parent: string | null;
  readonly kind: ChunkKind;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
  /**
   * Which piece of its definition this chunk is: 0 for a whole definition (or block), k for the
   * (k+1)-th of the pieces a definition over `maxChars` is split into. Pieces are consecutive, so
   * the first piece of this one is the chunk at `ordinal - piece`.
   */
  readonly piece: number;
  /**
   * The definition's doc comment or docstring, on its first piece only (later pieces: null, see
   * `piece`). Stored and indexed once per definition; search results of a later piece show the first
   * piece's (`WorkspaceStore`'s chunk reads fill it in).
   */
  readonly doc: string | null;
  readonly contentHash: string;
  readonly metrics: ChunkMetrics;
  readonly calls: readonly string[];
}

export interface FileDefinition {
  readonly name: string;
  readonly kind: ChunkKind;
  readonly line: number;
}

/** What a file offers and needs, for dependency-aware invalidation. */
export interface FileAnalysis {
  readonly imports: readonly string[];
  readonly definitions: readonly FileDefinition[];
  readonly references: readonly string[];
}

export interface ChunkingOptions {
  /** Largest chunk, in characters; larger symbols are split. Derived from the model's window. */
  readonly maxChars: number;
  /** Line window for files without a grammar. */
  readonly windowLines: number;
  readonly windowOverlap: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxChars: 2400, windowLines: 40, windowOverlap: 5 };

export interface ChunkedFile {
  readonly chunks: readonly Chunk[];
  readonly analysis: FileAnalysis;
  /** How the file was chunked: by syntax, by line windows, or by windows after a parse failure. */
  readonly method: 'syntax' | 'lines' | 'fallback';
}
