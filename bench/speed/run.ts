/**
 * Speed and memory benchmark: cold index, warm re-index, edit-to-searchable,
 * query latency at 10k/100k/1M chunks, cold start, peak RSS and index size,
 * plus the default model side by side with a MiniLM-L6-shaped transformer
 * through the same pipeline and at batch size 1 on the main thread.
 *
 *   bash bench/speed/fetch-corpus.sh && /usr/bin/python3 bench/speed/make_minilm.py --out ~/.cache/codegraph/minilm-l6-random
 *   npm run bench:speed [-- --repeats 3 --edits 200 --synthetic-files 100000 (0 skips)]
 *
 * Each measurement runs in a fresh child process (bench/speed/child.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultModelDir, packageRoot } from '../../engine/config/paths.js';
import { DEFAULT_DISCOVERY } from '../../engine/discovery/types.js';
import { discoverFiles } from '../../engine/discovery/walk.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { percentileOf } from '../quality/metrics.js';
import { measureThroughput } from './throughputGoals.js';
import { runApiSpeed } from './api.js';
import { measureSyntheticTree } from './syntheticTree.js';
import { QUERIES } from './queries.js';

const CHILD = join(__dirname, 'child.js');

function child(args: string[]): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['--max-old-space-size=4096', CHILD, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`benchmark child ${args[0]} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const stats = (values: number[]) => ({ median: round(percentileOf(values, 0.5)), min: round(Math.min(...values)), max: round(Math.max(...values)), runs: values.length });
const latency = (values: number[]) => ({ p50: round(percentileOf(values, 0.5)), p95: round(percentileOf(values, 0.95)), max: round(Math.max(...values)), samples: values.length });
function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: process.env['CODEGRAPH_SPEED_CORPUS'] ?? join(homedir(), '.cache', 'codegraph', 'speed-corpus') },
      minilm: { type: 'string', default: join(homedir(), '.cache', 'codegraph', 'minilm-l6-random') },
      model: { type: 'string' },
      repeats: { type: 'string', default: '2' },
      edits: { type: 'string', default: '200' },
      'subset-files': { type: 'string', default: '200' },
      'synthetic-files': { type: 'string', default: '100000' },
      out: { type: 'string', default: join(root, 'bench-results') },
      // `--only search --cache DIR`: only the search rows (cold CLI search, warm hybrid query p95), on an index
      // already built at DIR for --corpus (a big one takes minutes to build: build it once, measure it often).
      only: { type: 'string' },
      cache: { type: 'string' },
    },
  });
  if (values.only !== undefined) {
    if (values.only !== 'search' || !values.cache) throw new Error('--only takes "search", with --cache <an index of --corpus>');
    searchOnly(values.corpus!, values.cache, values.model ? ['--model', values.model] : []);
    return;
  }
  const missing = [!existsSync(values.corpus!) && `corpus ${values.corpus} (run: bash bench/speed/fetch-corpus.sh)`, !existsSync(values.minilm!) && `MiniLM-shaped model ${values.minilm} (run: /usr/bin/python3 bench/speed/make_minilm.py --out ${values.minilm})`].filter(Boolean);
  if (missing.length > 0) throw new Error(`Missing: ${missing.join('; ')}`);
  const work = join(tmpdir(), `codegraph-speed-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const modelArgs = values.model ? ['--model', values.model] : [];
  const repeats = Number(values.repeats);
  const log = (message: string) => process.stderr.write(`speed: ${message}\n`);
  try {
    const { files } = await discoverFiles(values.corpus!, DEFAULT_DISCOVERY);
    const corpusBytes = files.reduce((sum, file) => sum + file.size, 0);
    const languages = [...new Set(files.map((file) => file.language))].sort();
    log(`corpus: ${files.length} files, ${(corpusBytes / 1e6).toFixed(1)} MB, ${languages.length} languages`);

    const cache = join(work, 'cache');
    const cold: Record<string, unknown>[] = [];
    for (let run = 0; run < repeats; run++) {
      rmSync(cache, { recursive: true, force: true });
      cold.push(child(['index', '--root', values.corpus!, '--cache', cache, ...modelArgs]));
      log(`cold index ${run + 1}/${repeats}: ${Math.round(cold[run]!['ms'] as number)} ms`);
    }
    const warm = Array.from({ length: repeats }, () => child(['index', '--root', values.corpus!, '--cache', cache, ...modelArgs]));
    log('warm re-index done');
    const edits = child(['edits', '--root', values.corpus!, '--cache', cache, '--count', values.edits!, ...modelArgs]);
    log('edits done');
    const queryFile = join(work, 'queries.json');
    writeFileSync(queryFile, JSON.stringify([...QUERIES, ...QUERIES, ...QUERIES, ...QUERIES]));
    const realQueries = child(['query-real', '--root', values.corpus!, '--cache', cache, '--queries', queryFile, ...modelArgs]);
    const coldStarts = Array.from({ length: 5 }, () => child(['cold-start', '--root', values.corpus!, '--cache', cache, ...modelArgs]));
    log('queries and cold starts done');
    const throughput = measureThroughput({ work, files, corpus: values.corpus!, cache, modelArgs, cold, realQueryP95: percentileOf(realQueries['latencies'] as number[], 0.95), editP95: percentileOf(edits['latencies'] as number[], 0.95), child }, log);
    const syntheticTree = measureSyntheticTree({ work, count: Number(values['synthetic-files']), modelArgs }, log);
    const lastCold = cold[cold.length - 1]!;
    const chunks = lastCold['chunks'] as number;
    const dimension = 256;
    const synthetic = Object.fromEntries([10_000, 100_000, 1_000_000].map((count) => {
      const measured = child(['query-synthetic', '--chunks', String(count), '--dim', String(dimension)]);
      return [String(count), { ...latency(measured['latencies'] as number[]), indexMb: measured['indexMb'], peakRssMb: measured['peakRssMb'] }];
    }));
    log('synthetic query latency done');

    // Side by side on a fixed subset: every k-th file of the corpus.
    const subsetSize = Number(values['subset-files']);
    const step = Math.max(1, Math.floor(files.length / subsetSize));
    const subsetRoot = join(work, 'subset');
    files.filter((_, index) => index % step === 0).slice(0, subsetSize).forEach((file) => {
      mkdirSync(dirname(join(subsetRoot, file.path)), { recursive: true });
      copyFileSync(file.absolutePath, join(subsetRoot, file.path));
    });
    const sideBySide: Record<string, unknown> = {};
    for (const [name, model] of [['default', values.model], ['minilm-l6', values.minilm]] as const) {
      const subsetCache = join(work, `subset-cache-${name}`);
      const measured = child(['index', '--root', subsetRoot, '--cache', subsetCache, ...(model ? ['--model', model] : [])]);
      sideBySide[`${name} (workers, batched)`] = { ms: round(measured['ms'] as number), filesPerSecond: round(((measured['files'] as number) / (measured['ms'] as number)) * 1000), chunksPerSecond: round(((measured['chunksEmbedded'] as number) / (measured['ms'] as number)) * 1000), chunks: measured['chunksEmbedded'], peakRssMb: measured['peakRssMb'] };
      log(`side by side ${name} done`);
    }
    const store = await WorkspaceStore.open(join(work, 'subset-cache-default', 'index.sqlite'));
    const texts = (await store.db.all<{ text: string }>('SELECT text FROM chunks ORDER BY id LIMIT 400')).map((row) => row.text);
    await store.close();
    const textsFile = join(work, 'texts.json');
    writeFileSync(textsFile, JSON.stringify(texts));
    // The same 400 chunk texts through each model on the main thread at batch size 1: the models' own cost, like for like.
    const defaultModel = values.model ?? defaultModelDir();
    for (const [name, model] of [['default', defaultModel], ['minilm-l6', values.minilm!]] as const) {
      const mainThread = child(['embed', '--model', model, '--texts', textsFile, '--batch', '1']);
      sideBySide[`${name} (main thread, batch 1)`] = { texts: mainThread['texts'], chunksPerSecond: round(mainThread['textsPerSecond'] as number), peakRssMb: mainThread['peakRssMb'] };
    }
    const chunkRate = (key: string) => (sideBySide[key] as { chunksPerSecond: number }).chunksPerSecond;
    const ratios = {
      defaultVsMiniLmPipeline: round(chunkRate('default (workers, batched)') / chunkRate('minilm-l6 (workers, batched)')),
      defaultVsMiniLmMainThreadBatch1: round(chunkRate('default (workers, batched)') / chunkRate('minilm-l6 (main thread, batch 1)')),
      miniLmPipelineVsMainThreadBatch1: round(chunkRate('minilm-l6 (workers, batched)') / chunkRate('minilm-l6 (main thread, batch 1)')),
      defaultVsMiniLmSameTextsBatch1: round(chunkRate('default (main thread, batch 1)') / chunkRate('minilm-l6 (main thread, batch 1)')),
    };
    log('side by side done');

    const coldMs = cold.map((run) => run['ms'] as number);
    const filesPerSecond = cold.map((run) => ((run['files'] as number) / (run['ms'] as number)) * 1000);
    const editLatencies = edits['latencies'] as number[];
    const embedP95 = percentileOf(editLatencies, 0.95);
    const report = {
      kind: 'speed',
      date: new Date().toISOString(),
      commit: (() => {
        try {
          return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root }).toString().trim();
        } catch {
          return 'unknown';
        }
      })(),
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGb: Math.round(totalmem() / 1e9), node: process.version },
      corpus: { files: files.length, megabytes: round(corpusBytes / 1e6), languages },
      coldIndex: { ms: stats(coldMs), filesPerSecond: stats(filesPerSecond), megabytesPerSecond: stats(cold.map((run) => (corpusBytes / 1e6 / (run['ms'] as number)) * 1000)), chunks, peakRssMb: stats(cold.map((run) => run['peakRssMb'] as number)) },
      warmReindex: { ms: stats(warm.map((run) => run['ms'] as number)), cacheHitRatio: warm[0]!['cacheHitRatio'], chunksEmbedded: warm[0]!['chunksEmbedded'] },
      editToSearchable: { ...latency(editLatencies), found: edits['found'], edits: editLatencies.length },
      queryLatency: { real: { chunks, ...latency(realQueries['latencies'] as number[]) }, realFts5: latency(realQueries['ftsLatencies'] as number[]), warmUpMs: realQueries['warmUpMs'], sessionPeakRssMb: realQueries['peakRssMb'], synthetic },
      coldStart: { msToFirstQuery: stats(coldStarts.map((run) => run['msToFirstQuery'] as number)), peakRssMb: stats(coldStarts.map((run) => run['peakRssMb'] as number)) },
      indexSize: { bytes: lastCold['cacheBytes'], bytesPer1000Chunks: Math.round(((lastCold['cacheBytes'] as number) / chunks) * 1000) },
      sideBySide: { subsetFiles: subsetSize, results: sideBySide, ratios },
      throughput: { parseFloor: throughput.parseFloor, embedStage: throughput.embedStage, cliSearchMs: throughput.cliSearchMs, coldIndex: throughput.coldIndex, killResume: throughput.killResume },
      syntheticTree: syntheticTree.report,
    };
    const peakMemory = Math.max(...cold.map((run) => run['peakRssMb'] as number));
    const goals = [
      ['p95 single-file edit to searchable (design: p95 embedding < 100 ms)', embedP95 < 100, `${round(embedP95)} ms`],
      ['≥ 1,000 files/s sustained (design)', report.coldIndex.filesPerSecond.median >= 1000, `${report.coldIndex.filesPerSecond.median} files/s`],
      ['≥ 85% cache hits on incremental updates (design)', (report.warmReindex.cacheHitRatio as number) >= 0.85, `${((report.warmReindex.cacheHitRatio as number) * 100).toFixed(1)}%`],
      ['< 1 GB total memory (design)', peakMemory < 1024, `${peakMemory} MB peak RSS`],
      ['< 5 s cold start (design)', report.coldStart.msToFirstQuery.median < 5000, `${report.coldStart.msToFirstQuery.median} ms`],
      ['≥ 2,000 files/s cold on 2 cores (ours)', report.coldIndex.filesPerSecond.median >= 2000, `${report.coldIndex.filesPerSecond.median} files/s`],
      ['edit-to-searchable p95 < 50 ms (ours)', embedP95 < 50, `${round(embedP95)} ms`],
      ['query p95 < 10 ms at 100k chunks (ours)', (synthetic['100000'] as { p95: number }).p95 < 10, `${(synthetic['100000'] as { p95: number }).p95} ms (dense scan, synthetic)`],
      ['cold start < 1 s (ours)', report.coldStart.msToFirstQuery.median < 1000, `${report.coldStart.msToFirstQuery.median} ms`],
      ['RSS < 400 MB at 100k chunks (ours)', peakMemory < 400 && chunks >= 100_000, `${peakMemory} MB peak RSS at ${chunks} chunks`],
      ...throughput.rows,
      ...syntheticTree.rows,
    ] as const;
    const md = [
      `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${report.machine.node}; commit ${report.commit.slice(0, 10)}.`,
      `Corpus: ${files.length} files, ${report.corpus.megabytes} MB, ${languages.length} languages (bench/speed/fetch-corpus.sh). Medians of ${repeats} runs (min–max).`,
      '',
      '| measure | result |',
      '|---|---|',
      `| cold index | ${report.coldIndex.filesPerSecond.median} files/s (${report.coldIndex.filesPerSecond.min}–${report.coldIndex.filesPerSecond.max}), ${round(report.coldIndex.megabytesPerSecond.median)} MB/s, ${chunks} chunks in ${round(report.coldIndex.ms.median / 1000)} s |`,
      `| warm re-index (unchanged) | ${report.warmReindex.ms.median} ms (${report.warmReindex.ms.min}–${report.warmReindex.ms.max}), cache hit ratio ${((report.warmReindex.cacheHitRatio as number) * 100).toFixed(1)}% |`,
      `| single-file edit to searchable | p50 ${report.editToSearchable.p50} ms, p95 ${report.editToSearchable.p95} ms over ${editLatencies.length} edits (each a comment line inside a definition; found first by the next search in ${String(report.editToSearchable.found)} of ${editLatencies.length}) |`,
      `| query (hybrid, real index, ${chunks} chunks), session after \`warmUp\` (BM25 in memory) | p50 ${report.queryLatency.real.p50} ms, p95 ${report.queryLatency.real.p95} ms; warm-up ${report.queryLatency.warmUpMs} ms, session peak RSS ${report.queryLatency.sessionPeakRssMb} MB |`,
      `| query (hybrid, real index), before \`warmUp\` (BM25 from the cache's lexical segments, as a one-off search) | p50 ${report.queryLatency.realFts5.p50} ms, p95 ${report.queryLatency.realFts5.p95} ms |`,
      ...Object.entries(synthetic).map(([count, value]) => `| dense scan, ${Number(count).toLocaleString('en')} synthetic chunks (${dimension} dims) | p50 ${(value as { p50: number }).p50} ms, p95 ${(value as { p95: number }).p95} ms, ${(value as { indexMb: number }).indexMb} MB |`),
      `| cold start to first answered query | ${report.coldStart.msToFirstQuery.median} ms (${report.coldStart.msToFirstQuery.min}–${report.coldStart.msToFirstQuery.max}) |`,
      `| peak RSS, cold index (main thread and worker threads: one process) | ${peakMemory} MB |`,
      `| index size on disk | ${Math.round(report.indexSize.bytesPer1000Chunks / 1024)} KB per 1,000 chunks |`,
      '',
      `Side by side on a ${subsetSize}-file subset, same pipeline:`,
      '',
      '| configuration | chunks/s | peak RSS MB |',
      '|---|---|---|',
      ...Object.entries(sideBySide).map(([name, value]) => `| ${name} | ${(value as { chunksPerSecond: number }).chunksPerSecond} | ${(value as { peakRssMb: number }).peakRssMb} |`),
      '',
      `Throughput ratios: default / MiniLM, both through the pipeline: ${ratios.defaultVsMiniLmPipeline}×; default pipeline / MiniLM main-thread batch 1 (how Continue runs it): ${ratios.defaultVsMiniLmMainThreadBatch1}×; the two models alone on the same 400 texts, main thread, batch 1: ${ratios.defaultVsMiniLmSameTextsBatch1}×.`,
      ...throughput.lines,
      ...syntheticTree.lines,
      '',
      '| goal | met? | figure |',
      '|---|---|---|',
      ...goals.map(([goal, met, figure]) => `| ${goal} | ${met ? 'met' : 'not met'} | ${figure} |`),
    ].join('\n');
    mkdirSync(values.out!, { recursive: true });
    const stamp = report.date.replace(/[:.]/g, '-');
    const full = { ...report, goals: goals.map(([goal, met, figure]) => ({ goal, met, figure })) };
    writeFileSync(join(values.out!, `speed-${stamp}.json`), `${JSON.stringify(full, null, 2)}\n`);
    writeFileSync(join(values.out!, 'speed-latest.json'), `${JSON.stringify(full, null, 2)}\n`);
    writeFileSync(join(values.out!, 'speed-latest.md'), `${md}\n`);
    console.log(md);
    await runApiSpeed({ corpus: values.corpus!, cache, model: values.model, out: values.out!, appendTo: join(values.out!, 'speed-latest.md'), log });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The cold CLI search and the warm query latency on an existing index, with their goal rows (issue 12, goal 6). */
function searchOnly(corpus: string, cache: string, modelArgs: string[]): void {
  const log = (message: string) => process.stderr.write(`speed: ${message}\n`);
  const work = join(tmpdir(), `codegraph-speed-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const queryFile = join(work, 'queries.json');
    writeFileSync(queryFile, JSON.stringify([...QUERIES, ...QUERIES, ...QUERIES, ...QUERIES]));
    // One search first, so that an index built by an earlier version has its vector file (built once, on first open).
    child(['cli-search', '--root', corpus, '--cache', cache, ...modelArgs]);
    const realQueries = child(['query-real', '--root', corpus, '--cache', cache, '--queries', queryFile, ...modelArgs]);
    const searches = Array.from({ length: 5 }, () => child(['cli-search', '--root', corpus, '--cache', cache, ...modelArgs])['ms'] as number);
    const chunks = realQueries['chunks'] as number;
    const latencies = latency(realQueries['latencies'] as number[]);
    const fts5 = latency(realQueries['ftsLatencies'] as number[]);
    const cli = stats(searches);
    log(`cold CLI search ${cli.median} ms, warm query p95 ${latencies.p95} ms at ${chunks} chunks`);
    const md = [
      `Search rows only (--only search) on ${cache}: ${chunks} chunks. Machine: ${cpus()[0]?.model}, ${cpus().length} cores, Node ${process.version}.`,
      '',
      '| measure | result |',
      '|---|---|',
      `| one-off \`codegraph search\` (process start to printed results) | median ${cli.median} ms (${cli.min}–${cli.max}) over ${cli.runs} runs |`,
      `| query (hybrid, real index, engine API, ${chunks} chunks), session after \`warmUp\` (BM25 in memory) | p50 ${latencies.p50} ms, p95 ${latencies.p95} ms, max ${latencies.max} ms over ${latencies.samples} queries; warm-up ${realQueries['warmUpMs']} ms, peak RSS ${realQueries['peakRssMb']} MB |`,
      `| the same queries before \`warmUp\` (BM25 from the cache's lexical segments, as a one-off search) | p50 ${fts5.p50} ms, p95 ${fts5.p95} ms, max ${fts5.max} ms |`,
      '',
      '| goal | met? | figure |',
      '|---|---|---|',
      `| cold CLI search < 0.5 s (process start to printed results) | ${cli.median < 500 ? 'met' : 'not met'} | ${cli.median} ms at ${chunks} chunks |`,
      `| warm query p95 < 10 ms (hybrid, real index, engine API) | ${latencies.p95 < 10 ? 'met' : 'not met'} | ${latencies.p95} ms at ${chunks} chunks |`,
    ].join('\n');
    console.log(md);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
