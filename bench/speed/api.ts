/**
 * Speed rows for the embedding API and the MCP server (issue 14):
 * `embedCode` latency for ~50-line functions (warm, main thread),
 * `embedBatch` throughput (worker pool: its first call, then warm), and the MCP `search` round trip
 * (SDK client over stdio to a spawned `codegraph mcp`) on the bench index.
 *
 * Called by bench/speed/run.ts after its own report, with its index; alone:
 *   node out/bench/speed/api.js [--corpus DIR] [--cache DIR] [--model M] [--out DIR]
 * (indexes the corpus into --cache first when it holds no index).
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { packageRoot } from '../../engine/config/paths.js';
import { CodeEmbedder, CodeGraph } from '../../engine/index.js';
import { resolveModelReference } from '../../engine/models/index.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { splitIdentifiersInText } from '../../engine/text/identifiers.js';
import { percentileOf } from '../quality/metrics.js';

export interface ApiSpeedOptions {
  readonly corpus: string;
  /** The index of the corpus (the cache directory holding index.sqlite). */
  readonly cache: string;
  readonly model?: string | undefined;
  readonly out: string;
  /** A report to append the rows to (bench/speed/run.ts passes its speed-latest.md). */
  readonly appendTo?: string;
  readonly log: (message: string) => void;
}

const FUNCTIONS = 200;
const WARMUP = 20;
const BATCH_TEXTS = 2000;
/** Timed warm `embedBatch` calls after the first; the median is reported. */
const BATCH_RUNS = 5;
const MCP_QUERIES = 100;

const round = (value: number) => Math.round(value * 100) / 100;
const latency = (values: number[]) => ({ p50: round(percentileOf(values, 0.5)), p95: round(percentileOf(values, 0.95)), max: round(Math.max(...values)), samples: values.length });

/** Runs the three measurements, writes speed-api-latest.{json,md} and appends the rows to speed-latest.md. */
export async function runApiSpeed(options: ApiSpeedOptions): Promise<{ report: Record<string, unknown>; rows: string[] }> {
  const { log } = options;
  const modelDir = options.model ? resolveModelReference(options.model) : undefined;
  const texts = await sampleTexts(options.cache);
  log(`api: ${texts.functions.length} functions of 45–55 lines, ${texts.batch.length} chunk texts, ${texts.queries.length} queries from the index`);

  const embedder = await CodeEmbedder.open({ ...(modelDir ? { modelDir } : {}) });
  let embedCode: ReturnType<typeof latency>;
  let batch: { texts: number; ms: number; textsPerSecond: number; runs: number; firstCallMs: number; firstCallTextsPerSecond: number; workers: number };
  try {
    for (const text of texts.functions.slice(0, WARMUP)) await embedder.embedCode(text.code, text.language);
    const samples: number[] = [];
    for (const text of texts.functions) {
      const started = performance.now();
      await embedder.embedCode(text.code, text.language);
      samples.push(performance.now() - started);
    }
    embedCode = latency(samples);
    log(`api: embedCode p50 ${embedCode.p50} ms, p95 ${embedCode.p95} ms`);
    // Start the pool (workers load the model), then time the first whole batch on its own: one
    // small call reaches one worker, so the first batch also waits for the others to warm up.
    await embedder.embedBatch(texts.batch.slice(0, 64).map((text) => ({ code: text.code, language: text.language })));
    const inputs = texts.batch.map((text) => ({ code: text.code, language: text.language }));
    const timed = async () => {
      const started = performance.now();
      const results = await embedder.embedBatch(inputs);
      return { texts: results.length, ms: performance.now() - started };
    };
    const first = await timed();
    // Then warm: every worker has run the code, as in a session that embeds more than once.
    const warm: number[] = [];
    for (let run = 0; run < BATCH_RUNS; run++) warm.push((await timed()).ms);
    const ms = percentileOf(warm, 0.5);
    batch = {
      texts: first.texts,
      ms: round(ms),
      textsPerSecond: round((first.texts / ms) * 1000),
      runs: BATCH_RUNS,
      firstCallMs: round(first.ms),
      firstCallTextsPerSecond: round((first.texts / first.ms) * 1000),
      workers: embedder.config.workers,
    };
    log(`api: embedBatch ${batch.textsPerSecond} texts/s warm, ${batch.firstCallTextsPerSecond} texts/s for the first batch`);
  } finally {
    await embedder.dispose();
  }

  const mcp = await mcpRoundTrips(options, texts.queries);
  log(`api: MCP search round trip p50 ${mcp.roundTrip.p50} ms, p95 ${mcp.roundTrip.p95} ms`);
  // The same queries in process, for the share of the round trip that is the protocol.
  const inProcess = await inProcessSearches(options, modelDir, texts.queries);
  log(`api: in-process search p50 ${inProcess.p50} ms, p95 ${inProcess.p95} ms`);

  const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverage1m: round(loadavg()[0]!) };
  const report = { kind: 'speed-api', date: new Date().toISOString(), machine, modelId: embedder.modelId, dimension: embedder.dimension, embedCode: { lines: '45-55', ...embedCode }, embedBatch: batch, mcpSearch: mcp, inProcessSearch: inProcess };
  const rows = [
    `| \`embedCode\`, one ${'~'}50-line function (45–55 lines, real chunks), warm, main thread | p50 ${embedCode.p50} ms, p95 ${embedCode.p95} ms, max ${embedCode.max} ms over ${embedCode.samples} functions |`,
    `| \`embedBatch\`, ${batch.texts} chunk texts on ${batch.workers} worker${batch.workers === 1 ? '' : 's'}, warm (median of ${batch.runs} calls) | ${batch.textsPerSecond} texts/s (${batch.ms} ms) |`,
    `| the first such call after the pool started (its other workers still warming up) | ${batch.firstCallTextsPerSecond} texts/s (${batch.firstCallMs} ms) |`,
    `| MCP \`search\` round trip (SDK client, stdio, limit 10), ${mcp.chunks} chunks | p50 ${mcp.roundTrip.p50} ms, p95 ${mcp.roundTrip.p95} ms over ${mcp.roundTrip.samples} distinct queries |`,
    `| the same queries in process (\`CodeGraph.search\`, limit 10) | p50 ${inProcess.p50} ms, p95 ${inProcess.p95} ms |`,
  ];
  const md = [`Embedding API and MCP server (bench/speed/api.ts), model ${embedder.modelId}; ${machine.cpu}, ${machine.cores} cores, load average ${machine.loadAverage1m} at the end:`, '', '| measure | result |', '|---|---|', ...rows].join('\n');
  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'speed-api-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(options.out, 'speed-api-latest.md'), `${md}\n`);
  if (options.appendTo) appendFileSync(options.appendTo, `\n${md}\n`);
  console.log(md);
  return { report, rows };
}

/** Real texts from the bench index: functions of about 50 lines, chunk texts for the batch, and identifier queries. */
async function sampleTexts(cache: string) {
  const store = await WorkspaceStore.open(join(cache, 'index.sqlite'));
  try {
    const files = await store.files();
    const functions: { code: string; language: string }[] = [];
    const batch: { code: string; language: string }[] = [];
    const queries: string[] = [];
    const seenQueries = new Set<string>();
    // Every k-th file, so the sample spreads over the corpus's languages; deterministic.
    const paths = [...files.keys()].sort();
    const step = Math.max(1, Math.floor(paths.length / 2000));
    for (let index = 0; index < paths.length && (functions.length < FUNCTIONS || batch.length < BATCH_TEXTS || queries.length < MCP_QUERIES); index += step) {
      for (const chunk of await store.chunksOfFile(paths[index]!)) {
        const lines = chunk.endLine - chunk.startLine + 1;
        if (functions.length < FUNCTIONS && lines >= 45 && lines <= 55 && (chunk.kind === 'function' || chunk.kind === 'method')) functions.push({ code: chunk.text, language: chunk.language });
        if (batch.length < BATCH_TEXTS) batch.push({ code: chunk.text, language: chunk.language });
        const query = chunk.symbol ? splitIdentifiersInText(chunk.symbol).toLowerCase() : '';
        if (queries.length < MCP_QUERIES && query.includes(' ') && !seenQueries.has(query)) {
          seenQueries.add(query);
          queries.push(query);
        }
      }
    }
    if (functions.length < WARMUP + 10) throw new Error(`Only ${functions.length} functions of 45–55 lines in the index at ${cache}`);
    return { functions, batch, queries };
  } finally {
    await store.close();
  }
}

async function mcpRoundTrips(options: ApiSpeedOptions, queries: readonly string[]) {
  const args = [join(packageRoot(), 'bin', 'codegraph.js'), 'mcp', '--dir', options.corpus, '--cache', options.cache, ...(options.model ? ['--model', options.model] : [])];
  const transport = new StdioClientTransport({ command: process.execPath, args, stderr: 'ignore' });
  const client = new Client({ name: 'codegraph-bench', version: '1.0.0' });
  await client.connect(transport);
  try {
    // Time searches on a settled index: wait for the server's first (incremental) index run.
    let structuredContent: CallToolResult['structuredContent'];
    for (;;) {
      ({ structuredContent } = (await client.callTool({ name: 'index_status', arguments: {} })) as CallToolResult);
      if (!(structuredContent as { stale: boolean }).stale) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const warm = (await client.callTool({ name: 'search', arguments: { query: 'warm up', limit: 1 } })) as CallToolResult;
    if (warm.isError) throw new Error(`MCP search failed: ${JSON.stringify(warm.content)}`);
    const samples: number[] = [];
    for (const query of queries) {
      const started = performance.now();
      const result = (await client.callTool({ name: 'search', arguments: { query, limit: 10 } })) as CallToolResult;
      samples.push(performance.now() - started);
      if (result.isError) throw new Error(`MCP search '${query}' failed: ${JSON.stringify(result.content)}`);
    }
    return { chunks: (structuredContent as { chunks: number }).chunks, roundTrip: latency(samples) };
  } finally {
    await client.close();
  }
}

async function inProcessSearches(options: ApiSpeedOptions, modelDir: string | undefined, queries: readonly string[]) {
  const graph = await CodeGraph.open({ root: options.corpus, cacheDir: options.cache, ...(modelDir ? { modelDir } : {}) });
  try {
    await graph.search('warm up', { limit: 1 });
    const samples: number[] = [];
    for (const query of queries) {
      const started = performance.now();
      await graph.search(query, { limit: 10 });
      samples.push(performance.now() - started);
    }
    return latency(samples);
  } finally {
    await graph.dispose();
  }
}

async function main(): Promise<void> {
  const root = packageRoot();
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: process.env['CODEGRAPH_SPEED_CORPUS'] ?? join(homedir(), '.cache', 'codegraph', 'speed-corpus') },
      cache: { type: 'string', default: join(tmpdir(), 'codegraph-speed-api-index') },
      model: { type: 'string' },
      out: { type: 'string', default: join(root, 'bench-results') },
    },
  });
  const log = (message: string) => process.stderr.write(`speed: ${message}\n`);
  if (!existsSync(join(values.cache!, 'index.sqlite'))) {
    log(`indexing ${values.corpus} into ${values.cache} first`);
    const graph = await CodeGraph.open({ root: values.corpus!, cacheDir: values.cache!, ...(values.model ? { modelDir: resolveModelReference(values.model) } : {}) });
    try {
      const summary = await graph.index();
      log(`indexed ${summary.filesChanged} files, ${summary.chunksTotal} chunks in ${Math.round(summary.durationMs)} ms`);
    } finally {
      await graph.dispose();
    }
  }
  await runApiSpeed({ corpus: values.corpus!, cache: values.cache!, model: values.model, out: values.out!, log });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
