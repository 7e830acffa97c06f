/**
 * Rank fusion of dense and lexical candidates.
 *
 * Reciprocal-rank fusion is the default: BM25 scores are unbounded and their
 * scale shifts with query length and corpus statistics, while dense cosine
 * scores of a small static model are compressed into a narrow band, so a
 * score blend needs per-corpus calibration that a fresh workspace does not
 * have. RRF uses ranks only and needs none. The blend stays available
 * (`fusion: 'blend'`) for comparison in the quality benchmark.
 */

export type FusionMethod = 'rrf' | 'blend';

export interface RankedList {
  readonly ids: readonly number[];
  readonly scores: readonly number[];
  readonly weight: number;
}

export const RRF_K = 60;

export function reciprocalRankFusion(lists: readonly RankedList[], k = RRF_K): Map<number, number> {
  const fused = new Map<number, number>();
  for (const list of lists) {
    list.ids.forEach((id, rank) => fused.set(id, (fused.get(id) ?? 0) + list.weight / (k + rank + 1)));
  }
  return fused;
}

/** Min-max normalised score blend; ids missing from a list get that list's floor (0). */
export function scoreBlend(lists: readonly RankedList[]): Map<number, number> {
  const fused = new Map<number, number>();
  for (const list of lists) {
    if (list.scores.length === 0) continue;
    const max = Math.max(...list.scores);
    const min = Math.min(...list.scores);
    const span = max - min || 1;
    list.ids.forEach((id, index) => fused.set(id, (fused.get(id) ?? 0) + (list.weight * (list.scores[index]! - min)) / span));
  }
  return fused;
}

export function fuse(method: FusionMethod, lists: readonly RankedList[]): Map<number, number> {
  return method === 'rrf' ? reciprocalRankFusion(lists) : scoreBlend(lists);
}
