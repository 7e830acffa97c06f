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

/** Neighbours asked of the engine per lookup; the lens counts those above `MIN_SIMILARITY`. */
export const SIMILAR_LIMIT = 10;

/**
 * Cosine similarity below which a neighbour is not called "similar". Dense
 * scores are cosines; the lexical fallback's scores are rank-fusion values on
 * another scale, so there every returned neighbour counts. Set for the bundled
 * trained model, whose cosines between related functions sit around 0.35-0.6
 * and between unrelated ones below 0.25.
 * FIXME: a model-specific threshold belongs in the model manifest.
 */
export const MIN_SIMILARITY = 0.35;

export interface SimilarResult {
  readonly origin: SearchHit;
  /** Neighbours worth showing, best first. */
  readonly hits: readonly SearchHit[];
}

export function countable(hits: readonly SearchHit[], dense: boolean): SearchHit[] {
  return dense ? hits.filter((hit) => hit.score >= MIN_SIMILARITY) : [...hits];
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
    const dense = snapshot.serviceLevel === 'hybrid';
    return this.#cache.get(similarKey(index.folder.key, snapshot.generation, relativePath, line), async () => {
      const { origin, hits } = await index.similar(relativePath, line, { limit: SIMILAR_LIMIT, maxPerFile: 2 });
      return { origin, hits: countable(hits, dense) };
    });
  }

  isCached(index: FolderIndex, relativePath: string, line: number): boolean {
    return this.#cache.has(similarKey(index.folder.key, index.generation, relativePath, line));
  }

  clear(): void {
    this.#cache.clear();
  }
}
