/**
 * Held-out evaluation of a model directory: for each language, validation
 * pairs (packages never seen in training) are grouped in pools of 1,000; each
 * query ranks its own code among the pool's 1,000 (999 distractors). Reports
 * MRR for the dense model and for BM25 on the same pools.
 *
 *   node out/training/evaluate.js --pairs <corpus>/pairs --model models/<name> [--max-per-language 5000] [--out file.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Embedder } from '../engine/embedding/model.js';
import { Bm25Index, rankOf } from './bm25.js';
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
  const results: Record<string, { pairs: number; dense: number; bm25: number }> = {};
  try {
    for (const [language, all] of [...byLanguage].sort()) {
      if (all.length < MIN_PAIRS) {
        process.stderr.write(`held-out ${language}: ${all.length} pairs, fewer than ${MIN_PAIRS}: not scored\n`);
        continue;
      }
      const pairs = shuffle([...all], 7).slice(0, maxPerLanguage);
      const dense: number[] = [];
      const bm25: number[] = [];
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
          dense.push(1 / rankOf(scores, index));
          bm25.push(1 / rankOf(lexical.scores(pair.query), index));
        });
      }
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
      results[language] = { pairs: dense.length, dense: Math.round(mean(dense) * 1000) / 1000, bm25: Math.round(mean(bm25) * 1000) / 1000 };
      process.stderr.write(`held-out ${language}: ${JSON.stringify(results[language])}\n`);
    }
  } finally {
    await embedder.dispose();
  }
  const languages = Object.values(results);
  const macro = (key: 'dense' | 'bm25') => Math.round((languages.reduce((sum, entry) => sum + entry[key], 0) / Math.max(1, languages.length)) * 1000) / 1000;
  return { pool, modelId: embedder.modelId, perLanguage: results, macro: { dense: macro('dense'), bm25: macro('bm25') } };
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
