/**
 * Child process for the memory-budget test: indexes a workspace with a given
 * cache budget and the bundled default model, runs distinct queries until the
 * query cache has filled several times over, and prints its peak RSS (which
 * includes the worker threads: they share the process).
 * Usage: node memoryProbe.js <root> <cacheDir> <cacheBudgetMb> <queries>
 */
import { CodeGraph } from '../../engine/codegraph.js';

async function probe(): Promise<void> {
  const [root, cacheDir, budget, queries] = process.argv.slice(2);
  const baselineKb = process.resourceUsage().maxRSS;
  const graph = await CodeGraph.open({ root: root!, cacheDir: cacheDir!, cacheBudgetMb: Number(budget), workers: 1 });
  const summary = await graph.index();
  const afterIndexKb = process.resourceUsage().maxRSS;
  let hits = 0;
  let halfwayKb = 0;
  const total = Number(queries);
  for (let index = 0; index < total; index++) {
    // Distinct queries: each one adds a vector to the query cache until the budget evicts.
    hits += (await graph.search(`parse token request number ${index} validate ${index * 7}`, { limit: 5 })).length;
    if (index === Math.floor(total / 2)) halfwayKb = process.resourceUsage().maxRSS;
  }
  const status = await graph.status();
  await graph.dispose();
  process.stdout.write(
    `${JSON.stringify({
      baselineMb: baselineKb / 1024,
      afterIndexMb: afterIndexKb / 1024,
      halfwayMb: halfwayKb / 1024,
      peakMb: process.resourceUsage().maxRSS / 1024,
      chunks: summary.chunksTotal,
      embedded: summary.chunksEmbedded,
      hits,
      modelId: status.modelId,
    })}\n`,
  );
}

probe().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
