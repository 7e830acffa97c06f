/**
 * Similar-code lookups shared by the CodeLens, the hover and the Find Similar
 * command: which chunks get a lens, how many neighbours count, and a cached,
 * lazily computed lookup per chunk. Pure.
 */
import type { SearchHit } from '../../engine/index.js';
import type { FolderIndex } from './folderIndex.js';
import * as l10n from '@vscode/l10n';
import { PromiseCache, similarKey } from './similarCache.js';

/** Chunk kinds that get a lens: definitions, not grouped top-level code or line windows. */
export const LENS_KINDS: ReadonlySet<string> = new Set(['function', 'method', 'class', 'interface', 'struct', 'enum', 'trait', 'impl']);

/** Neighbours asked of the engine per lookup; the lens counts those at or above the model's similarity threshold. */
export const SIMILAR_LIMIT = 10;

export interface SimilarResult {
  readonly origin: SearchHit;
  /** Neighbours worth showing, best first. */
  readonly hits: readonly SearchHit[];
}

/**
 * Neighbours that count as similar. Dense scores are cosines, compared with the
 * active model's threshold (cosine scales differ between models). Without a
 * model (`threshold` null) scores are rank-fusion values on another scale, so
 * every returned neighbour counts.
 */
export function countable(hits: readonly SearchHit[], threshold: number | null): SearchHit[] {
  return threshold === null ? [...hits] : hits.filter((hit) => hit.score >= threshold);
}

export function lensTitle(count: number): string {
  return count === 1 ? l10n.t('1 similar') : l10n.t('{0} similar', count);
}

/** The definitions of a file that may get a lens: one per start line, and one per definition split into parts. */
export function lensLines(chunks: readonly { readonly kind: string; readonly symbol: string | null; readonly startLine: number; readonly endLine: number }[], lineCount: number): { startLine: number; endLine: number }[] {
  const lines: { startLine: number; endLine: number }[] = [];
  const seen = new Set<number>();
  const symbolEnds = new Map<string, number>();
  for (const chunk of chunks) {
    if (!LENS_KINDS.has(chunk.kind) || chunk.startLine > lineCount || seen.has(chunk.startLine)) continue;
    // A long definition is split into consecutive parts with one symbol: one lens, on the first part.
    const previousEnd = chunk.symbol ? symbolEnds.get(chunk.symbol) : undefined;
    if (chunk.symbol) symbolEnds.set(chunk.symbol, chunk.endLine);
    if (previousEnd !== undefined && previousEnd >= chunk.startLine - 1) continue;
    seen.add(chunk.startLine);
    lines.push({ startLine: chunk.startLine, endLine: chunk.endLine });
  }
  return lines;
}

/** Lookups keyed by folder, index generation, path and line; each runs once while cached. */
export class SimilarLookup {
  readonly #cache: PromiseCache<SimilarResult>;

  constructor(capacity = 512) {
    this.#cache = new PromiseCache(capacity);
  }

  lookup(index: FolderIndex, relativePath: string, line: number): Promise<SimilarResult> {
    const snapshot = index.snapshot();
    // Null without a model (lexical-only), so every neighbour counts there.
    const threshold = snapshot.similarityThreshold;
    return this.#cache.get(similarKey(index.folder.key, snapshot.generation, relativePath, line), async () => {
      const { origin, hits } = await index.similar(relativePath, line, { limit: SIMILAR_LIMIT, maxPerFile: 2 });
      return { origin, hits: countable(hits, threshold) };
    });
  }

  isCached(index: FolderIndex, relativePath: string, line: number): boolean {
    return this.#cache.has(similarKey(index.folder.key, index.generation, relativePath, line));
  }

  clear(): void {
    this.#cache.clear();
  }
}
