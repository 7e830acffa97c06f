/**
 * Retrieval metrics, scored the semble benchmark's way: results are reduced to
 * files in order of first appearance, a target matches the first result whose
 * path equals it (or ends with "/" + it) and, where the target has a line
 * span, whose lines overlap it; NDCG@10 with binary gains over relevant ∪ secondary.
 */

export type Target = string | { path: string; start_line: number; end_line: number };

export interface RankedChunk {
  /** Path relative to the repository root. */
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
}

export function pathMatches(resultPath: string, targetPath: string): boolean {
  return resultPath === targetPath || resultPath.endsWith(`/${targetPath}`);
}

/** File rank (0-based, by first appearance) at which each target is first matched; -1 if never. */
export function targetRanks(results: readonly RankedChunk[], targets: readonly Target[]): number[] {
  const fileRank = new Map<string, number>();
  const ranks = targets.map(() => -1);
  for (const result of results) {
    if (!fileRank.has(result.path)) fileRank.set(result.path, fileRank.size);
    const rank = fileRank.get(result.path)!;
    targets.forEach((target, index) => {
      if (ranks[index] !== -1) return;
      const path = typeof target === 'string' ? target : target.path;
      if (!pathMatches(result.path, path)) return;
      if (typeof target !== 'string' && (result.endLine < target.start_line || result.startLine > target.end_line)) return;
      ranks[index] = rank;
    });
  }
  return ranks;
}

export function ndcgAt(results: readonly RankedChunk[], targets: readonly Target[], k = 10): number {
  if (targets.length === 0) return 0;
  let dcg = 0;
  for (const rank of targetRanks(results, targets)) if (rank >= 0 && rank < k) dcg += 1 / Math.log2(rank + 2);
  let ideal = 0;
  for (let rank = 0; rank < Math.min(targets.length, k); rank++) ideal += 1 / Math.log2(rank + 2);
  return Math.min(1, dcg / ideal);
}

/** Reciprocal rank of the first relevant item (1-based rank), 0 if absent. */
export function reciprocalRank(rank: number): number {
  return rank >= 0 ? 1 / (rank + 1) : 0;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function percentileOf(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
