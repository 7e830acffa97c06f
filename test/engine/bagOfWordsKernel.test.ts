/**
 * The bag-of-words model in WebAssembly (engine/embedding/bagOfWordsKernel.wat)
 * gives the plain script path's vectors bit for bit, and the module the engine
 * carries is what its committed source assembles to.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { BagOfWordsModel, readBagOfWordsGraph, widenAll, type BagOfWordsWeights } from '../../engine/embedding/bagOfWords.js';
import { BagOfWordsKernel } from '../../engine/embedding/bagOfWordsKernel.js';
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

describe('the bag-of-words model in WebAssembly', () => {
  it('runs here: the tables are in shared WebAssembly memory and a scratch area can be grown', () => {
    const weights = weightsOf(MODELS[0]!);
    const tables = weights.kernelTables;
    assert.ok(tables, 'Node.js 20 has WebAssembly SIMD and shared memory');
    assert.equal(weights.embeddings.buffer, tables.memory.buffer);
    assert.equal(tables.tokenWeightsAt, weights.tokenWeights.byteOffset);
    assert.equal(tables.positionWeightsAt, weights.positionWeights!.byteOffset);
    const kernel = BagOfWordsKernel.forThread(tables);
    assert.ok(kernel);
    assert.equal(BagOfWordsKernel.forThread(tables), kernel, 'one scratch area per thread, however many models use the tables');
    assert.equal(BagOfWordsKernel.forThread({ ...tables, dimension: 30 }), null, 'a width that is not a multiple of 4 stays in script');
  });

  it('refuses an id outside the vocabulary as the script does, and embeds the next text as if it had not been asked', () => {
    const weights = weightsOf(MODELS[0]!);
    const kernel = new BagOfWordsModel(weights, 0);
    const script = new BagOfWordsModel(weights, 0, false);
    for (const bad of [weights.vocab, -1, weights.vocab + 7]) {
      assert.throws(() => kernel.embed([5, 9, 5, bad, 3]), { name: 'RangeError', message: `Token id ${bad} is outside the vocabulary (${weights.vocab})` });
      assert.throws(() => script.embed([5, 9, 5, bad, 3]), { name: 'RangeError', message: `Token id ${bad} is outside the vocabulary (${weights.vocab})` });
    }
    assert.deepEqual([...kernel.embed([5, 9, 3])], [...script.embed([5, 9, 3])]);
  });

  for (const model of MODELS) {
    it(`gives the script path's vectors bit for bit (${model.split('/').pop()})`, () => {
      const weights = weightsOf(model);
      const simd = new BagOfWordsModel(weights, 0);
      const script = new BagOfWordsModel(weights, 0, false);
      const random = seededRandom(7);
      const limit = weights.positionWeights?.length ?? 5000;
      // Empty (one padding token), one row, odd and even counts, and (without a position table)
      // inputs longer than the kernel takes, which go to the script path.
      const lengths = [0, 1, 2, 3, 7, 64, 255, limit, ...(weights.positionWeights ? [] : [4096, 4097]), ...Array.from({ length: 200 }, () => 1 + Math.floor(random() * Math.min(limit, 600)))];
      let mostDistinct = 0;
      for (const length of lengths) {
        const ids = tokenIds(random, weights.vocab, length);
        mostDistinct = Math.max(mostDistinct, new Set(ids).size);
        // The graph's output, and the embedder's vector: cut to a Matryoshka width and made unit length again.
        for (const [keep, normalize] of [[weights.dimension, false], [weights.dimension, true], [weights.dimension / 2, true], [weights.dimension / 4, false]] as const) {
          const a = simd.embedVector(ids, keep, normalize);
          const b = script.embedVector(ids, keep, normalize);
          assert.equal(a.length, keep);
          assert.equal(b.length, keep);
          for (let d = 0; d < a.length; d++) assert.ok(Object.is(a[d], b[d]), `length ${length}, ${keep} kept, normalised ${normalize}, dimension ${d}: ${a[d]} vs ${b[d]}`);
        }
      }
      assert.ok(mostDistinct > 300, `${mostDistinct} distinct rows at most`);
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
