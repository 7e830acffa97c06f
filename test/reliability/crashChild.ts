/**
 * The process the crash-safety test kills: indexes a workspace in small
 * batches (one transaction each) and reports on stdout when indexing starts,
 * after each committed batch, and when it is done.
 * Usage: node crashChild.js <root> <cacheDir> <modelDir> <batchFiles>
 */
import { CodeGraph } from '../../engine/codegraph.js';
import type { IndexProgress } from '../../engine/indexer/indexer.js';

async function main(): Promise<void> {
  const [root, cacheDir, modelDir, batchFiles] = process.argv.slice(2);
  const graph = await CodeGraph.open({ root: root!, cacheDir: cacheDir!, modelDir: modelDir!, workers: 1, batchFiles: Number(batchFiles) });
  process.stdout.write('indexing\n');
  // Progress also reports analysed files; a commit is when the count of done files grows.
  let committed = 0;
  const onProgress = (progress: IndexProgress) => {
    if (progress.phase !== 'indexing' || progress.filesDone <= committed) return;
    committed = progress.filesDone;
    process.stdout.write(`committed ${committed}\n`);
  };
  const summary = await graph.index({ onProgress });
  await graph.dispose();
  process.stdout.write(`done ${JSON.stringify({ chunksEmbedded: summary.chunksEmbedded, chunksTotal: summary.chunksTotal, filesChanged: summary.filesChanged })}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
