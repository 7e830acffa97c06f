/**
 * Recovery from a damaged cache and from a broken model, with the faults made
 * for real: a truncated or garbage SQLite file, a garbage or missing ONNX
 * file, and a model whose inference fails (its tokenizer
 * emits ids past the embedding table, so every text fails: in ONNX Runtime's Gather node, or in the
 * TypeScript bag-of-words path's vocabulary check).
 * The chain is configured model → default model → lexical-only.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodeGraph, type OpenOptions } from '../../engine/codegraph.js';
import { defaultModelDir } from '../../engine/config/paths.js';
import { ModelLoadError } from '../../engine/errors.js';
import { copyFixtureWorkspace, defaultModelId, TINY_MODEL } from '../helpers.js';
import { runCli } from './engineProbe.js';
import { recordFault } from './faultRecord.js';

const workspace = copyFixtureWorkspace();
after(() => workspace.cleanup());
const models = join(workspace.cache, '..', 'models');
mkdirSync(models, { recursive: true });

/** A copy of the tiny model with its ONNX file replaced by garbage. */
function corruptModel(name: string): string {
  const dir = join(models, name);
  cpSync(TINY_MODEL, dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), Buffer.from('this is not an ONNX protobuf, just bytes '.repeat(50)));
  return dir;
}

/** A copy of the tiny model that loads but fails at inference: every word id is past the embedding table. */
function failingInferenceModel(name: string): string {
  const dir = join(models, name);
  cpSync(TINY_MODEL, dir, { recursive: true });
  const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  for (const token of Object.keys(tokenizer.model.vocab)) if (!token.startsWith('[')) tokenizer.model.vocab[token]! += 1_000_000;
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const manifest = JSON.parse(readFileSync(join(dir, 'codegraph-model.json'), 'utf8')) as { id: string };
  writeFileSync(join(dir, 'codegraph-model.json'), JSON.stringify({ ...manifest, id: `${name}-test` }));
  return dir;
}

async function withGraph<T>(cache: string, modelDir: string, options: OpenOptions, work: (graph: CodeGraph, logs: string[]) => Promise<T>, batchFiles = 512): Promise<T> {
  const logs: string[] = [];
  const graph = await CodeGraph.open({ root: workspace.root, cacheDir: join(workspace.cache, cache), modelDir, workers: 1, batchFiles }, { ...options, log: (line) => logs.push(line) });
  try {
    return await work(graph, logs);
  } finally {
    await graph.dispose();
  }
}

const topPath = async (graph: CodeGraph, query: string) => (await graph.search(query, { limit: 3 }))[0]?.path;

describe('a damaged index cache', () => {
  for (const damage of ['truncated', 'garbage'] as const) {
    it(`detects a ${damage} cache file, moves it aside, rebuilds, and says so once`, async () => {
      const cache = `cache-${damage}`;
      const file = join(workspace.cache, cache, 'index.sqlite');
      if (damage === 'truncated') {
        await withGraph(cache, TINY_MODEL, {}, (graph) => graph.index());
        const size = statSync(file).size;
        assert.ok(!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size === 0, 'closed cleanly, so the truncation is the only damage');
        truncateSync(file, Math.floor(size / 3));
      } else {
        mkdirSync(join(workspace.cache, cache), { recursive: true });
        writeFileSync(file, Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 251)));
      }
      await withGraph(cache, TINY_MODEL, {}, async (graph, logs) => {
        const status = await graph.status();
        assert.match(status.recoveredFromCorruption ?? '', /corrupt and has been rebuilt; the damaged file was moved to .*index\.sqlite\.corrupt-\d+/);
        assert.equal(logs.filter((line) => /corrupt/i.test(line)).length, 1, 'one message');
        assert.ok(readdirSync(join(workspace.cache, cache)).some((name) => /^index\.sqlite\.corrupt-\d+$/.test(name)));
        const summary = await graph.index();
        assert.equal(summary.filesChanged, summary.filesDiscovered);
        assert.equal(await topPath(graph, 'token bucket rate limiter'), 'python/rate_limiter.py');
        assert.deepEqual(await graph.store.integrityCheck(), []);
        recordFault({
          fault: `cache-${damage}`,
          description: damage === 'truncated' ? 'A built index.sqlite cut to a third of its size' : 'index.sqlite replaced by 64 KiB of non-SQLite bytes',
          trials: 1,
          survived: 1,
          lost: 'the index (rebuilt from the sources on open; the damaged file is kept beside it)',
          details: { message: status.recoveredFromCorruption, rebuiltFiles: summary.filesChanged },
        });
      });
    });
  }
});

describe('the model recovery chain', () => {
  it('opens on the bundled default model when the configured model file is corrupt, and records why', async () => {
    const broken = corruptModel('corrupt-onnx');
    await withGraph('model-corrupt', broken, { onModelError: 'fallback' }, async (graph, logs) => {
      const status = await graph.status();
      assert.equal(status.serviceLevel, 'hybrid');
      assert.ok(status.modelId?.startsWith(`${defaultModelId()}@`), status.modelId ?? 'no model');
      assert.equal(status.modelError, null);
      assert.equal(status.modelFallback?.requested, broken);
      assert.equal(status.modelFallback?.active, defaultModelDir());
      assert.match(status.modelFallback?.reason ?? '', /Cannot load ONNX model .*corrupt-onnx/);
      assert.ok(logs.some((line) => /Using the default model/.test(line)));
      await graph.index();
      assert.equal(await topPath(graph, 'token bucket rate limiter'), 'python/rate_limiter.py');

      // The CLI's status shows the same level.
      const cli = runCli(['status', '--dir', workspace.root, '--cache', join(workspace.cache, 'model-corrupt'), '--model', broken]);
      assert.equal(cli.status, 0, cli.stderr);
      assert.match(cli.stdout, /Search: {4}hybrid \(fallback: default model codegraph-[\w-]+@[0-9a-f]+ instead of .*corrupt-onnx: Cannot load ONNX model/);
      recordFault({
        fault: 'model-corrupt',
        description: "The configured model's model.onnx replaced by garbage",
        trials: 1,
        survived: 1,
        lost: 'nothing: search runs on the bundled default model, and status says so',
        details: { modelFallback: status.modelFallback, cliStatusLine: cli.stdout.split('\n').find((line) => line.startsWith('Search:')) },
      });
    });
  });

  it('goes lexical-only when the default model is broken too, and still answers from BM25', async () => {
    const broken = corruptModel('corrupt-onnx-2');
    const brokenDefault = corruptModel('corrupt-default');
    await withGraph('model-chain-exhausted', broken, { onModelError: 'fallback', fallbackModelDir: brokenDefault }, async (graph) => {
      const status = await graph.status();
      assert.equal(status.serviceLevel, 'lexical-only');
      assert.equal(status.modelId, null);
      assert.equal(status.modelFallback?.active, null);
      assert.match(status.modelError ?? '', /corrupt-onnx-2.*; the default model .*corrupt-default failed too/);
      await graph.index();
      assert.equal(await topPath(graph, 'token bucket rate limiter'), 'python/rate_limiter.py');
    });
  });

  it('throws a model-load error that says what to do for a missing model, in the CLI mode', async () => {
    const missing = join(models, 'not-there');
    await assert.rejects(
      CodeGraph.open({ root: workspace.root, cacheDir: join(workspace.cache, 'model-missing'), modelDir: missing }, { onModelError: 'throw' }),
      (error: unknown) => error instanceof ModelLoadError && /Model directory not found/.test(error.message) && /omit it to use the bundled default model/.test(String(error.details['hint'])),
    );
    const cli = runCli(['search', 'token bucket', '--dir', workspace.root, '--cache', join(workspace.cache, 'model-missing'), '--model', missing]);
    assert.equal(cli.status, 5);
    assert.match(cli.stderr, /Model directory not found: .*not-there\n {2}hint: Check the model setting, or omit it to use the bundled default model\./);
    recordFault({
      fault: 'model-missing',
      description: 'The configured model directory does not exist',
      trials: 1,
      survived: 1,
      lost: 'nothing: the CLI exits 5 and its hint says what to do; an engine opened with onModelError "fallback" uses the default model instead',
      details: { cliStderr: cli.stderr.trim() },
    });
  });

  it('retries failing inference with backoff, then opens the circuit and steps down to the default model, then to lexical-only, at index and at query time', async () => {
    const failing = failingInferenceModel('failing-inference');
    const started = performance.now();
    const toDefault = await withGraph('inference-to-default', failing, { onModelError: 'fallback', fallbackModelDir: TINY_MODEL }, async (graph, logs) => {
      assert.match((await graph.status()).modelId ?? '', /^failing-inference-test@/, 'the model loads; it fails only when run');
      const summary = await graph.index();
      const status = await graph.status();
      assert.equal(status.serviceLevel, 'hybrid');
      assert.match(status.modelId ?? '', /^codegraph-tiny-test@/);
      assert.equal(status.modelFallback?.active, TINY_MODEL);
      assert.match(status.modelFallback?.reason ?? '', /inference kept failing: .*(Gather|outside the vocabulary)/);
      assert.ok(logs.some((line) => /Inference failed 3 times in a row/.test(line)), logs.join('\n'));
      assert.equal(summary.chunksEmbedded, status.counts.chunks, 'every chunk embedded by the default model');
      assert.equal(status.counts.vectors, status.counts.vectorsForModel);
      assert.equal(await topPath(graph, 'token bucket rate limiter'), 'python/rate_limiter.py');
      return { reason: status.modelFallback?.reason };
      // Small batches: the failure strikes while the next batch is still being analysed.
    }, 4);
    // Three attempts with 100 ms and 200 ms backoff happened before the switch.
    assert.ok(performance.now() - started >= 300);

    const failingDefault = failingInferenceModel('failing-default');
    const toLexical = await withGraph('inference-to-lexical', failing, { onModelError: 'fallback', fallbackModelDir: failingDefault }, async (graph) => {
      await graph.index();
      const status = await graph.status();
      assert.equal(status.serviceLevel, 'lexical-only');
      assert.equal(status.modelFallback?.active, null);
      assert.match(status.modelError ?? '', /inference kept failing/);
      assert.equal(status.counts.files, 14);
      assert.equal(await topPath(graph, 'token bucket rate limiter'), 'python/rate_limiter.py');
      return { reason: status.modelError };
    });
    // At query time: each failed query embedding is answered from BM25, and the third in a row steps down the chain.
    await withGraph('inference-at-query', TINY_MODEL, {}, (graph) => graph.index());
    const atQuery = await withGraph('inference-at-query', failing, { onModelError: 'fallback', fallbackModelDir: TINY_MODEL }, async (graph) => {
      for (let query = 1; query <= 3; query++) {
        assert.equal(await topPath(graph, 'token bucket rate limiter'), 'python/rate_limiter.py', `query ${query}`);
        assert.equal((await graph.status()).modelFallback?.active ?? null, query < 3 ? null : TINY_MODEL);
      }
      const status = await graph.status();
      assert.match(status.modelFallback?.reason ?? '', /query inference kept failing: .*(Gather|outside the vocabulary)/);
      assert.ok((await graph.search('token bucket rate limiter', { mode: 'dense', limit: 3 })).length > 0, 'dense search works again, on the default model');
      return { reason: status.modelFallback?.reason };
    });
    recordFault({
      fault: 'inference-failure',
      description: 'A model that loads but fails in onnxruntime on every text (tokenizer ids past the embedding table): retried with exponential backoff until the circuit opens',
      trials: 3,
      survived: 3,
      lost: 'nothing: the index is rebuilt on the default model; with the default failing too, search is lexical-only and says so; failed query embeddings are answered from BM25',
      details: { toDefault, toLexical, atQuery },
    });
  });
});
