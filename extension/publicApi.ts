/**
 * The object `activate` returns (typed by api.d.ts, which ships in the .vsix):
 * search, similar code, embeddings, status and events for other extensions.
 * It is a thin layer over the same indexes the panel and the language-model
 * tools use; input is validated here, so a caller's mistake is a typed error.
 */
import * as vscode from 'vscode';
import type { CodeEmbedder, CodeGraph, EmbedResult, SearchHit } from '../engine/index.js';
import { InvalidInputError } from '../engine/errors.js';
import { defaultModelDir } from '../engine/config/paths.js';
import type { CodeGraphApi, CodeGraphEmbedInput, CodeGraphHit, CodeGraphIndexEvent, CodeGraphSearchResult, CodeGraphSimilarResult, CodeGraphStatus } from './api.js';
import { Disposable } from './core/disposable.js';
import { OutsideWorkspaceError } from './core/errors.js';
import type { FolderRef } from './core/folderIndex.js';
import { hitRelevance } from './core/searchResults.js';
import { countable } from './core/similarity.js';
import type { WorkspaceIndexes } from './core/workspaceIndexes.js';

/** What the API needs from the extension. */
export interface ApiHost {
  readonly workerFile: string;
  indexes(): WorkspaceIndexes | null;
  /** Throws UntrustedWorkspaceError or NoWorkspaceError when there is nothing to search. */
  requireIndexes(): WorkspaceIndexes;
  status(): CodeGraphStatus;
  whenIndexed(): Promise<CodeGraphStatus>;
}

/** The engine members embedding needs; every CodeGraph has them. */
type EmbeddingEngine = Pick<CodeGraph, 'embed' | 'similarity' | 'dimension' | 'modelId'>;

export const API_SEARCH_LIMIT = { default: 10, max: 200 } as const;

/** Hits of one folder as API hits: file URIs and whole-line ranges. */
export function toApiHits(folder: FolderRef, hits: readonly SearchHit[]): CodeGraphHit[] {
  const best = Math.max(0, ...hits.map((hit) => hit.score));
  return hits.map((hit) => toApiHit(folder, hit, best));
}

function toApiHit(folder: FolderRef, hit: SearchHit, bestScore: number): CodeGraphHit {
  return {
    uri: vscode.Uri.joinPath(vscode.Uri.file(folder.root), ...hit.path.split('/')),
    range: new vscode.Range(hit.startLine - 1, 0, hit.endLine, 0),
    folder: folder.name,
    path: hit.path,
    symbol: hit.symbol,
    kind: hit.kind,
    language: hit.language,
    score: hit.score,
    relevance: hitRelevance(hit, bestScore).relevance,
    text: hit.text,
  };
}

function checkLimit(limit: unknown, fallback: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > API_SEARCH_LIMIT.max) {
    throw new InvalidInputError(`limit must be an integer from 1 to ${API_SEARCH_LIMIT.max}, got ${String(limit)}`, { argument: 'options.limit' });
  }
  return limit;
}

function checkStrings(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new InvalidInputError(`${name} must be a list of strings`, { argument: name });
  return value as string[];
}

/**
 * The API object. Embedding uses a folder's engine (the model and settings
 * the index uses); with no folder engine (no folder, Restricted Mode, or
 * keyword-only folders) it opens the bundled default model on its own, with
 * no index and no cache file: a workspace cannot choose what runs.
 */
export class PublicApi extends Disposable {
  readonly #onDidIndex = this.register(new vscode.EventEmitter<CodeGraphIndexEvent>());
  readonly #onDidChangeStatus = this.register(new vscode.EventEmitter<CodeGraphStatus>());
  readonly #generations = new Map<string, number>();
  #lastStatus = '';
  #standalone: Promise<CodeEmbedder> | null = null;
  /** The standalone embedder once loaded, so `dimension` and `modelId` describe what `embed` uses. */
  #standaloneLoaded: CodeEmbedder | null = null;

  constructor(private readonly host: ApiHost) {
    super();
    this.register({ dispose: () => void this.#standalone?.then((embedder) => embedder.dispose()).catch(() => undefined) });
  }

  /** Called on every index state change: fires the API's events for what changed. */
  stateChanged(): void {
    if (this.isDisposed) return;
    for (const snapshot of this.host.indexes()?.snapshots() ?? []) {
      const previous = this.#generations.get(snapshot.folder.key);
      this.#generations.set(snapshot.folder.key, snapshot.generation);
      if (previous !== undefined && previous !== snapshot.generation) {
        this.#onDidIndex.fire({ folder: vscode.Uri.parse(snapshot.folder.key), generation: snapshot.generation, files: snapshot.files, chunks: snapshot.chunks });
      }
    }
    const status = this.host.status();
    const key = JSON.stringify(status);
    if (key !== this.#lastStatus) {
      this.#lastStatus = key;
      this.#onDidChangeStatus.fire(status);
    }
  }

  async search(query: unknown, options: { limit?: unknown; languages?: unknown; paths?: unknown } = {}): Promise<CodeGraphSearchResult> {
    if (typeof query !== 'string' || query.trim() === '') throw new InvalidInputError('query must be a non-empty string', { argument: 'query' });
    const limit = checkLimit(options.limit, API_SEARCH_LIMIT.default);
    const indexes = this.host.requireIndexes();
    const result = await indexes.search(query, { limit, languages: checkStrings(options.languages, 'options.languages'), paths: checkStrings(options.paths, 'options.paths') });
    const best = Math.max(0, ...result.hits.map(({ hit }) => hit.score));
    return {
      hits: result.hits.map(({ folder, hit }) => toApiHit(folder, hit, best)),
      failures: result.failures.map((failure) => ({ folder: failure.folder.name, message: failure.message })),
    };
  }

  async similar(uri: unknown, position: unknown, options: { limit?: unknown } = {}): Promise<CodeGraphSimilarResult> {
    if (!(uri instanceof vscode.Uri)) throw new InvalidInputError('uri must be a vscode.Uri', { argument: 'uri' });
    if (!(position instanceof vscode.Position)) throw new InvalidInputError('position must be a vscode.Position', { argument: 'position' });
    const limit = checkLimit(options.limit, API_SEARCH_LIMIT.default);
    const located = uri.scheme === 'file' ? this.host.requireIndexes().locate(uri.fsPath) : undefined;
    if (!located || located.relativePath === '') throw new OutsideWorkspaceError(vscode.l10n.t('{0} is not in a workspace folder', uri.toString()));
    const { origin, hits } = await located.index.similar(located.relativePath, position.line + 1, { limit });
    const shown = countable(hits, located.index.snapshot().similarityThreshold);
    const best = Math.max(0, ...shown.map((hit) => hit.score));
    return { origin: toApiHit(located.index.folder, origin, origin.score), hits: shown.map((hit) => toApiHit(located.index.folder, hit, best)) };
  }

  async embed(input: unknown): Promise<{ vector: Float32Array; language: string; languageFallback: boolean; truncated: boolean; modelId: string }> {
    const engine = await this.#embeddingEngine();
    const result: EmbedResult = await engine.embed(input as string | CodeGraphEmbedInput);
    return { vector: result.vector, language: result.language, languageFallback: result.languageFallback, truncated: result.truncated, modelId: engine.modelId ?? '' };
  }

  async similarity(a: unknown, b: unknown): Promise<number> {
    const engine = await this.#embeddingEngine();
    const vectorOf = async (value: unknown, name: string): Promise<Float32Array> => {
      if (value instanceof Float32Array) return value;
      if (typeof value === 'string' || (typeof value === 'object' && value !== null && 'code' in value)) return (await engine.embed(value as string | CodeGraphEmbedInput)).vector;
      throw new InvalidInputError(`${name} must be code (a string or { code, language }) or a Float32Array`, { argument: name });
    };
    const [left, right] = await Promise.all([vectorOf(a, 'a'), vectorOf(b, 'b')]);
    return engine.similarity(left, right);
  }

  get dimension(): number | null {
    return this.#folderEngine()?.dimension ?? this.#standaloneLoaded?.dimension ?? null;
  }

  get modelId(): string | null {
    return this.#folderEngine()?.modelId ?? this.#standaloneLoaded?.modelId ?? null;
  }

  /** The typed object handed to other extensions. */
  api(): CodeGraphApi {
    // The getters must read live values (the model can change), so the object forwards to this one.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      apiVersion: 1,
      search: (query, options) => self.search(query, options),
      similar: (uri, position, options) => self.similar(uri, position, options),
      embed: (input) => self.embed(input),
      similarity: (a, b) => self.similarity(a, b),
      get dimension() {
        return self.dimension;
      },
      get modelId() {
        return self.modelId;
      },
      status: () => self.host.status(),
      whenIndexed: () => self.host.whenIndexed(),
      onDidIndex: this.#onDidIndex.event,
      onDidChangeStatus: this.#onDidChangeStatus.event,
    };
  }

  /** The first folder engine with a model loaded. */
  #folderEngine(): EmbeddingEngine | null {
    if (!vscode.workspace.isTrusted) return null;
    for (const index of this.host.indexes()?.all() ?? []) {
      const engine = index.engine as (Partial<EmbeddingEngine> & object) | null;
      if (engine && typeof engine.embed === 'function' && engine.modelId) return engine as EmbeddingEngine;
    }
    return null;
  }

  async #embeddingEngine(): Promise<EmbeddingEngine> {
    const folderEngine = this.#folderEngine();
    if (folderEngine) return folderEngine;
    if (vscode.workspace.isTrusted && (this.host.indexes()?.size ?? 0) > 0) {
      // Folders are still opening: their engines carry the configured model, so wait for them.
      await Promise.race([this.host.whenIndexed(), new Promise((resolve) => setTimeout(resolve, 60_000))]);
      const opened = this.#folderEngine();
      if (opened) return opened;
    }
    // No folder engine (no folder, keyword-only folders, or Restricted Mode): the bundled default model, whatever the workspace settings say.
    this.#standalone ??= import('../engine/embedding/codeEmbedder.js')
      .then(({ CodeEmbedder }) => CodeEmbedder.open({ modelDir: defaultModelDir(), workerFile: this.host.workerFile, workers: 1 }))
      .then((embedder) => (this.#standaloneLoaded = embedder));
    const embedder = await this.#standalone.catch((error: unknown) => {
      this.#standalone = null;
      throw error;
    });
    return embedder as unknown as EmbeddingEngine;
  }
}
