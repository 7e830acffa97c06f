/**
 * Child process for the sparse-file test: indexes a workspace with a raised
 * size limit and prints its peak RSS (worker threads share the process, so a
 * whole-file read in a worker shows up here) and what became of `huge.py`.
 * Usage: node sparseProbe.js <root> <cacheDir> <maxFileBytes>
 */
import { CodeGraph } from '../../engine/codegraph.js';

async function probe(): Promise<void> {
  const [root, cacheDir, maxFileBytes] = process.argv.slice(2);
  const baselineKb = process.resourceUsage().maxRSS;
  const graph = await CodeGraph.open({ root: root!, cacheDir: cacheDir!, modelDir: null, workers: 1, discovery: { maxFileBytes: Number(maxFileBytes) } });
  try {
    const summary = await graph.index();
    const huge = summary.skipped.find((entry) => entry.path === 'huge.py') ?? null;
    const stored = [...(await graph.store.files()).keys()];
    process.stdout.write(`${JSON.stringify({ baselineMb: baselineKb / 1024, peakMb: process.resourceUsage().maxRSS / 1024, huge, stored })}\n`);
  } finally {
    await graph.dispose();
  }
}

probe().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
