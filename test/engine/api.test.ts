import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeEmbedder, CodeGraph, cosine, EngineMetrics, isCodeGraphError, prometheusText, type FilesIndexedEvent, type ModelDegradedEvent } from '../../engine/index.js';
import { defaultGrammarsDir } from '../../engine/config/paths.js';
import { WorkerPool } from '../../engine/pool/pool.js';
import { copyFixtureWorkspace, tempDir, TINY_MODEL } from '../helpers.js';

const RATE_LIMITER = `def acquire(self, tokens):\n    """Take tokens from the bucket, refilling it by elapsed time."""\n    now = time.monotonic()\n    self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)\n    self.updated = now\n    if self.tokens < tokens:\n        return False\n    self.tokens -= tokens\n    return True\n`;

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isCodeGraphError(error), `expected a CodeGraphError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('engine library API: embedding', () => {
  const workspace = copyFixtureWorkspace();
  let graph: CodeGraph;

  before(async () => {
    graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1 });
  });
  after(async () => {
    await graph.dispose();
    workspace.cleanup();
  });

  it('reports the model id and dimension', () => {
    assert.match(graph.modelId ?? '', /^codegraph-tiny-test@[0-9a-f]{12}$/);
    assert.equal(graph.dimension, 32);
  });

  it('embeds code before any index exists, as unit vectors of the model dimension', async () => {
    const vector = await graph.embedCode(RATE_LIMITER, 'python');
    assert.ok(vector instanceof Float32Array);
    assert.equal(vector.length, 32);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-4);
    assert.equal((await graph.status()).counts.chunks, 0);
  });

  it('gives a chunk the same vector the index stored for it (int8 at rest)', async () => {
    await graph.index();
    const hits = await graph.search('token bucket rate limiter', { limit: 1 });
    const records = await graph.store.chunkAt(hits[0]!.path, hits[0]!.startLine);
    assert.ok(records, 'the hit has a stored chunk');
    const stored = await graph.store.vectorsFor(graph.modelId!, [records.contentHash]);
    const blob = stored.get(records.contentHash)!;
    const scale = blob.readFloatLE(0);
    const storedVector = Float32Array.from(new Int8Array(blob.buffer, blob.byteOffset + 4, blob.byteLength - 4), (value) => value * scale);
    const fresh = await graph.embedCode(records.text, records.language);
    assert.ok(cosine(fresh, storedVector) > 0.999, `cosine ${cosine(fresh, storedVector)}`);
  });

  it('embeds queries on the query side, through the query cache, returning copies', async () => {
    const first = await graph.embedQuery('rate limiter');
    first.fill(0);
    const second = await graph.embedQuery('rate limiter');
    assert.ok(Math.hypot(...second) > 0.99, 'a caller changing its vector does not change the cache');
    assert.ok(graph.metrics().queryCacheHitRatio > 0);
  });

  it('scores similar code above unrelated code', async () => {
    const renamed = RATE_LIMITER.replace(/tokens/g, 'permits');
    const close = await graph.similarity(RATE_LIMITER, renamed, 'python');
    const far = await graph.similarity(RATE_LIMITER, 'SELECT name, email FROM users WHERE created_at > NOW() - INTERVAL 1 DAY', 'sql');
    assert.ok(close > far, `${close} > ${far}`);
    assert.ok(close <= 1 + 1e-6 && far >= -1 - 1e-6);
    const vector = await graph.embedCode(RATE_LIMITER, 'python');
    assert.ok(Math.abs((await graph.similarity(vector, RATE_LIMITER, 'python')) - 1) < 1e-5);
  });

  it('embeds a batch on the worker pool, in input order, with the flags of each input', async () => {
    const inputs = [
      { code: RATE_LIMITER, language: 'python' },
      'plain text about caches',
      { code: 'fn main() { println!("hi"); }', language: 'klingon' },
      { code: 'how do I limit the request rate', role: 'query' as const },
    ];
    const results = await graph.embedBatch(inputs);
    assert.equal(results.length, 4);
    assert.deepEqual(results.map((result) => [result.language, result.languageFallback, result.role]), [
      ['python', false, 'document'],
      ['text', false, 'document'],
      ['text', true, 'document'],
      ['text', false, 'query'],
    ]);
    // The pool's vectors are the main thread's vectors.
    assert.ok(cosine(results[0]!.vector, await graph.embedCode(RATE_LIMITER, 'python')) > 0.9999);
    assert.ok(cosine(results[3]!.vector, await graph.embedQuery('how do I limit the request rate')) > 0.9999);
    assert.deepEqual(await graph.embedBatch([]), []);
  });

  it('reports truncation of a 10 MB string instead of failing', async () => {
    const huge = 'def f():\n    return 1\n'.repeat(Math.ceil((10 * 1024 * 1024) / 22));
    const started = performance.now();
    const result = await graph.embed({ code: huge, language: 'python' });
    assert.equal(result.truncated, true);
    assert.equal(result.vector.length, 32);
    assert.ok(performance.now() - started < 30_000);
    const [batched] = await graph.embedBatch([huge]);
    assert.equal(batched!.truncated, true);
    assert.equal((await graph.embed(RATE_LIMITER)).truncated, false);
  });

  it('rejects empty and non-string input with a clear typed error, and counts it', async () => {
    const before = graph.metrics().errors;
    await rejectsWith(graph.embedCode(''), 'INVALID_INPUT', /Nothing to embed: input\.code is empty/);
    await rejectsWith(graph.embedQuery('   \n'), 'INVALID_INPUT', /only whitespace/);
    await rejectsWith(graph.embedBatch(['ok', '']), 'INVALID_INPUT', /inputs\[1\]\.code is empty/);
    await rejectsWith(graph.embedCode(42 as unknown as string), 'INVALID_INPUT', /must be a string, got number/);
    await rejectsWith(graph.similarity(new Float32Array(3), new Float32Array(4)), 'INVALID_INPUT', /3 and 4 dimensions/);
    const metrics = graph.metrics();
    assert.equal(metrics.errors, before + 5);
    assert.equal(metrics.errorsByCode['INVALID_INPUT'], 5);
  });
});

describe('engine library API: warm-up of a session', () => {
  const workspace = copyFixtureWorkspace();
  after(() => workspace.cleanup());
  const open = (logs: string[]) => CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 2 }, { log: (line) => logs.push(line) });
  const warmUpFailures = (logs: string[]) => logs.filter((line) => /ahead of the first edit/.test(line));

  before(async () => {
    const graph = await open([]);
    await graph.index();
    await graph.dispose();
  });

  it('has every worker load the grammars of the languages asked for and the model', async () => {
    const pool = new WorkerPool({ grammarsDir: defaultGrammarsDir(), modelDir: TINY_MODEL, device: 'cpu', dimensions: 0, maxBatchSize: 8, maxFileBytes: 1 << 20 }, { size: 2 });
    try {
      const reports = await pool.warmUp(['python', 'go', 'no-such-language']);
      assert.equal(reports.length, 2);
      for (const report of reports) assert.deepEqual(report, { kind: 'warm-up', grammars: ['python', 'go'], model: true });
    } finally {
      await pool.close();
    }
  });

  it('loads a session ahead of its first edit, which is then indexed and found', async () => {
    const logs: string[] = [];
    const graph = await open(logs);
    try {
      await graph.warmUp();
      assert.deepEqual(warmUpFailures(logs), []);
      // Its own searches (which compile the search path) are not the user's: not counted, not in the query cache.
      const metrics = graph.metrics();
      assert.equal(metrics.searches, 0);
      assert.equal(metrics.queryCacheHitRatio, 1, 'no query looked up yet');
      const path = join(workspace.root, 'python', 'warmed.py');
      writeFileSync(path, 'def zq_warmed_marker(value):\n    return value + 1\n');
      await graph.index({ paths: ['python/warmed.py'] });
      const hits = await graph.search('zq_warmed_marker', { mode: 'lexical', limit: 1 });
      assert.equal(hits[0]?.path, 'python/warmed.py');
    } finally {
      await graph.dispose();
    }
  });

  it('is cut short by dispose without a failure message', async () => {
    const logs: string[] = [];
    const graph = await open(logs);
    const warming = graph.warmUp();
    await graph.dispose();
    await warming;
    assert.deepEqual(warmUpFailures(logs), []);
  });
});

describe('engine library API: without an index', () => {
  it('embeds with CodeEmbedder and creates no cache file', async () => {
    const home = tempDir();
    const previous = process.env['CODEGRAPH_CACHE_HOME'];
    process.env['CODEGRAPH_CACHE_HOME'] = home.path;
    const embedder = await CodeEmbedder.open({ modelDir: TINY_MODEL, workers: 1 });
    try {
      const vector = await embedder.embedCode(RATE_LIMITER, 'python');
      assert.equal(vector.length, embedder.dimension);
      const [batched] = await embedder.embedBatch([{ code: RATE_LIMITER, language: 'python' }]);
      assert.ok(cosine(vector, batched!.vector) > 0.9999);
      assert.equal(embedder.metricsSnapshot().embeds, 2);
    } finally {
      await embedder.dispose();
      if (previous === undefined) delete process.env['CODEGRAPH_CACHE_HOME'];
      else process.env['CODEGRAPH_CACHE_HOME'] = previous;
    }
    assert.deepEqual(readdirSync(home.path), []);
    home.cleanup();
  });

  it('a lexical-only engine refuses to embed with a model error', async () => {
    const workspace = copyFixtureWorkspace();
    const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: null, workers: 1 });
    try {
      assert.equal(graph.dimension, null);
      await rejectsWith(graph.embedCode('x = 1'), 'MODEL_LOAD', /No embedding model is loaded/);
    } finally {
      await graph.dispose();
      workspace.cleanup();
    }
  });
});

describe('engine library API: events and metrics', () => {
  const workspace = copyFixtureWorkspace();
  let graph: CodeGraph;

  before(async () => {
    graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1 });
  });
  after(async () => {
    await graph.dispose();
    workspace.cleanup();
  });

  it('emits file-indexed, batch-committed and index-settled with paths and counts', async () => {
    const indexed: FilesIndexedEvent[] = [];
    const stop = graph.events.on('file-indexed', (event) => indexed.push(event));
    let batches = 0;
    graph.events.on('batch-committed', () => batches++);
    const settled = graph.events.once('index-settled');
    const summary = await graph.index();
    stop();
    const paths = indexed.flatMap((event) => event.paths);
    assert.equal(paths.length, summary.filesChanged);
    assert.ok(paths.includes('python/rate_limiter.py'));
    assert.equal(indexed.reduce((sum, event) => sum + event.chunks, 0), summary.chunksTotal);
    assert.ok(batches >= 1);
    assert.equal((await settled).summary, summary);
  });

  it('emits file-removed for a deleted file, and streams events as an async iterator', async () => {
    const controller = new AbortController();
    const seen: string[][] = [];
    const reader = (async () => {
      for await (const event of graph.events.stream('file-removed', controller.signal)) {
        seen.push([...event.paths]);
        controller.abort();
      }
    })();
    unlinkSync(join(workspace.root, 'go', 'router.go'));
    await graph.index({ paths: ['go/router.go'] });
    await reader;
    assert.deepEqual(seen, [['go/router.go']]);
  });

  it('keeps indexing when a listener throws, and counts the failure', async () => {
    const before = graph.metrics().errors;
    const stop = graph.events.on('batch-committed', () => {
      throw new Error('listener bug');
    });
    writeFileSync(join(workspace.root, 'python', 'extra.py'), 'def extra():\n    return 2\n');
    const summary = await graph.index({ paths: ['python/extra.py'] });
    stop();
    assert.equal(summary.filesChanged, 1);
    assert.equal(graph.metrics().errors, before + 1);
  });

  it('counts failed operations in EngineMetrics.counters.errors', async () => {
    const before = graph.metrics().errors;
    await assert.rejects(graph.similar('no/such/file.py', 1));
    assert.equal(graph.metrics().errors, before + 1);
    assert.equal((await graph.status()).metrics.errors, before + 1);
  });

  it('records search, embed and index-batch latencies and renders them for Prometheus', async () => {
    await graph.search('dijkstra shortest path');
    await graph.embedCode('x = 1', 'python');
    const metrics = graph.metrics();
    assert.ok(metrics.searchLatencyMs.count >= 1);
    assert.ok(metrics.embedLatencyMs.count >= 1);
    assert.ok(metrics.indexBatchLatencyMs.count >= 1);
    assert.ok(metrics.memory.rssMb > 0);
    const text = await graph.prometheusMetrics();
    assert.match(text, /^# TYPE codegraph_search_latency_ms histogram$/m);
    assert.match(text, /^codegraph_search_latency_ms_count [1-9]\d*$/m);
    assert.match(text, /^codegraph_index_batch_latency_ms_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    assert.match(text, /^codegraph_errors_total\{code="NOT_FOUND"\} 1$/m);
    assert.match(text, /^codegraph_index_files 14$/m);
    // Rendering again neither duplicates metrics nor double-counts.
    const again = await graph.prometheusMetrics();
    assert.equal(again.match(/^# TYPE codegraph_errors_total counter$/gm)!.length, 1);
    assert.match(again, /^codegraph_errors_total\{code="NOT_FOUND"\} 1$/m);
  });
});

describe('Prometheus rendering', () => {
  it('renders every recorded latency in cumulative buckets with the exact sum and count', async () => {
    const metrics = new EngineMetrics();
    for (const ms of [0.3, 3, 3, 70_000]) metrics.searchLatency.record(ms);
    metrics.recordError(new Error('x'));
    const text = await prometheusText(metrics, { files: 0, chunks: 0, vectors: 0, cacheBytes: 0, hybrid: false, lastIndexedAt: null });
    assert.match(text, /^codegraph_search_latency_ms_bucket\{le="0\.25"\} 0$/m);
    assert.match(text, /^codegraph_search_latency_ms_bucket\{le="0\.5"\} 1$/m);
    assert.match(text, /^codegraph_search_latency_ms_bucket\{le="5"\} 3$/m);
    assert.match(text, /^codegraph_search_latency_ms_bucket\{le="60000"\} 3$/m);
    assert.match(text, /^codegraph_search_latency_ms_bucket\{le="\+Inf"\} 4$/m);
    assert.match(text, /^codegraph_search_latency_ms_sum 70006\.3$/m);
    assert.match(text, /^codegraph_search_latency_ms_count 4$/m);
    assert.match(text, /^codegraph_errors_total\{code="Error"\} 1$/m);
    assert.match(text, /^codegraph_search_hybrid 0$/m);
  });

  it('is not loaded with the engine (prom-client is required on first rendering)', () => {
    // This process rendered above; a fresh one shows that loading the engine alone does not load prom-client.
    const probe = `require(${JSON.stringify(join(__dirname, '..', '..', 'engine', 'index.js'))}); console.log(Object.keys(require.cache).some((p) => p.includes('/prom-client/')))`;
    assert.equal(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim(), 'false');
  });
});

/** A copy of the tiny model that loads but fails at inference: every word id is past the embedding table. */
function failingModel(dir: string): string {
  cpSync(TINY_MODEL, dir, { recursive: true });
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  for (const token of Object.keys(tokenizer.model.vocab)) if (!token.startsWith('[')) tokenizer.model.vocab[token]! += 1_000_000;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const manifest = JSON.parse(readFileSync(join(dir, 'codegraph-model.json'), 'utf8')) as { id: string };
  writeFileSync(join(dir, 'codegraph-model.json'), JSON.stringify({ ...manifest, id: 'failing-model-test' }));
  return dir;
}

describe('engine library API: model-degraded event', () => {
  it('steps down the recovery chain after three failed embeddings in a row, as for searches', async () => {
    const workspace = copyFixtureWorkspace();
    const failing = failingModel(join(workspace.cache, '..', 'failing-model'));
    const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: failing, workers: 1 }, { onModelError: 'fallback', fallbackModelDir: TINY_MODEL });
    try {
      const events: ModelDegradedEvent[] = [];
      graph.events.on('model-degraded', (event) => events.push(event));
      for (let attempt = 1; attempt <= 3; attempt++) {
        await rejectsWith(graph.embedCode('x = 1'), 'INFERENCE', /Inference failed/);
        assert.equal(events.length, attempt < 3 ? 0 : 1, `after failure ${attempt}`);
      }
      assert.match(events[0]!.reason, /embedding kept failing/);
      assert.match(events[0]!.to ?? '', /^codegraph-tiny-test@/);
      assert.equal((await graph.embedCode('x = 1')).length, 32);
      assert.match((await graph.status()).modelId ?? '', /^codegraph-tiny-test@/);
    } finally {
      await graph.dispose();
      workspace.cleanup();
    }
  });

  it('announces the step down the recovery chain, and embedding then uses the model that serves', async () => {
    const workspace = copyFixtureWorkspace();
    const failing = failingModel(join(workspace.cache, '..', 'failing-model'));
    const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: failing, workers: 1 }, { onModelError: 'fallback', fallbackModelDir: TINY_MODEL });
    try {
      const events: ModelDegradedEvent[] = [];
      graph.events.on('model-degraded', (event) => events.push(event));
      await rejectsWith(graph.embedCode('x = 1'), 'INFERENCE', /Inference failed/);
      await graph.index();
      assert.equal(events.length, 1);
      assert.match(events[0]!.from, /^failing-model-test@/);
      assert.match(events[0]!.to ?? '', /^codegraph-tiny-test@/);
      assert.match(events[0]!.reason, /inference kept failing/);
      assert.equal(events[0]!.serviceLevel, 'hybrid');
      assert.equal((await graph.embedCode('x = 1')).length, 32);
      assert.ok(graph.metrics().errorsByCode['INFERENCE']! >= 1);
    } finally {
      await graph.dispose();
      workspace.cleanup();
    }
  });
});

describe('package entry', () => {
  it('declares the engine entry with types in package.json exports', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    const entry = manifest.exports['.']!;
    const root = join(__dirname, '..', '..', '..');
    assert.ok(existsSync(join(root, entry.default)), entry.default);
    assert.ok(existsSync(join(root, entry.types)), entry.types);
    assert.match(readFileSync(join(root, entry.types), 'utf8'), /CodeEmbedder/);
  });
});

describe('engine library API: missing grammars', () => {
  it('says which languages fall back to line windows when their grammar files are missing, and still indexes them', async () => {
    const workspace = copyFixtureWorkspace();
    const emptyGrammars = tempDir();
    const logs: string[] = [];
    try {
      const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: null, workers: 1, grammarsDir: emptyGrammars.path }, { log: (message) => logs.push(message) });
      try {
        const warning = logs.find((message) => message.startsWith('No grammar for '));
        assert.ok(warning, `logs: ${logs.join(' | ')}`);
        assert.match(warning, /python/);
        assert.match(warning, /copy-grammars/);
        const summary = await graph.index();
        assert.ok(summary.filesChanged > 0 && summary.chunksAnalyzed > 0);
      } finally {
        await graph.dispose();
      }
    } finally {
      emptyGrammars.cleanup();
      workspace.cleanup();
    }
  });

  it('says nothing about grammars when every grammar file is present', async () => {
    const workspace = copyFixtureWorkspace();
    const logs: string[] = [];
    try {
      const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: null, workers: 1 }, { log: (message) => logs.push(message) });
      await graph.dispose();
      assert.equal(logs.filter((message) => message.startsWith('No grammar for ')).length, 0);
    } finally {
      workspace.cleanup();
    }
  });
});

describe('engine library API: a unique name in a secondary file', () => {
  it('finds the only chunk that contains a searched identifier first, even inside a test file', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'ws', 'tests'), { recursive: true });
      mkdirSync(join(dir.path, 'ws', 'src'), { recursive: true });
      writeFileSync(join(dir.path, 'ws', 'tests', 'test_parser.py'), 'def test_parse_header():\n    # qzmarker12token checks the header parser\n    assert parse_header("a: b") == {"a": "b"}\n');
      writeFileSync(join(dir.path, 'ws', 'src', 'marker.py'), 'def place_marker(token, at=12):\n    """Put a marker token at a position."""\n    return {"marker": token, "at": at}\n');
      const graph = await CodeGraph.open({ root: join(dir.path, 'ws'), cacheDir: join(dir.path, 'cache'), modelDir: null, workers: 1 });
      try {
        await graph.index();
        const hits = await graph.search('qzmarker12token', { limit: 2 });
        assert.equal(hits[0]?.path, 'tests/test_parser.py');
      } finally {
        await graph.dispose();
      }
    } finally {
      dir.cleanup();
    }
  });
});
