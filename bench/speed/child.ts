/**
 * One speed measurement per process, so that peak RSS and cold start are
 * those of a fresh process. Prints one JSON object on stdout. Driven by run.ts.
 *
 * The edit-to-searchable probe alone, on an index built once (it edits files
 * and puts them back, so give it a copy of the corpus, and a copy of the index
 * per run to compare builds on the same state):
 *   node out/bench/speed/child.js edits --root <corpus copy> --cache <index copy> --count 200 [--warm-up]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeGraph } from '../../engine/codegraph.js';
import type { IndexSummary } from '../../engine/indexer/indexer.js';
import { Embedder } from '../../engine/embedding/model.js';
import { defaultGrammarsDir, defaultModelDir } from '../../engine/config/paths.js';
import { defaultPoolSize, WorkerPool } from '../../engine/pool/pool.js';
import { DenseIndex } from '../../engine/search/denseIndex.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { encodeInt8Blob, quantizeInt8 } from '../../engine/vectors/quantize.js';
import { boundHeapGrowthForIndexing } from '../../cli/heapGrowth.js';

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => ((state = (state * 1664525 + 1013904223) >>> 0) / 4294967296);
}

async function openGraph(values: { root?: string; cache?: string; model?: string; workers?: string }): Promise<CodeGraph> {
  return CodeGraph.open({
    root: values.root!,
    cacheDir: values.cache!,
    ...(values.model ? { modelDir: values.model } : {}),
    ...(values.workers ? { workers: Number(values.workers) } : {}),
  });
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { root: { type: 'string' }, cache: { type: 'string' }, model: { type: 'string' }, workers: { type: 'string' }, count: { type: 'string' }, chunks: { type: 'string' }, dim: { type: 'string' }, texts: { type: 'string' }, batch: { type: 'string' }, queries: { type: 'string' }, 'warm-up': { type: 'boolean' } },
  });
  const task = positionals[0];
  // The index runs stand for `codegraph index` (and the edit probe for `watch`), which bound their heap growth so;
  // the query and embedding measurements stand for the engine in a process of its own heap settings.
  if (task === 'index' || task === 'edits') boundHeapGrowthForIndexing();
  const result: Record<string, unknown> = { task };
  if (task === 'index') {
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    const graph = await openGraph(values);
    const summary = await graph.index();
    const status = await graph.status();
    await graph.dispose();
    // Through dispose, as `codegraph index` runs until its end: the vector file is written by then, whichever
    // part of the run writes it (before the fifteenth session, dispose read every vector back, outside this figure).
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuAtStart);
    Object.assign(result, {
      ms,
      files: summary.filesDiscovered,
      filesChanged: summary.filesChanged,
      chunks: summary.chunksTotal,
      chunksEmbedded: summary.chunksEmbedded,
      cacheHitRatio: summary.cacheHitRatio,
      cacheBytes: status.cacheBytes,
      peakRssMb: peakRssMb(),
      // All threads of the process (main, workers, SQLite's): 200% is two busy cores.
      cpuPercent: ((cpu.user + cpu.system) / 1000 / ms) * 100,
      phaseMs: summary.phaseMs,
      refreshedReferences: summary.refreshedReferences,
      workers: values['workers'] ? Number(values['workers']) : defaultPoolSize(),
    });
  } else if (task === 'cold-start') {
    // From process start (performance.timeOrigin) to the first answered query.
    const graph = await openGraph(values);
    const hits = await graph.search('open a network connection and read the response');
    result['msToFirstQuery'] = performance.now();
    result['hits'] = hits.length;
    result['peakRssMb'] = peakRssMb();
    await graph.dispose();
  } else if (task === 'edits') {
    const graph = await openGraph(values);
    // `--warm-up`: as a watch session starts (`CodeGraph.warmUp` before the first edit), timed on its own.
    if (values['warm-up']) {
      const begun = performance.now();
      await graph.warmUp();
      result['warmUpMs'] = performance.now() - begun;
    }
    const files = (await graph.store.files());
    const paths = [...files.keys()].filter((path) => /\.(py|go|rs|java|ts|js|php|rb|c|h|hpp|cc)$/.test(path)).sort();
    const random = rng(42);
    const count = Number(values['count'] ?? 200);
    const latencies: number[] = [];
    const indexLatencies: number[] = [];
    // Per edit, where the index run waited (IndexSummary.phaseMs): what a slow edit was slow in.
    const phases: IndexSummary['phaseMs'][] = [];
    let found = 0;
    for (let i = 0; i < count; i++) {
      const path = paths[Math.floor(random() * paths.length)]!;
      const absolute = join(values['root']!, path);
      const original = readFileSync(absolute);
      const marker = `zqbench${i}marker`;
      const comment = /\.(py|rb)$/.test(path) ? '#' : '//';
      // The edit is a comment line inside a definition (after its first line), where a
      // developer types: text outside every chunk (a trailing comment) is not indexed.
      const definitions = (await graph.store.chunksOfFile(path)).filter((chunk) => chunk.endLine > chunk.startLine && chunk.kind !== 'lines');
      const target = definitions[Math.floor(random() * definitions.length)];
      const lines = original.toString('utf8').split('\n');
      const at = target ? target.startLine : lines.length;
      lines.splice(at, 0, `${comment} ${marker} added by the edit benchmark`);
      try {
        const begun = performance.now();
        writeFileSync(absolute, lines.join('\n'));
        phases.push((await graph.index({ paths: [path] })).phaseMs);
        const indexed = performance.now();
        const hits = await graph.search(marker, { mode: 'lexical', limit: 1 });
        latencies.push(performance.now() - begun);
        indexLatencies.push(indexed - begun);
        if (hits[0]?.path === path) found++;
      } finally {
        writeFileSync(absolute, original);
        await graph.index({ paths: [path] });
      }
    }
    await graph.dispose();
    Object.assign(result, { latencies, indexLatencies, phases, found, peakRssMb: peakRssMb() });
  } else if (task === 'query-real') {
    const graph = await openGraph(values);
    const queries = JSON.parse(readFileSync(values['queries']!, 'utf8')) as string[];
    await graph.search('warm up');
    const timed = async () => {
      const latencies: number[] = [];
      for (const query of queries) {
        const begun = performance.now();
        await graph.search(query);
        latencies.push(performance.now() - begun);
      }
      return latencies;
    };
    // First as a one-off process searches (BM25 from the cache's lexical segments), then as a session that stays open does after `warmUp` (BM25 in memory).
    const ftsLatencies = await timed();
    const begun = performance.now();
    await graph.warmUp();
    const warmUpMs = performance.now() - begun;
    const latencies = await timed();
    const chunks = (await graph.store.chunkCount());
    await graph.dispose();
    Object.assign(result, { latencies, ftsLatencies, warmUpMs: Math.round(warmUpMs), chunks, peakRssMb: peakRssMb() });
  } else if (task === 'query-synthetic') {
    const chunks = Number(values['chunks']);
    const dim = Number(values['dim']);
    const random = rng(7);
    const index = new DenseIndex(dim);
    const vector = new Float32Array(dim);
    for (let id = 0; id < chunks; id++) {
      for (let d = 0; d < dim; d++) vector[d] = random() - 0.5;
      index.add(id, id % 1000, encodeInt8Blob(quantizeInt8(vector)));
    }
    const latencies: number[] = [];
    // Enough samples for a stable p95 without spending minutes on the largest matrix.
    const samples = chunks > 200_000 ? 60 : 200;
    for (let q = 0; q < samples; q++) {
      const query = Float32Array.from({ length: dim }, () => random() - 0.5);
      const begun = performance.now();
      index.search(query, 200);
      latencies.push(performance.now() - begun);
    }
    Object.assign(result, { latencies, indexMb: Math.round(index.byteLength / 1048576), peakRssMb: peakRssMb() });
  } else if (task === 'embed') {
    const texts = JSON.parse(readFileSync(values['texts']!, 'utf8')) as string[];
    const batch = Number(values['batch'] ?? 64);
    const embedder = await Embedder.load(values['model']!, { device: 'cpu', intraOpThreads: 1, maxBatchSize: batch, maxBatchTokens: 1 << 20, dimensions: 0 });
    const begun = performance.now();
    await embedder.embed(texts);
    const ms = performance.now() - begun;
    await embedder.dispose();
    Object.assign(result, { texts: texts.length, ms, textsPerSecond: (texts.length / ms) * 1000, peakRssMb: peakRssMb() });
  } else if (task === 'embed-stage') {
    // The embed stage alone, as the indexer runs it (tokenise + infer + int8 in the workers, batches
    // of 256 in flight together), over real chunk texts read from an index.
    const store = await WorkspaceStore.open(join(values['cache']!, 'index.sqlite'));
    const texts = (await store.db.all<{ text: string }>('SELECT text FROM chunks ORDER BY id LIMIT ?', [Number(values['count'] ?? 50_000)])).map((row) => row.text);
    await store.close();
    const workers = values['workers'] ? Number(values['workers']) : defaultPoolSize();
    const pool = new WorkerPool({ grammarsDir: defaultGrammarsDir(), modelDir: values['model'] ?? defaultModelDir(), device: 'cpu', dimensions: 0, maxBatchSize: 64, maxFileBytes: 1 << 20 }, { size: workers });
    // Load the model in every worker before the clock starts.
    await Promise.all(Array.from({ length: workers * 2 }, () => pool.embed(['warm up'])));
    const begun = performance.now();
    const batch = 256;
    const pending: Promise<unknown>[] = [];
    for (let start = 0; start < texts.length; start += batch) pending.push(pool.embed(texts.slice(start, start + batch)));
    await Promise.all(pending);
    const ms = performance.now() - begun;
    await pool.close();
    Object.assign(result, { texts: texts.length, workers, ms, chunksPerSecond: (texts.length / ms) * 1000, peakRssMb: peakRssMb() });
  } else if (task === 'cli-search') {
    // One-off search through the CLI, process start to printed results, as a user types it.
    const { spawnSync } = await import('node:child_process');
    const bin = join(__dirname, '..', '..', '..', 'bin', 'codegraph.js');
    const begun = performance.now();
    const run = spawnSync(process.execPath, [bin, 'search', '--dir', values['root']!, '--cache', values['cache']!, ...(values['model'] ? ['--model', values['model']] : []), 'open a network connection and read the response'], { encoding: 'utf8' });
    const ms = performance.now() - begun;
    if (run.status !== 0) throw new Error(`codegraph search failed (${run.status}): ${run.stderr}`);
    Object.assign(result, { ms, lines: run.stdout.split('\n').length });
  } else {
    throw new Error(`unknown task ${task}`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
