/**
 * The process the crash-safety test kills: indexes a workspace in small
 * batches (one transaction each) and reports on stdout when indexing starts,
 * after each committed batch, and when it is done.
 * Usage: node crashChild.js <root> <cacheDir> <modelDir> <batchFiles>
 */
import { CodeGraph } from '../../engine/codegraph.js';

async function main(): Promise<void> {
  const [root, cacheDir, modelDir, batchFiles] = process.argv.slice(2);
  const graph = await CodeGraph.open({ root: root!, cacheDir: cacheDir!, modelDir: modelDir!, workers: 1, batchFiles: Number(batchFiles) });
  process.stdout.write('indexing\n');
  const summary = await graph.index({ onProgress: (progress) => progress.phase === 'indexing' && progress.filesDone > 0 && process.stdout.write(`committed ${progress.filesDone}\n`) });
  await graph.dispose();
  process.stdout.write(`done ${JSON.stringify({ chunksEmbedded: summary.chunksEmbedded, chunksTotal: summary.chunksTotal, filesChanged: summary.filesChanged })}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
