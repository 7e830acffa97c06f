/**
 * Digests of what the index's workers make of the speed corpus, file by file:
 * the chunks and analysis (`analyze` tasks: text, ranges, hashes, metrics,
 * calls, identifiers, imports, definitions), the int8 blobs the indexer
 * stores and the float32 vectors the library API returns. Two builds' digest
 * files compared show that an optimisation changed nothing (issue 12).
 *
 *   node out/bench/speed/digestCorpus.js --out FILE [--corpus DIR] [--every N] [--workers N]
 *   node out/bench/speed/digestCorpus.js --compare A B
 *
 * Runs through the same worker pool as the indexer, with the default model.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultGrammarsDir, defaultModelDir } from '../../engine/config/paths.js';
import { DEFAULT_DISCOVERY } from '../../engine/discovery/types.js';
import { discoverFiles } from '../../engine/discovery/walk.js';
import { readModelManifest } from '../../engine/embedding/manifest.js';
import { WorkerPool } from '../../engine/pool/pool.js';
import { chunkingFor, DEFAULT_CORPUS } from './corpusChunks.js';

interface FileDigest {
  readonly path: string;
  readonly chunks: number;
  readonly analysis: string;
  readonly blobs: string;
  readonly vectors: string;
}

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

async function digest(corpus: string, every: number, workers: number): Promise<FileDigest[]> {
  const modelDir = defaultModelDir();
  const chunking = chunkingFor(readModelManifest(modelDir));
  const { files } = await discoverFiles(corpus, DEFAULT_DISCOVERY);
  const chosen = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).filter((_, index) => index % every === 0);
  const pool = new WorkerPool({ grammarsDir: defaultGrammarsDir(), modelDir, device: 'cpu', dimensions: 0, maxBatchSize: 64, maxFileBytes: DEFAULT_DISCOVERY.maxFileBytes }, { size: workers });
  const digests: FileDigest[] = [];
  try {
    const batch = 32;
    const tasks: Promise<FileDigest[]>[] = [];
    for (let start = 0; start < chosen.length; start += batch) {
      const slice = chosen.slice(start, start + batch).map((file) => ({ path: file.path, absolutePath: file.absolutePath, language: file.language, knownHash: null }));
      tasks.push(
        pool.analyze({ files: slice, chunking }).then(async ({ files: analyzed }) =>
          Promise.all(
            analyzed.map(async (file): Promise<FileDigest> => {
              if (file.status !== 'changed') return { path: file.path, chunks: 0, analysis: sha(JSON.stringify(file)), blobs: '', vectors: '' };
              const texts = file.chunks.map((chunk) => chunk.text);
              const blobs = texts.length > 0 ? (await pool.embed(texts)).blobs : [];
              const vectors = texts.length > 0 ? await pool.embedVectors(texts, texts.map(() => null), 'document') : { vectors: [], truncated: [] };
              const { mtimeMs: _mtime, ...stable } = file;
              return {
                path: file.path,
                chunks: texts.length,
                analysis: sha(JSON.stringify(stable)),
                blobs: sha(Buffer.concat(blobs.map((blob) => Buffer.from(blob)))),
                vectors: sha(JSON.stringify(vectors.truncated) + Buffer.concat(vectors.vectors.map((vector) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength))).toString('base64')),
              };
            }),
          ),
        ),
      );
    }
    for (const task of tasks) digests.push(...(await task));
  } finally {
    await pool.close();
  }
  return digests;
}

function compare(aFile: string, bFile: string): Record<string, unknown> {
  const read = (file: string) => new Map((JSON.parse(readFileSync(file, 'utf8')) as FileDigest[]).map((entry) => [entry.path, entry]));
  const a = read(aFile);
  const b = read(bFile);
  const differing = { analysis: [] as string[], blobs: [] as string[], vectors: [] as string[] };
  for (const [path, left] of a) {
    const right = b.get(path);
    for (const field of ['analysis', 'blobs', 'vectors'] as const) if (!right || right[field] !== left[field]) differing[field].push(path);
  }
  const chunks = [...a.values()].reduce((sum, entry) => sum + entry.chunks, 0);
  return { files: a.size, filesInB: b.size, chunks, differingAnalysis: differing.analysis.length, differingBlobs: differing.blobs.length, differingVectors: differing.vectors.length, examples: { analysis: differing.analysis.slice(0, 5), blobs: differing.blobs.slice(0, 5), vectors: differing.vectors.slice(0, 5) } };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { corpus: { type: 'string', default: DEFAULT_CORPUS }, every: { type: 'string', default: '1' }, workers: { type: 'string', default: '2' }, out: { type: 'string' }, compare: { type: 'boolean' } } });
  if (values.compare) {
    const result = compare(positionals[0]!, positionals[1]!);
    console.log(JSON.stringify(result));
    if (result['differingAnalysis'] !== 0 || result['differingBlobs'] !== 0 || result['differingVectors'] !== 0 || result['files'] !== result['filesInB']) process.exitCode = 1;
    return;
  }
  const begun = performance.now();
  const digests = await digest(values.corpus!, Number(values.every), Number(values.workers));
  writeFileSync(values.out!, JSON.stringify(digests));
  console.log(JSON.stringify({ files: digests.length, chunks: digests.reduce((sum, entry) => sum + entry.chunks, 0), ms: Math.round(performance.now() - begun) }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
