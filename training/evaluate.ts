/**
 * Held-out evaluation of a model directory: for each language, validation
 * pairs (packages never seen in training) are grouped in pools of 1,000; each
 * query ranks its own code among the pool's 1,000 (999 distractors). Reports
 * MRR for the dense model, for BM25, and for their hybrid (the engine's
 * reciprocal-rank fusion over each list's top 200, as search does) on the same pools.
 *
 *   node out/training/evaluate.js --pairs <corpus>/pairs --model models/<name> [--max-per-language 5000] [--out file.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Embedder } from '../engine/embedding/model.js';
import { reciprocalRankFusion } from '../engine/search/fusion.js';
import { Bm25Index, rankOf } from './bm25.js';

/** Candidates per list before fusion, as the engine's searcher takes them. */
const FUSION_CANDIDATES = 200;

function topIds(scores: readonly number[], count: number): number[] {
  return scores.map((score, id) => ({ score, id })).sort((a, b) => b.score - a.score).slice(0, count).map((entry) => entry.id);
}

/** 1/rank of `target` after fusing the two lists' top candidates; 0 when neither list kept it. */
function hybridReciprocalRank(dense: readonly number[], lexical: readonly number[], target: number): number {
  const fused = reciprocalRankFusion([
    { ids: topIds(dense, FUSION_CANDIDATES), scores: [], weight: 1 },
    { ids: topIds(lexical, FUSION_CANDIDATES), scores: [], weight: 1 },
  ]);
  const own = fused.get(target);
  if (own === undefined) return 0;
  let rank = 1;
  for (const [id, score] of fused) if (id !== target && score > own) rank++;
  return 1 / rank;
}
import { readPairs, type Pair } from './prepare.js';

function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  for (let i = items.length - 1; i > 0; i--) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const j = state % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * The cosine that only 1% of random pairs of held-out code chunks reach: the
 * model's "similar code" threshold (written to its manifest). Cosine scales
 * differ between models, so the threshold is measured, not chosen.
 */
export async function calibrateSimilarity(embedder: Embedder, codes: readonly string[], pairs = 20000, quantile = 0.99) {
  const vectors = await embedder.embed(codes, 'document');
  let state = 12345;
  const next = () => (state = (state * 1664525 + 1013904223) >>> 0);
  const cosines: number[] = [];
  while (cosines.length < pairs && vectors.length > 1) {
    const a = next() % vectors.length;
    const b = next() % vectors.length;
    if (a === b || codes[a] === codes[b]) continue;
    cosines.push(vectors[a]!.reduce((sum, value, d) => sum + value * vectors[b]![d]!, 0));
  }
  cosines.sort((x, y) => x - y);
  const at = (q: number) => cosines[Math.min(cosines.length - 1, Math.floor(q * cosines.length))] ?? 0;
  return { chunks: codes.length, randomPairs: cosines.length, median: round(at(0.5)), quantile, threshold: round(at(quantile)) };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Languages with fewer held-out pairs than this are not scored: a tiny pool makes MRR meaningless. */
const MIN_PAIRS = 200;

export async function evaluateHeldOut(pairsDir: string, modelDir: string, pool = 1000, maxPerLanguage = 5000) {
  const byLanguage = new Map<string, Pair[]>();
  for await (const pair of readPairs(pairsDir, 'valid')) {
    const list = byLanguage.get(pair.language) ?? [];
    list.push(pair);
    byLanguage.set(pair.language, list);
  }
  const embedder = await Embedder.load(modelDir, { device: 'cpu', intraOpThreads: 2, maxBatchSize: 256, maxBatchTokens: 65536, dimensions: 0 });
  const results: Record<string, { pairs: number; dense: number; bm25: number; hybrid: number }> = {};
  let similarity: Awaited<ReturnType<typeof calibrateSimilarity>>;
  try {
    const sample = shuffle([...byLanguage.values()].flat().map((pair) => pair.code), 11).slice(0, 3000);
    similarity = await calibrateSimilarity(embedder, sample);
    process.stderr.write(`similarity calibration: ${JSON.stringify(similarity)}\n`);
    for (const [language, all] of [...byLanguage].sort()) {
      if (all.length < MIN_PAIRS) {
        process.stderr.write(`held-out ${language}: ${all.length} pairs, fewer than ${MIN_PAIRS}: not scored\n`);
        continue;
      }
      const pairs = shuffle([...all], 7).slice(0, maxPerLanguage);
      const dense: number[] = [];
      const bm25: number[] = [];
      const hybrid: number[] = [];
      // Pools of exactly `pool`; a language with fewer pairs uses one smaller pool.
      const poolSize = Math.min(pool, pairs.length);
      for (let start = 0; start + poolSize <= pairs.length; start += poolSize) {
        const group = pairs.slice(start, start + poolSize);
        const codeVectors = await embedder.embed(group.map((pair) => pair.code), 'document');
        const queryVectors = await embedder.embed(group.map((pair) => pair.query), 'query');
        const lexical = new Bm25Index(group.map((pair) => pair.code));
        group.forEach((pair, index) => {
          const query = queryVectors[index]!;
          const scores = codeVectors.map((code) => code.reduce((sum, value, d) => sum + value * query[d]!, 0));
          const lexicalScores = lexical.scores(pair.query);
          dense.push(1 / rankOf(scores, index));
          bm25.push(1 / rankOf(lexicalScores, index));
          hybrid.push(hybridReciprocalRank(scores, Array.from(lexicalScores), index));
        });
      }
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
      results[language] = { pairs: dense.length, dense: round(mean(dense)), bm25: round(mean(bm25)), hybrid: round(mean(hybrid)) };
      process.stderr.write(`held-out ${language}: ${JSON.stringify(results[language])}\n`);
    }
  } finally {
    await embedder.dispose();
  }
  const languages = Object.values(results);
  const macro = (key: 'dense' | 'bm25' | 'hybrid') => Math.round((languages.reduce((sum, entry) => sum + entry[key], 0) / Math.max(1, languages.length)) * 1000) / 1000;
  return { pool, modelId: embedder.modelId, perLanguage: results, macro: { dense: macro('dense'), bm25: macro('bm25'), hybrid: macro('hybrid') }, similarity };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pairs: { type: 'string' }, model: { type: 'string' }, pool: { type: 'string', default: '1000' }, 'max-per-language': { type: 'string', default: '5000' }, out: { type: 'string' } } });
  if (!values.pairs || !values.model) throw new Error('--pairs <dir> and --model <dir> are required');
  const report = await evaluateHeldOut(values.pairs, values.model, Number(values.pool), Number(values['max-per-language']));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
