/**
 * Query latency of the default (`ranked`) search through the engine API, on
 * one already indexed repository: every annotated query, a warm-up round,
 * then `--rounds` timed rounds; prints p50/p95/max in milliseconds as JSON.
 *
 *   node out/bench/quality/latency.js --root <checkout> --cache <cache dir> --annotations <repo.json> [--rounds 5] [--limit 10]
 *
 * Used to hold the ranking layer to its latency budget: run it from two
 * builds against the same cache and compare.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CodeGraph } from '../../engine/codegraph.js';
import { percentileOf } from './metrics.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      cache: { type: 'string' },
      annotations: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      limit: { type: 'string', default: '10' },
    },
  });
  if (!values.root || !values.cache || !values.annotations) throw new Error('--root, --cache and --annotations are required');
  const queries = (JSON.parse(readFileSync(values.annotations, 'utf8')) as { query: string }[]).map((entry) => entry.query);
  const graph = await CodeGraph.open({ root: values.root, cacheDir: values.cache });
  try {
    await graph.index();
    const limit = Number(values.limit);
    for (const query of queries) await graph.search(query, { limit });
    const times: number[] = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const query of queries) {
        const started = performance.now();
        await graph.search(query, { limit });
        times.push(performance.now() - started);
      }
    }
    const round3 = (value: number) => Math.round(value * 1000) / 1000;
    console.log(JSON.stringify({ queries: queries.length, samples: times.length, p50Ms: round3(percentileOf(times, 0.5)), p95Ms: round3(percentileOf(times, 0.95)), maxMs: round3(Math.max(...times)) }));
  } finally {
    await graph.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
