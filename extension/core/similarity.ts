/**
 * Similar-code lookups shared by the CodeLens, the hover and the Find Similar
 * command: which chunks get a lens, how many neighbours count, and a cached,
 * lazily computed lookup per chunk. Pure.
 */
import type { SearchHit } from '../../engine/index.js';
import type { FolderIndex } from './folderIndex.js';
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
  return count === 0 ? 'no similar code' : `${count} similar`;
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
