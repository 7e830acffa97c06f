/**
 * Vector optimiser benchmark: for every precision mode of the in-memory dense
 * index, with and without PCA, recall@10 against exact float32 search, bytes
 * per vector, memory for 100k chunks (the index's typed arrays, and the
 * process RSS delta) and query latency at 100k chunks.
 *
 * Two datasets: real embeddings (chunks of a real corpus embedded with the
 * default model; the speed corpus or the quality benchmark's checkouts when
 * present, else this repository's own source tree, so it runs from a fresh
 * clone), and synthetic 768-dimensional vectors shaped like transformer
 * embeddings (a shared mean direction, topic and sub-topic clusters, noise).
 *
 * Writes bench-results/vectors-latest.{json,md} and the table section of
 * docs/precision.md (between its markers). `npm run bench:vectors`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeGraph } from '../../engine/codegraph.js';
import { defaultModelDir, packageRoot } from '../../engine/config/paths.js';
import { discoverFiles } from '../../engine/discovery/walk.js';
import { DEFAULT_DISCOVERY } from '../../engine/discovery/types.js';
import { Embedder } from '../../engine/embedding/model.js';
import { DenseIndex, pcaSampleLimit } from '../../engine/search/denseIndex.js';
import { VECTOR_PRECISIONS, type VectorPrecision } from '../../engine/vectors/codecs.js';
import { applyPcaToDocument, decodePca, encodePca, fitPca, gaussianSource, type PcaProjection } from '../../engine/vectors/pca.js';
import { decodeInt8Blob, dequantizeInt8, encodeInt8Blob, quantizeInt8 } from '../../engine/vectors/quantize.js';
import { seededRandom } from '../../engine/random/index.js';

const K = 10;
const root = packageRoot();

interface Dataset {
  readonly name: string;
  readonly description: string;
  readonly dimension: number;
  /** Model output, float32: the exact reference. */
  readonly documents: Float32Array[];
  readonly queries: Float32Array[];
  /** PCA output dimensions to try. */
  readonly pcaDimensions: readonly number[];
}

interface Row {
  readonly dataset: string;
  readonly precision: VectorPrecision;
  /** Sign-bit prefilter, then re-scoring at `precision` (the engine's default from PREFILTER_MIN_ROWS rows). */
  readonly prefilter: boolean;
  readonly dimensions: string;
  readonly bytesPerVector: number;
  /** int8 at rest → (PCA) → precision, as the engine does. */
  readonly recallEngine: number;
  /** float32 model output → (PCA) → precision: the mode's own loss. */
  readonly recallFromFloat: number;
  /** Share of the exact top-10 within the engine's top-100: what re-scoring 100 candidates at full precision could recover. */
  readonly recallIn100: number;
  readonly indexMbPer100k: number;
  readonly rssMbPer100k: number;
  readonly latencyP50Ms: number;
  readonly latencyBestMs: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string' },
      model: { type: 'string' },
      'max-files': { type: 'string', default: '1000' },
      'max-docs': { type: 'string', default: '10000' },
      queries: { type: 'string', default: '100' },
      'synthetic-docs': { type: 'string', default: '5000' },
      rows: { type: 'string', default: '100000' },
      'latency-queries': { type: 'string', default: '20' },
      out: { type: 'string', default: join(root, 'bench-results') },
      doc: { type: 'string', default: join(root, 'docs', 'precision.md') },
    },
  });
  const started = performance.now();
  const rows = Number(values.rows);
  const work = mkdtempSync(join(tmpdir(), 'codegraph-bench-vectors-'));
  try {
    const real = await realDataset(values.corpus, values.model ?? defaultModelDir(), Number(values['max-files']), Number(values['max-docs']), Number(values.queries), work);
    const synthetic = syntheticDataset(768, Number(values['synthetic-docs']), Number(values.queries), 7);
    const results: Row[] = [];
    const fits: Record<string, unknown>[] = [];
    for (const dataset of [real.dataset, synthetic]) {
      log(`${dataset.name}: ${dataset.documents.length} documents, ${dataset.queries.length} queries, ${dataset.dimension} dims`);
      const truth = dataset.queries.map((query) => exactTopK(dataset.documents, query, K));
      // What the store holds: the model's vectors as int8 with a per-vector scale.
      const atRest = dataset.documents.map((vector) => encodeInt8Blob(quantizeInt8(vector)));
      const restored = atRest.map((blob) => dequantizeInt8(decodeInt8Blob(blob)));
      for (const pcaDimensions of [0, ...dataset.pcaDimensions]) {
        let projection: PcaProjection | null = null;
        if (pcaDimensions > 0) {
          const fitStarted = performance.now();
          projection = fitPca(restored.slice(0, pcaSampleLimit(dataset.dimension)), pcaDimensions, { seed: 0 });
          const fitMs = performance.now() - fitStarted;
          fits.push({ dataset: dataset.name, from: dataset.dimension, to: pcaDimensions, samples: projection.sampleCount, explainedVariance: round(projection.explainedVariance, 3), fitMs: Math.round(fitMs) });
          log(`  PCA ${dataset.dimension}→${pcaDimensions}: ${(100 * projection.explainedVariance).toFixed(1)}% of variance, fitted in ${Math.round(fitMs)} ms`);
        }
        const projected = projection ? restored.map((vector) => applyPcaToDocument(projection!, vector)) : restored;
        const inputs = writeInputs(join(work, `${dataset.name}-${pcaDimensions}`), projected, dataset.queries, projection);
        const modes = [...VECTOR_PRECISIONS.map((precision) => ({ precision, prefilter: false })), { precision: 'int8' as const, prefilter: true }];
        for (const { precision, prefilter } of modes) {
          const options = { precision, projection, capacity: dataset.documents.length, prefilterMinRows: prefilter ? 0 : Infinity };
          const engine = new DenseIndex(dataset.dimension, options);
          atRest.forEach((blob, id) => engine.add(id, 0, blob));
          const fromFloat = new DenseIndex(dataset.dimension, options);
          dataset.documents.forEach((vector, id) => fromFloat.addVector(id, 0, vector));
          const measured = measureAtScale({ precision, prefilter, dimension: dataset.dimension, rows, latencyQueries: Number(values['latency-queries']), inputs });
          const row: Row = {
            dataset: dataset.name,
            precision,
            prefilter,
            dimensions: projection ? `${dataset.dimension}→${pcaDimensions}` : `${dataset.dimension}`,
            bytesPerVector: engine.bytesPerVector,
            ...recallOf(engine, dataset.queries, truth, 'recallEngine', 'recallIn100'),
            recallFromFloat: recallOf(fromFloat, dataset.queries, truth, 'recallFromFloat', 'recallIn100').recallFromFloat,
            ...measured,
          };
          results.push(row);
          log(`  ${(prefilter ? `${precision}+prefilter` : precision).padEnd(16)} ${row.dimensions.padEnd(8)} recall@10 ${row.recallEngine.toFixed(3)} (from f32 ${row.recallFromFloat.toFixed(3)}; in top-100 ${row.recallIn100.toFixed(3)}), ${row.bytesPerVector} B/vector, ${row.indexMbPer100k} MB index, ${row.rssMbPer100k} MB RSS, p50 ${row.latencyP50Ms} ms`);
        }
      }
    }

    const report = {
      kind: 'vectors',
      date: new Date().toISOString(),
      commit: gitCommit(),
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGb: Math.round(totalmem() / 1e9), node: process.version, loadAverage: loadavg().map((load) => round(load, 1)) },
      model: real.modelId,
      real: real.info,
      synthetic: { dimension: synthetic.dimension, documents: synthetic.documents.length, queries: synthetic.queries.length, description: synthetic.description },
      rows,
      latencyQueries: Number(values['latency-queries']),
      k: K,
      pca: fits,
      results,
      seconds: Math.round((performance.now() - started) / 1000),
    };
    const md = markdown(report);
    mkdirSync(values.out!, { recursive: true });
    writeFileSync(join(values.out!, 'vectors-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(values.out!, 'vectors-latest.md'), `${md}\n`);
    updateDoc(values.doc!, md);
    console.log(md);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Chunks of a real corpus (a deterministic stride sample of its files), embedded with the model; queries are their doc comments' first lines. */
async function realDataset(corpusOption: string | undefined, modelDir: string, maxFiles: number, maxDocs: number, queryCount: number, work: string): Promise<{ dataset: Dataset; modelId: string; info: Record<string, unknown> }> {
  const candidates = [join(homedir(), '.cache', 'codegraph', 'speed-corpus'), join(homedir(), '.cache', 'codegraph', 'bench-repos'), root];
  const corpus = corpusOption ?? candidates.find((dir) => existsSync(dir))!;
  const { files } = await discoverFiles(corpus, DEFAULT_DISCOVERY);
  const step = Math.max(1, Math.floor(files.length / maxFiles));
  const chosen = files.filter((_, index) => index % step === 0).slice(0, maxFiles);
  const subset = join(work, 'corpus');
  for (const file of chosen) {
    mkdirSync(dirname(join(subset, file.path)), { recursive: true });
    copyFileSync(file.absolutePath, join(subset, file.path));
  }
  let phase = performance.now();
  // Lexical-only indexing chunks the files without embedding them; the model runs below, in float32.
  const graph = await CodeGraph.open({ root: subset, cacheDir: join(work, 'cache'), modelDir: null });
  let chunks: { text: string; doc: string | null }[];
  try {
    await graph.index();
    chunks = await graph.store.db.all<{ text: string; doc: string | null }>(
      'SELECT min(text) AS text, min(doc) AS doc FROM chunks GROUP BY content_hash ORDER BY content_hash LIMIT ?',
      [maxDocs],
    );
  } finally {
    await graph.dispose();
  }
  log(`chunked ${chosen.length} files of ${corpus} into ${chunks.length} distinct chunks in ${Math.round(performance.now() - phase)} ms`);

  phase = performance.now();
  const embedder = await Embedder.load(modelDir, { device: 'cpu', intraOpThreads: 2, maxBatchSize: 128, maxBatchTokens: 32768, dimensions: 0 });
  try {
    const documents: Float32Array[] = [];
    for (let start = 0; start < chunks.length; start += 512) documents.push(...(await embedder.embed(chunks.slice(start, start + 512).map((chunk) => chunk.text), 'document')));
    const questions = chunks.map((chunk) => firstLine(chunk.doc)).filter((line): line is string => line !== null);
    const stride = Math.max(1, Math.floor(questions.length / queryCount));
    const queryTexts = questions.filter((_, index) => index % stride === 0).slice(0, queryCount);
    const queries = await embedder.embed(queryTexts, 'query');
    log(`embedded ${documents.length} chunks and ${queries.length} queries with ${embedder.modelId} in ${Math.round(performance.now() - phase)} ms`);
    const label = corpus === root ? 'this repository' : corpus.replace(homedir(), '~');
    return {
      dataset: {
        name: 'real',
        description: `${documents.length} chunks of ${chosen.length} files from ${label}, ${embedder.modelId}`,
        dimension: embedder.dimension,
        documents,
        queries,
        pcaDimensions: [Math.floor(embedder.dimension / 2), Math.floor(embedder.dimension / 4)],
      },
      modelId: embedder.modelId,
      info: { corpus: label, files: chosen.length, documents: documents.length, queries: queries.length, queryKind: 'first line of a chunk doc comment' },
    };
  } finally {
    await embedder.dispose();
  }
}

function firstLine(doc: string | null): string | null {
  if (!doc) return null;
  const line = doc.split('\n').map((part) => part.trim()).find((part) => part.length > 0);
  if (!line || line.split(/\s+/).length < 3) return null;
  return line.slice(0, 200);
}

/**
 * Unit vectors shaped like sentence-transformer output: every vector shares a
 * mean direction (embeddings are anisotropic), belongs to one of 300 topics
 * (Zipf-distributed popularity) and one of its 8 sub-topics, plus isotropic
 * noise. Queries are fresh draws from the same process.
 */
function syntheticDataset(dimension: number, documents: number, queries: number, seed: number): Dataset {
  const gaussian = gaussianSource(seed);
  const unit = () => normalize(Float32Array.from({ length: dimension }, gaussian));
  const shared = unit();
  const topics = Array.from({ length: 300 }, unit);
  const subtopics = topics.map(() => Array.from({ length: 8 }, unit));
  const weights = topics.map((_, index) => 1 / (index + 1) ** 0.8);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const uniform = seededRandom(seed + 1);
  const pick = () => {
    let target = uniform() * total;
    for (let index = 0; index < weights.length; index++) {
      target -= weights[index]!;
      if (target <= 0) return index;
    }
    return weights.length - 1;
  };
  const draw = () => {
    const topic = pick();
    const subtopic = subtopics[topic]![Math.floor(uniform() * 8)]!;
    const vector = new Float32Array(dimension);
    const noise = 0.55 / Math.sqrt(dimension);
    for (let i = 0; i < dimension; i++) vector[i] = 0.45 * shared[i]! + 0.6 * topics[topic]![i]! + 0.45 * subtopic[i]! + noise * gaussian();
    return normalize(vector);
  };
  return {
    name: 'synthetic',
    description: `${documents} synthetic unit vectors, ${dimension} dims: shared mean direction, 300 Zipf topics × 8 sub-topics, isotropic noise`,
    dimension,
    documents: Array.from({ length: documents }, draw),
    queries: Array.from({ length: queries }, draw),
    pcaDimensions: [256],
  };
}

interface ScaleInputs {
  readonly rowsFile: string;
  readonly rowCount: number;
  readonly queriesFile: string;
  readonly queryCount: number;
  readonly pcaFile: string | null;
}

/** Float32 rows as they enter the index (projected when PCA is on), the queries and the projection, in files for the measuring child. */
function writeInputs(prefix: string, projected: readonly Float32Array[], queries: readonly Float32Array[], projection: PcaProjection | null): ScaleInputs {
  const pack = (vectors: readonly Float32Array[]) => {
    const buffer = Buffer.alloc(vectors.length * vectors[0]!.length * 4);
    vectors.forEach((vector, index) => buffer.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), index * vector.byteLength));
    return buffer;
  };
  writeFileSync(`${prefix}.rows`, pack(projected));
  writeFileSync(`${prefix}.queries`, pack(queries));
  if (projection) writeFileSync(`${prefix}.pca`, encodePca(projection));
  return { rowsFile: `${prefix}.rows`, rowCount: projected.length, queriesFile: `${prefix}.queries`, queryCount: queries.length, pcaFile: projection ? `${prefix}.pca` : null };
}

interface ScaleSpec {
  readonly precision: VectorPrecision;
  readonly prefilter: boolean;
  readonly dimension: number;
  readonly rows: number;
  readonly latencyQueries: number;
  readonly inputs: ScaleInputs;
}

type ScaleResult = Pick<Row, 'indexMbPer100k' | 'rssMbPer100k' | 'latencyP50Ms' | 'latencyBestMs'>;

/**
 * Index size, RSS growth and latency with `rows` chunks (the dataset's rows
 * repeated), measured in a fresh process so that the RSS delta is the
 * index's alone: GC on demand, and glibc's mmap threshold pinned so freed
 * buffers of earlier runs cannot be reused.
 */
function measureAtScale(spec: ScaleSpec): ScaleResult {
  const result = spawnSync(process.execPath, ['--expose-gc', __filename, '--measure', JSON.stringify(spec)], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' },
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`Measuring ${spec.precision} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as ScaleResult;
}

/** The child side of `measureAtScale`. */
async function measureInThisProcess(spec: ScaleSpec): Promise<ScaleResult> {
  const unpack = (file: string, count: number) => {
    const bytes = readFileSync(file);
    // A view, not a copy: a freed copy would shrink RSS in the middle of the measurement.
    const all = bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Float32Array(Uint8Array.from(bytes).buffer);
    const width = all.length / count;
    return Array.from({ length: count }, (_, index) => all.subarray(index * width, (index + 1) * width));
  };
  const rows = unpack(spec.inputs.rowsFile, spec.inputs.rowCount);
  const queries = unpack(spec.inputs.queriesFile, spec.inputs.queryCount);
  const projection = spec.inputs.pcaFile ? decodePca(readFileSync(spec.inputs.pcaFile)) : null;
  await settle();
  const rssBefore = process.memoryUsage().rss;
  const index = new DenseIndex(spec.dimension, { precision: spec.precision, projection, capacity: spec.rows, prefilterMinRows: spec.prefilter ? 0 : Infinity });
  for (let row = 0; row < spec.rows; row++) index.addProjected(row, row % 1000, rows[row % rows.length]!);
  await settle();
  const rssDelta = process.memoryUsage().rss - rssBefore;
  const perHundredK = 100000 / spec.rows;
  for (let warm = 0; warm < 3; warm++) index.search(queries[warm % queries.length]!, K);
  const latencies: number[] = [];
  for (let q = 0; q < spec.latencyQueries; q++) {
    const begun = performance.now();
    index.search(queries[q % queries.length]!, K);
    latencies.push(performance.now() - begun);
  }
  latencies.sort((a, b) => a - b);
  return {
    indexMbPer100k: round((index.byteLength / 1048576) * perHundredK, 1),
    rssMbPer100k: round((rssDelta / 1048576) * perHundredK, 1),
    latencyP50Ms: round(latencies[Math.floor(latencies.length * 0.5)]!, 2),
    latencyBestMs: round(latencies[0]!, 2),
  };
}

function exactTopK(documents: readonly Float32Array[], query: Float32Array, k: number): Set<number> {
  const scored = documents.map((vector, index) => {
    let sum = 0;
    for (let i = 0; i < vector.length; i++) sum += vector[i]! * query[i]!;
    return { index, sum };
  });
  scored.sort((a, b) => b.sum - a.sum || a.index - b.index);
  return new Set(scored.slice(0, k).map((entry) => entry.index));
}

/** Shares of the exact top-10 found among the index's top 10 and top 100 (one search each query). */
function recallOf<A extends string, B extends string>(index: DenseIndex, queries: readonly Float32Array[], truth: readonly Set<number>[], at10: A, at100: B): Record<A | B, number> {
  let found10 = 0;
  let found100 = 0;
  queries.forEach((query, q) => {
    index.search(query, 100).forEach((hit, rank) => {
      if (!truth[q]!.has(hit.index)) return;
      found100++;
      if (rank < K) found10++;
    });
  });
  const total = queries.length * K;
  return { [at10]: round(found10 / total, 3), [at100]: round(found100 / total, 3) } as Record<A | B, number>;
}

function markdown(report: { date: string; commit: string; machine: { cpu?: string; cores: number; memoryGb: number; node: string; loadAverage: number[] }; model: string; real: Record<string, unknown>; synthetic: { description: string }; rows: number; latencyQueries: number; pca: Record<string, unknown>[]; results: Row[]; seconds: number }): string {
  const lines = [
    `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${report.machine.node}, load average ${report.machine.loadAverage.join(' / ')} at the end; commit ${report.commit.slice(0, 10)}; \`npm run bench:vectors\` (${report.seconds} s).`,
    '',
    `Real: ${report.real['documents']} chunks of ${report.real['files']} files from ${report.real['corpus']}, embedded with ${report.model}; ${report.real['queries']} queries (${report.real['queryKind']}).`,
    `Synthetic: ${report.synthetic.description}.`,
    '',
    `Recall@10 is the share of the exact float32 top-10 (brute force over the model's output) that the index returns. "engine" is what CodeGraph does: vectors at rest as int8, then PCA, then the mode; "from f32" encodes the model's float output directly, i.e. the mode's own loss. Memory and latency are at ${report.rows.toLocaleString('en-US')} chunks: "index" is the index's typed arrays (rows, row→chunk maps, PCA parameters), "RSS" the process's resident-set growth while building it (after GC; includes the chunk→row Map). Latency: one query (projection, scan, top-10), single thread, median and best of ${report.latencyQueries} (on a shared machine the best is the closer to an idle one).`,
    '',
    '| data | precision | dims | bytes/vector | recall@10 engine | recall@10 from f32 | top-10 in top-100 | index MB / 100k | RSS MB / 100k | p50 ms | best ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.results.map((row) => `| ${row.dataset} | ${row.prefilter ? `${row.precision} + binary prefilter` : row.precision} | ${row.dimensions} | ${row.bytesPerVector} | ${row.recallEngine.toFixed(3)} | ${row.recallFromFloat.toFixed(3)} | ${row.recallIn100.toFixed(3)} | ${row.indexMbPer100k} | ${row.rssMbPer100k} | ${row.latencyP50Ms} | ${row.latencyBestMs} |`),
    '',
    '| PCA fit | samples | variance kept | fit ms |',
    '|---|---|---|---|',
    ...report.pca.map((fit) => `| ${fit['dataset']} ${fit['from']}→${fit['to']} | ${fit['samples']} | ${(100 * (fit['explainedVariance'] as number)).toFixed(1)}% | ${fit['fitMs']} |`),
  ];
  return lines.join('\n');
}

/** Replaces the generated section of the doc, between its markers, with the table. */
function updateDoc(path: string, md: string): void {
  if (!existsSync(path)) return;
  const start = '<!-- vectors:start -->';
  const end = '<!-- vectors:end -->';
  const text = readFileSync(path, 'utf8');
  if (!text.includes(start) || !text.includes(end)) return;
  writeFileSync(path, `${text.slice(0, text.indexOf(start) + start.length)}\n${md}\n${text.slice(text.indexOf(end))}`);
}

/** Scales `vector` to unit length in place, and returns it. */
function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return vector;
}

/** Full GC, a pause for V8's background freeing of array buffers, and GC again. */
async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc?.();
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
  } catch {
    return 'unknown';
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (message: string) => process.stderr.write(`${message}\n`);

const measureAt = process.argv.indexOf('--measure');
if (measureAt >= 0) {
  measureInThisProcess(JSON.parse(process.argv[measureAt + 1]!) as ScaleSpec).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
