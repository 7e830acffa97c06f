import { lexicalTokens } from '../engine/text/identifiers.js';

/**
 * Okapi BM25 over a small in-memory collection, with the engine's lexical
 * tokens (identifier-split), as the baseline the dense model must beat.
 */
export class Bm25Index {
  private readonly termFrequencies: Map<string, number>[];
  private readonly lengths: number[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(documents: readonly string[], private readonly k1 = 1.2, private readonly b = 0.75) {
    this.termFrequencies = documents.map((document) => {
      const counts = new Map<string, number>();
      for (const token of lexicalTokens(document)) counts.set(token, (counts.get(token) ?? 0) + 1);
      for (const token of counts.keys()) this.documentFrequency.set(token, (this.documentFrequency.get(token) ?? 0) + 1);
      return counts;
    });
    this.lengths = this.termFrequencies.map((counts) => [...counts.values()].reduce((sum, count) => sum + count, 0));
    this.averageLength = this.lengths.reduce((sum, length) => sum + length, 0) / Math.max(1, documents.length);
  }

  scores(query: string): Float64Array {
    const scores = new Float64Array(this.termFrequencies.length);
    const total = this.termFrequencies.length;
    for (const term of new Set(lexicalTokens(query))) {
      const df = this.documentFrequency.get(term);
      if (!df) continue;
      const idf = Math.log(1 + (total - df + 0.5) / (df + 0.5));
      this.termFrequencies.forEach((counts, index) => {
        const tf = counts.get(term);
        if (!tf) return;
        const norm = this.k1 * (1 - this.b + (this.b * this.lengths[index]!) / this.averageLength);
        scores[index]! += (idf * tf * (this.k1 + 1)) / (tf + norm);
      });
    }
    return scores;
  }
}

/** 1-based rank of `index` in `scores` (ties count against it, as in CodeSearchNet's evaluation). */
export function rankOf(scores: ArrayLike<number>, index: number): number {
  const target = scores[index]!;
  let rank = 1;
  for (let i = 0; i < scores.length; i++) if (i !== index && scores[i]! >= target) rank++;
  return rank;
}
