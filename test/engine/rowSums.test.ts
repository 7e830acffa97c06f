/**
 * The bag-of-words sum in WebAssembly SIMD (engine/embedding/rowSums.wat) is
 * the plain script sum, bit for bit, and the module the engine carries is what
 * its committed source assembles to.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BagOfWordsModel, readBagOfWordsGraph, widenAll, type BagOfWordsWeights } from '../../engine/embedding/bagOfWords.js';
import { ROWS_PER_CALL, WeightedRowSums } from '../../engine/embedding/rowSums.js';
import { seededRandom } from '../../engine/random/index.js';
import { REPO_ROOT, TINY_MODEL } from '../helpers.js';

const MODELS = [join(REPO_ROOT, 'models', 'codegraph-code-v2'), join(REPO_ROOT, 'models', 'codegraph-rp-v0'), TINY_MODEL];

function weightsOf(model: string): BagOfWordsWeights {
  const weights = readBagOfWordsGraph(readFileSync(join(model, 'model.onnx')));
  assert.ok(weights, `${model} is a bag-of-words graph`);
  widenAll(weights);
  return weights;
}

/** Token ids as code has them: a few ids repeated often, many once, in runs of `length`. */
function tokenIds(random: () => number, vocab: number, length: number): number[] {
  const common = Array.from({ length: 40 }, () => Math.floor(random() * vocab));
  return Array.from({ length }, () => (random() < 0.5 ? common[Math.floor(random() * common.length)]! : Math.floor(random() * vocab)));
}

describe('the bag-of-words sum in WebAssembly SIMD', () => {
  it('runs here: the table is in shared WebAssembly memory and a scratch area can be grown', () => {
    const weights = weightsOf(MODELS[0]!);
    assert.ok(weights.memory, 'Node.js 20 has WebAssembly SIMD and shared memory');
    assert.equal(weights.embeddings.buffer, weights.memory.buffer);
    assert.ok(WeightedRowSums.create(weights.memory, weights.dimension));
    assert.equal(WeightedRowSums.create(weights.memory, 30), null, 'a width that is not a multiple of 4 stays in script');
  });

  for (const model of MODELS) {
    it(`gives the script's vectors bit for bit (${model.split('/').pop()})`, () => {
      const weights = weightsOf(model);
      const simd = new BagOfWordsModel(weights, 0);
      const script = new BagOfWordsModel(weights, 0, false);
      const random = seededRandom(7);
      const limit = Math.min(weights.positionWeights?.length ?? 4000, 4000);
      // Empty (one padding token), one row, odd and even counts, and (without a position table)
      // more distinct rows than one kernel call takes.
      const lengths = [0, 1, 2, 3, 7, 64, 255, limit, ...Array.from({ length: 200 }, () => 1 + Math.floor(random() * Math.min(limit, 600)))];
      let mostDistinct = 0;
      for (const length of lengths) {
        const ids = tokenIds(random, weights.vocab, length);
        mostDistinct = Math.max(mostDistinct, new Set(ids).size);
        const a = simd.embed(ids);
        const b = script.embed(ids);
        assert.equal(a.length, b.length);
        for (let d = 0; d < a.length; d++) assert.ok(Object.is(a[d], b[d]), `length ${length}, dimension ${d}: ${a[d]} vs ${b[d]}`);
      }
      // The tiny model's 2,048 ids still give more distinct rows than one call takes.
      if (!weights.positionWeights) assert.ok(mostDistinct > ROWS_PER_CALL, `${mostDistinct} distinct rows at most`);
    });
  }

  it('is the module rowSums.wat assembles to (run scripts/build-wasm.mjs after editing it)', async () => {
    const script = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'build-wasm.mjs')).href)) as {
      KERNELS: { source: string; module: string; constant: string }[];
      assemble(path: string): Promise<Buffer>;
      moduleText(kernel: { source: string; module: string; constant: string }, binary: Buffer): string;
    };
    for (const kernel of script.KERNELS) {
      const binary = await script.assemble(join(REPO_ROOT, kernel.source));
      assert.equal(readFileSync(join(REPO_ROOT, kernel.module), 'utf8'), script.moduleText(kernel, binary), `${kernel.module} is stale`);
    }
  });
});
