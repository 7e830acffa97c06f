/**
 * The API CodeGraph's `activate` returns, for other extensions:
 *
 * ```ts
 * import type { CodeGraphApi } from './codegraph-api'; // a copy of dist/api.d.ts from the installed extension
 * const codegraph = await vscode.extensions.getExtension<CodeGraphApi>('codegraph.codegraph')?.activate();
 * await codegraph?.whenIndexed();
 * const { hits } = await codegraph!.search('token bucket rate limiter', { limit: 5 });
 * ```
 *
 * It ships in the .vsix as `dist/api.d.ts`; it depends only on `vscode`'s types.
 * Search and similar-code lookups need a trusted workspace with folders (they
 * reject with `code` UNTRUSTED_WORKSPACE or NO_WORKSPACE otherwise); embedding
 * needs a model, not an index. Failures reject with an `Error` that has a
 * string `code` (e.g. INVALID_INPUT for an empty text, MODEL_LOAD without a model).
 */
import type * as vscode from 'vscode';

export interface CodeGraphApi {
  /** Bumped on incompatible changes of this interface. */
  readonly apiVersion: 1;

  /** Semantic (hybrid dense + keyword) search over every workspace folder, best first. */
  search(query: string, options?: CodeGraphSearchOptions): Promise<CodeGraphSearchResult>;
  /** Code similar to the chunk (function, class, block) at `position` of the file `uri`. */
  similar(uri: vscode.Uri, position: vscode.Position, options?: { readonly limit?: number }): Promise<CodeGraphSimilarResult>;

  /**
   * The vector of a text, as the index embeds code (document side), with the
   * active model. A plain string is code of no stated language; an unknown
   * `language` falls back to plain text and sets `languageFallback`.
   */
  embed(input: string | CodeGraphEmbedInput): Promise<CodeGraphEmbedding>;
  /** Cosine similarity, in [-1, 1], of two texts (embedded as code) or two vectors of `dimension` values. */
  similarity(a: string | CodeGraphEmbedInput | Float32Array, b: string | CodeGraphEmbedInput | Float32Array): Promise<number>;
  /** Values per vector of the active model; null while no model is loaded (starting, keyword-only, untrusted). */
  readonly dimension: number | null;
  /** The active model's id (with its weights digest); null while no model is loaded. */
  readonly modelId: string | null;

  /** The index state now. */
  status(): CodeGraphStatus;
  /** Resolves once every folder has opened and finished indexing, with the status then. */
  whenIndexed(): Promise<CodeGraphStatus>;
  /** Fires when a folder's indexed content changed (an indexing run or a file change was committed). */
  readonly onDidIndex: vscode.Event<CodeGraphIndexEvent>;
  /** Fires when `status()` changes. */
  readonly onDidChangeStatus: vscode.Event<CodeGraphStatus>;
}

export interface CodeGraphSearchOptions {
  /** Results wanted, 1 to 200; default 10. */
  readonly limit?: number;
  /** Language ids (as in the `codegraph.languages` setting); empty or absent means all. */
  readonly languages?: readonly string[];
  /** Folder-relative path globs (`src/**`, `!**\/*.test.ts`); empty or absent means everywhere. */
  readonly paths?: readonly string[];
}

export interface CodeGraphHit {
  /** The file. */
  readonly uri: vscode.Uri;
  /** The chunk's whole lines in that file. */
  readonly range: vscode.Range;
  /** The workspace folder's name. */
  readonly folder: string;
  /** Folder-relative, `/`-separated. */
  readonly path: string;
  /** The function, class or other symbol the chunk defines, if any. */
  readonly symbol: string | null;
  /** Chunk kind: `function`, `method`, `class`, `block`, … */
  readonly kind: string;
  readonly language: string;
  /** The engine's ranking score (search: a fused rank value; similar: the cosine). Comparable within one result only. */
  readonly score: number;
  /** 0–1, for display: the engine's normalised relevance where it gives one, else the score relative to the best hit. */
  readonly relevance: number;
  /** The chunk's text. */
  readonly text: string;
}

export interface CodeGraphSearchResult {
  readonly hits: readonly CodeGraphHit[];
  /** Folders that could not answer, with the reason; the other folders' hits are still returned. */
  readonly failures: readonly { readonly folder: string; readonly message: string }[];
}

export interface CodeGraphSimilarResult {
  /** The chunk at the asked position. */
  readonly origin: CodeGraphHit;
  /** Chunks at or above the model's similarity threshold, most similar first. */
  readonly hits: readonly CodeGraphHit[];
}

export interface CodeGraphEmbedInput {
  readonly code: string;
  /** A language id (`python`, `typescript`, …); unknown ids fall back to `text`. */
  readonly language?: string;
}

export interface CodeGraphEmbedding {
  readonly vector: Float32Array;
  /** The language the text was embedded as. */
  readonly language: string;
  /** True when the requested language is unknown, so the text was embedded as `text`. */
  readonly languageFallback: boolean;
  /** True when the text was longer than the model's window and only its start was embedded. */
  readonly truncated: boolean;
  readonly modelId: string;
}

export interface CodeGraphIndexEvent {
  /** The workspace folder whose index changed. */
  readonly folder: vscode.Uri;
  /** Increases with every change of the folder's indexed content. */
  readonly generation: number;
  readonly files: number;
  readonly chunks: number;
}

/** One status for the whole workspace; the most urgent folder state wins. */
export type CodeGraphStatus =
  | { readonly kind: 'noFolder' }
  | { readonly kind: 'untrusted' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'indexing'; readonly phase: 'discovering' | 'indexing'; readonly filesDone: number; readonly filesTotal: number; readonly chunks: number }
  | { readonly kind: 'paused'; readonly pendingChanges: number; readonly chunks: number }
  | { readonly kind: 'error'; readonly folder: string; readonly message: string }
  | { readonly kind: 'lexicalOnly'; readonly reason: string; readonly chunks: number }
  | { readonly kind: 'idle'; readonly chunks: number; readonly files: number; readonly model: string | null; readonly fallback?: { readonly requested: string; readonly reason: string } };
