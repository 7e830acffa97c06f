import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { paddingRatio, planBatches } from '../../engine/embedding/batching.js';
import { validateManifest } from '../../engine/embedding/manifest.js';
import { Embedder } from '../../engine/embedding/model.js';
import { preprocessText } from '../../engine/embedding/preprocess.js';
import { ModelLoadError } from '../../engine/errors.js';
import { tempDir, TINY_MODEL } from '../helpers.js';

describe('length-bucketed batching', () => {
  it('sorts by length so that padding stays small', () => {
    const lengths = [100, 3, 98, 5, 101, 4];
    const batches = planBatches(lengths, 3, 10_000);
    assert.deepEqual(batches.map((batch) => [...batch.indices]), [[1, 5, 3], [2, 0, 4]]);
    assert.deepEqual(batches.map((batch) => batch.length), [5, 101]);
    assert.ok(paddingRatio(lengths, batches) < 0.05);
  });

  it('caps padded tokens per batch', () => {
    const batches = planBatches([10, 10, 10, 10], 100, 25);
    assert.ok(batches.every((batch) => batch.length * batch.indices.length <= 25));
    assert.equal(batches.flatMap((batch) => batch.indices).length, 4);
  });
});

describe('model manifest', () => {
  it('fills defaults and validates fields', () => {
    const manifest = validateManifest({ id: 'm', dimension: 8 }, 'f', 'd');
    assert.equal(manifest.pooling, 'model');
    assert.equal(manifest.outputName, 'sentence_embedding');
    assert.equal(manifest.maxTokens, 512);
    assert.throws(() => validateManifest({ id: 'm', dimension: 8, pooling: 'max' }, 'f', 'd'), /pooling/);
    assert.throws(() => validateManifest({ id: 'm' }, 'f', 'd'), /dimension/);
    assert.throws(() => validateManifest({ id: 'm', dimension: 8, preprocess: ['stem'] }, 'f', 'd'), /preprocess/);
  });

  it('applies pre-processing steps in order', () => {
    assert.equal(preprocessText('getUserName  ', ['split-identifiers', 'lowercase', 'collapse-whitespace']), 'get user name');
  });
});

describe('ONNX embedder', () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await Embedder.load(TINY_MODEL);
  });
  after(async () => {
    await embedder.dispose();
  });

  it('produces unit vectors of the manifest dimension, keyed by a weight digest', async () => {
    const [vector] = await embedder.embed(['def allow(self): return True']);
    assert.equal(vector!.length, 32);
    const norm = Math.sqrt(vector!.reduce((sum, value) => sum + value * value, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4);
    assert.match(embedder.modelId, /^codegraph-tiny-test@[0-9a-f]{12}$/);
  });

  it('gives the same vector alone and inside a padded batch', async () => {
    const text = 'function debounce(fn, wait) { return fn; }';
    const [alone] = await embedder.embed([text]);
    const batch = await embedder.embed(['x', text, 'a much longer text '.repeat(40)]);
    for (let i = 0; i < alone!.length; i++) assert.ok(Math.abs(alone![i]! - batch[1]![i]!) < 1e-5);
  });

  it('embeds empty and oversized texts without failing', async () => {
    const vectors = await embedder.embed(['', 'word '.repeat(5000)]);
    assert.equal(vectors.length, 2);
    assert.ok(vectors.every((vector) => vector.every((value) => Number.isFinite(value))));
  });

  it('keeps only the requested leading dimensions, renormalised', async () => {
    const truncated = await Embedder.load(TINY_MODEL, { device: 'cpu', intraOpThreads: 1, maxBatchSize: 8, maxBatchTokens: 4096, dimensions: 16 });
    try {
      const vector = await truncated.embedQuery('rate limiter');
      assert.equal(vector.length, 16);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-4);
      assert.notEqual(truncated.modelId, embedder.modelId);
    } finally {
      await truncated.dispose();
    }
  });

  it('reports a missing or corrupt model as a model-load error that says what to do', async () => {
    const dir = tempDir();
    try {
      await assert.rejects(Embedder.load(join(dir.path, 'absent')), (error: unknown) => error instanceof ModelLoadError && /not found/.test(error.message));
      const broken = join(dir.path, 'broken');
      cpSync(TINY_MODEL, broken, { recursive: true });
      writeFileSync(join(broken, 'model.onnx'), 'not an onnx file');
      await assert.rejects(Embedder.load(broken), (error: unknown) => error instanceof ModelLoadError && /corrupt or truncated/.test(String((error as ModelLoadError).details['hint'])));
      writeFileSync(join(broken, 'codegraph-model.json'), '{');
      await assert.rejects(Embedder.load(broken), /not valid JSON/);
    } finally {
      dir.cleanup();
    }
  });
});
