/**
 * Manifests that disagree with their graph, and manifest edits under the same
 * model id: a `dimension` the graph does not produce, a `maxTokens` past what
 * the graph accepts, and vector-changing settings edited while the id stays.
 * Each is refused on load (exit 5, the fallback chain) or re-keyed, never mixed.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sqlite3 from 'sqlite3';
import { CodeGraph } from '../../engine/codegraph.js';
import { defaultModelDir } from '../../engine/config/paths.js';
import { Embedder } from '../../engine/embedding/model.js';
import { ModelLoadError } from '../../engine/errors.js';
import { copyFixtureWorkspace, FIXTURES, TINY_MODEL } from '../helpers.js';
import { runCli } from './engineProbe.js';
import { recordFault } from './faultRecord.js';

const workspace = copyFixtureWorkspace();
after(() => workspace.cleanup());
const models = join(workspace.cache, '..', 'models');
mkdirSync(models, { recursive: true });
const OPTIONS = { device: 'cpu', intraOpThreads: 1, maxBatchSize: 8, maxBatchTokens: 4096, dimensions: 0 } as const;

/** A copy of a model folder with its manifest (or override file) changed. */
function modelWith(name: string, source: string, change: Record<string, unknown>): string {
  const dir = join(models, name);
  cpSync(source, dir, { recursive: true });
  const file = join(dir, 'codegraph-model.json');
  let manifest: Record<string, unknown> = {};
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // a Hugging Face folder without an override file yet
  }
  writeFileSync(file, JSON.stringify({ ...manifest, ...change }, null, 2));
  return dir;
}

function sql(file: string, statements: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (error) => {
      if (error) return reject(error);
      db.exec(statements, (failure) => db.close(() => (failure ? reject(failure) : resolve())));
    });
  });
}

const BERT = join(FIXTURES, 'models', 'families', 'bert');
const rawOrtLog = /\[E:onnxruntime|\[W:onnxruntime|onnxruntime::/;

describe('a manifest that disagrees with its graph', () => {
  it("refuses a dimension the graph does not produce, names the real one, exits 5, and falls back to the default model", async () => {
    const wrong = modelWith('wrong-dimension', TINY_MODEL, { dimension: 64 });
    const wrongOverride = modelWith('wrong-dimension-hf', BERT, { dimension: 128 });
    const refusals: string[] = [];
    for (const dir of [wrong, wrongOverride]) {
      await assert.rejects(Embedder.load(dir, OPTIONS), (error: unknown) => {
        refusals.push(String((error as Error).message));
        return error instanceof ModelLoadError && /says dimension (64|128), but the graph's '\w+' output has 32/.test(error.message) && /Set "dimension": 32/.test(String(error.details['hint']));
      });
    }
    const cli = runCli(['index', workspace.root, '--cache', join(workspace.cache, 'wrong-dimension'), '--model', wrong, '--workers', '1']);
    const logs: string[] = [];
    const graph = await CodeGraph.open({ root: workspace.root, cacheDir: join(workspace.cache, 'wrong-dimension-fallback'), modelDir: wrong, workers: 1 }, { onModelError: 'fallback', log: (line) => logs.push(line) });
    let status;
    try {
      status = await graph.status();
    } finally {
      await graph.dispose();
    }
    recordFault({
      fault: 'model-dimension-mismatch',
      description: "A manifest whose dimension (64) disagrees with the graph's output (32), and a Hugging Face override saying 128 for a 32-wide graph",
      trials: 2,
      survived: refusals.length === 2 && cli.status === 5 && status.modelFallback?.active === defaultModelDir() ? 2 : 0,
      lost: 'nothing: refused on load with the real width in the hint (CLI exit 5); with fallback on, the default model serves and status says why',
      details: { refusals, cliStderr: cli.stderr.trim(), fallbackReason: status.modelFallback?.reason },
    });
    assert.equal(cli.status, 5, cli.stderr);
    assert.match(cli.stderr, /says dimension 64, but the graph's 'sentence_embedding' output has 32\n {2}hint: Set "dimension": 32/);
    assert.equal(status.serviceLevel, 'hybrid');
    assert.equal(status.modelFallback?.active, defaultModelDir());
    assert.match(status.modelFallback?.reason ?? '', /says dimension 64/);
  });

  it('refuses a maxTokens past what the graph accepts before the first batch, with the limit and no raw ONNX Runtime log', async () => {
    // The bert fixture has 40 position embeddings.
    const tooLong = modelWith('too-long-window', BERT, { maxTokens: 512 });
    const refusal = await Embedder.load(tooLong, OPTIONS).then(
      () => assert.fail('loaded'),
      (error: unknown) => error as ModelLoadError,
    );
    assert.ok(refusal instanceof ModelLoadError);
    const cli = runCli(['index', workspace.root, '--cache', join(workspace.cache, 'too-long'), '--model', tooLong, '--workers', '1']);
    const fits = await Embedder.load(modelWith('window-at-limit', BERT, { maxTokens: 40 }), OPTIONS);
    await fits.dispose();
    recordFault({
      fault: 'model-maxtokens-beyond-graph',
      description: 'A maxTokens of 512 for a graph with 40 position embeddings (a Hugging Face BERT export with an override file)',
      trials: 1,
      survived: cli.status === 5 && !rawOrtLog.test(cli.stderr) ? 1 : 0,
      lost: 'nothing: refused on load, before any batch, with the largest length the graph takes (CLI exit 5)',
      details: { message: refusal.message, hint: refusal.details['hint'], cliStderr: cli.stderr.trim() },
    });
    assert.match(refusal.message, /cannot take maxTokens 512/);
    assert.equal(refusal.details['accepted'], 40);
    assert.match(String(refusal.details['hint']), /accepts at most 40 tokens: set "maxTokens": 40/);
    assert.equal(cli.status, 5, cli.stderr);
    assert.match(cli.stderr, /cannot take maxTokens 512[\s\S]*hint: The graph accepts at most 40 tokens/);
    assert.doesNotMatch(cli.stderr, rawOrtLog);
    assert.equal(cli.stderr.trim().split('\n').length, 2, `one error and its hint: ${cli.stderr}`);
  });
});

describe('the model id', () => {
  it('changes with every manifest setting that changes the vectors, so an edit re-embeds instead of mixing', async () => {
    const base = await Embedder.load(TINY_MODEL, OPTIONS);
    await base.dispose();
    const changes: Record<string, unknown>[] = [{ normalize: false }, { queryPrefix: 'query: ' }, { documentPrefix: 'passage: ' }, { preprocess: ['lowercase'] }, { maxTokens: 128 }];
    const ids = new Set([base.modelId]);
    for (const [n, change] of changes.entries()) {
      const embedder = await Embedder.load(modelWith(`settings-${n}`, TINY_MODEL, change), OPTIONS);
      ids.add(embedder.modelId);
      assert.equal(embedder.legacyModelId, base.legacyModelId, 'same weights');
      await embedder.dispose();
    }
    const unchanged = await Embedder.load(modelWith('settings-same', TINY_MODEL, { similarityThreshold: 0.4, charsPerToken: 3 }), OPTIONS);
    await unchanged.dispose();
    assert.equal(ids.size, changes.length + 1, [...ids].join(', '));
    assert.equal(unchanged.modelId, base.modelId, 'settings read at query time or for chunk sizes do not change the vectors');

    // Through the engine: an index, then the manifest edited in place (same id field, same weights).
    const edited = modelWith('edited-in-place', TINY_MODEL, {});
    const cacheDir = join(workspace.cache, 'edited');
    const first = await CodeGraph.open({ root: workspace.root, cacheDir, modelDir: edited, workers: 1 });
    const chunks = (await first.index()).chunksTotal;
    await first.dispose();
    const manifest = JSON.parse(readFileSync(join(edited, 'codegraph-model.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(edited, 'codegraph-model.json'), JSON.stringify({ ...manifest, normalize: false }));
    const logs: string[] = [];
    const second = await CodeGraph.open({ root: workspace.root, cacheDir, modelDir: edited, workers: 1 }, { log: (line) => logs.push(line) });
    let reembedded: number;
    let status;
    try {
      reembedded = (await second.index()).chunksEmbedded;
      status = await second.status();
    } finally {
      await second.dispose();
    }
    recordFault({
      fault: 'model-settings-edited',
      description: 'The manifest edited in place (normalize turned off) under the same id and weights, after an index',
      trials: 1,
      survived: reembedded === chunks && status.counts.vectors === status.counts.vectorsForModel ? 1 : 0,
      lost: 'nothing: the model id changes, so every chunk is re-embedded (with a message) and the old vectors are collected',
      details: { logs, reembedded, chunks, distinctIds: ids.size },
    });
    assert.ok(logs.some((line) => /Model changed from codegraph-tiny-test@\w+ to codegraph-tiny-test@\w+: chunks will be re-embedded/.test(line)), logs.join('\n'));
    assert.equal(reembedded, chunks);
    assert.equal(status.counts.vectors, status.counts.vectorsForModel, 'no vectors of the old settings left beside the new ones');
  });

  it('keeps the vectors of a cache keyed by the old id (weights only) instead of re-embedding them, and says so', async () => {
    const cacheDir = join(workspace.cache, 'legacy-id');
    const graph = await CodeGraph.open({ root: workspace.root, cacheDir, modelDir: TINY_MODEL, workers: 1 });
    const { modelId, legacyModelId } = { modelId: graph.modelId!, legacyModelId: (await Embedder.load(TINY_MODEL, OPTIONS).then(async (e) => (await e.dispose(), e))).legacyModelId };
    const chunks = (await graph.index()).chunksTotal;
    await graph.dispose();
    // What a cache written by the previous version looks like: everything keyed by the weights-only id.
    await sql(join(cacheDir, 'index.sqlite'), `UPDATE vectors SET model_id = '${legacyModelId}'; UPDATE dense_settings SET model_id = '${legacyModelId}'; UPDATE meta SET value = '${legacyModelId}' WHERE key = 'model_id';`);
    const logs: string[] = [];
    const reopened = await CodeGraph.open({ root: workspace.root, cacheDir, modelDir: TINY_MODEL, workers: 1 }, { log: (line) => logs.push(line) });
    try {
      const summary = await reopened.index();
      const status = await reopened.status();
      assert.notEqual(modelId, legacyModelId);
      assert.equal(summary.chunksEmbedded, 0, 'nothing re-embedded');
      assert.equal(status.counts.vectorsForModel, status.counts.vectors);
      assert.ok(status.counts.vectorsForModel > 0 && status.counts.vectorsForModel <= chunks);
      assert.ok(logs.some((line) => line.includes(`Model id ${legacyModelId} is now ${modelId}`) && / vectors kept/.test(line)), logs.join('\n'));
      assert.equal((await reopened.search('token bucket rate limiter', { limit: 3 }))[0]?.path, 'python/rate_limiter.py');
      assert.ok((await reopened.search('token bucket rate limiter', { limit: 3, mode: 'dense' })).length > 0, 'the kept vectors answer dense search');
    } finally {
      await reopened.dispose();
    }
  });
});
