import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildModelInputs } from '../../engine/embedding/inputs.js';
import { Embedder, type EmbedderOptions } from '../../engine/embedding/model.js';
import { finalizeVector, poolOutput } from '../../engine/embedding/pooling.js';
import { TextTokenizer } from '../../engine/embedding/tokenizer.js';
import { ModelLoadError } from '../../engine/errors.js';
import { FIXTURES, tempDir } from '../helpers.js';

/**
 * Tiny random-weight models in each supported architecture, exported by
 * scripts/models/make_tiny_encoders.py together with reference embeddings
 * computed by the PyTorch modules. They load through the same `Embedder.load`
 * as the bundled model, from Hugging Face-layout folders (no codegraph-model.json needed).
 */
const FAMILIES = join(FIXTURES, 'models', 'families');
const TOLERANCE = 1e-4;

interface ReferenceCase {
  readonly text: string;
  readonly role: 'query' | 'document';
  readonly ids: number[];
  readonly embedding: number[];
  readonly truncated?: boolean;
}

interface Reference {
  readonly family: string;
  readonly pooling: 'mean' | 'cls' | 'last';
  readonly maxTokens: number;
  readonly dimension: number;
  readonly cases: readonly ReferenceCase[];
}

const OPTIONS: EmbedderOptions = { device: 'cpu', intraOpThreads: 1, maxBatchSize: 16, maxBatchTokens: 4096, dimensions: 0 };

function reference(family: string): Reference {
  return JSON.parse(readFileSync(join(FAMILIES, family, 'reference.json'), 'utf8')) as Reference;
}

function assertClose(actual: Float32Array, expected: readonly number[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: dimension`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst < TOLERANCE, `${label}: largest difference from the PyTorch reference is ${worst}`);
}

/** Family folder → what the loader must derive from its files. */
const EXPECTED: Record<string, { modelType: string; pooling: string; outputName: string; tokenTypeIds: boolean; positionOffset: number }> = {
  bert: { modelType: 'bert', pooling: 'cls', outputName: 'last_hidden_state', tokenTypeIds: true, positionOffset: 0 },
  roberta: { modelType: 'roberta', pooling: 'mean', outputName: 'last_hidden_state', tokenTypeIds: false, positionOffset: 2 },
  'xlm-roberta': { modelType: 'xlm-roberta', pooling: 'mean', outputName: 'last_hidden_state', tokenTypeIds: false, positionOffset: 2 },
  // Exported with its pooled output, as sentence-transformers exports are: the graph pools.
  mpnet: { modelType: 'mpnet', pooling: 'model', outputName: 'sentence_embedding', tokenTypeIds: false, positionOffset: 2 },
  'nomic-bert': { modelType: 'nomic_bert', pooling: 'mean', outputName: 'last_hidden_state', tokenTypeIds: true, positionOffset: 0 },
  gpt2: { modelType: 'gpt2', pooling: 'last', outputName: 'last_hidden_state', tokenTypeIds: false, positionOffset: 0 },
};

for (const [family, expected] of Object.entries(EXPECTED)) {
  describe(`Hugging Face-layout ${family} encoder`, () => {
    const ref = reference(family);
    let embedder: Embedder;
    before(async () => {
      embedder = await Embedder.load(join(FAMILIES, family), OPTIONS);
    });
    after(async () => {
      await embedder.dispose();
    });

    it('derives the manifest from config.json, the tokenizer, the pooling config and the graph', () => {
      assert.equal(ref.family, expected.modelType);
      assert.equal(embedder.manifest.pooling, expected.pooling);
      assert.equal(embedder.manifest.outputName, expected.outputName);
      assert.equal(embedder.manifest.tokenTypeIds, expected.tokenTypeIds);
      assert.equal(embedder.manifest.positionOffset, expected.positionOffset);
      assert.equal(embedder.manifest.maxTokens, ref.maxTokens);
      assert.equal(embedder.dimension, ref.dimension);
      assert.match(embedder.modelId, new RegExp(`^${family}@[0-9a-f]{12}$`));
    });

    it('tokenizes exactly as the reference tokenizer, truncating to the window but keeping the closing special token', () => {
      const tokenizer = TextTokenizer.load(join(FAMILIES, family, 'tokenizer.json'), embedder.manifest, join(FAMILIES, family));
      for (const sample of ref.cases) assert.deepEqual(tokenizer.encode(sample.text, sample.role), sample.ids, sample.text);
      const long = ref.cases.find((sample) => sample.truncated)!;
      assert.equal(long.ids.length, ref.maxTokens);
    });

    it('matches the PyTorch module\'s pooled, normalised embedding for each text alone', async () => {
      for (const sample of ref.cases) {
        const [vector] = await embedder.embed([sample.text], sample.role);
        assertClose(vector!, sample.embedding, `${sample.role} '${sample.text.slice(0, 30)}'`);
        assert.ok(Math.abs(Math.hypot(...vector!) - 1) < 1e-5);
      }
    });

    it('gives the same embeddings when texts of different lengths share a padded batch', async () => {
      const documents = ref.cases.filter((sample) => sample.role === 'document');
      const vectors = await embedder.embed(documents.map((sample) => sample.text));
      documents.forEach((sample, index) => assertClose(vectors[index]!, sample.embedding, `batched '${sample.text.slice(0, 30)}'`));
    });
  });
}

describe('Hugging Face-layout settings', () => {
  it('applies query and document prefixes from the override file (Nomic\'s search_query: / search_document:)', async () => {
    const ref = reference('nomic-bert');
    const embedder = await Embedder.load(join(FAMILIES, 'nomic-bert'), OPTIONS);
    try {
      assert.equal(embedder.manifest.queryPrefix, 'search_query: ');
      assert.equal(embedder.manifest.documentPrefix, 'search_document: ');
      const query = ref.cases.find((sample) => sample.role === 'query')!;
      const document = ref.cases.find((sample) => sample.role === 'document' && sample.text === query.text)!;
      assertClose(await embedder.embedQuery(query.text), query.embedding, 'query');
      const [asDocument] = await embedder.embed([query.text], 'document');
      assertClose(asDocument!, document.embedding, 'document');
      assert.ok(Math.abs(asDocument![0]! - query.embedding[0]!) > 1e-3 || Math.abs(asDocument![1]! - query.embedding[1]!) > 1e-3, 'the prefix changes the embedding');
    } finally {
      await embedder.dispose();
    }
  });

  it('lets codegraph-model.json override derived fields: left padding with position ids, and a shorter window', async () => {
    const dir = tempDir();
    try {
      const model = join(dir.path, 'gpt2-left');
      cpSync(join(FAMILIES, 'gpt2'), model, { recursive: true });
      writeFileSync(join(model, 'codegraph-model.json'), JSON.stringify({ paddingSide: 'left', id: 'my-decoder' }));
      const ref = reference('gpt2');
      const embedder = await Embedder.load(model, OPTIONS);
      try {
        assert.equal(embedder.manifest.paddingSide, 'left');
        assert.match(embedder.modelId, /^my-decoder@/);
        // Left-padded rows: last-token pooling and position ids must both follow the mask.
        const documents = ref.cases.filter((sample) => sample.role === 'document');
        const vectors = await embedder.embed(documents.map((sample) => sample.text));
        documents.forEach((sample, index) => assertClose(vectors[index]!, sample.embedding, `left-padded '${sample.text.slice(0, 30)}'`));
      } finally {
        await embedder.dispose();
      }

      writeFileSync(join(model, 'codegraph-model.json'), JSON.stringify({ maxTokens: 6 }));
      const short = await Embedder.load(model, OPTIONS);
      try {
        const tokenizer = TextTokenizer.load(join(model, 'tokenizer.json'), short.manifest, model);
        const ids = tokenizer.encode(ref.cases[1]!.text, 'document');
        assert.equal(ids.length, 6);
        assert.deepEqual(ids.slice(0, 5), ref.cases[1]!.ids.slice(0, 5));
        assert.equal(ids[5], ref.cases[1]!.ids.at(-1), 'the end-of-text token survives truncation');
      } finally {
        await short.dispose();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('prefers the full-precision ONNX file and asks which one to use when several are equally likely', async () => {
    const dir = tempDir();
    try {
      const model = join(dir.path, 'roberta');
      cpSync(join(FAMILIES, 'roberta'), model, { recursive: true });
      cpSync(join(model, 'model.onnx'), join(model, 'model_quantized.onnx'));
      const embedder = await Embedder.load(model, OPTIONS);
      assert.equal(embedder.manifest.onnx, 'model.onnx');
      await embedder.dispose();

      rmSync(join(model, 'model.onnx'));
      cpSync(join(model, 'model_quantized.onnx'), join(model, 'encoder.onnx'));
      cpSync(join(model, 'model_quantized.onnx'), join(model, 'decoder.onnx'));
      await assert.rejects(Embedder.load(model, OPTIONS), (error: unknown) => error instanceof ModelLoadError && /Several ONNX files/.test(error.message) && /"onnx"/.test(String(error.details['hint'])));
      writeFileSync(join(model, 'codegraph-model.json'), JSON.stringify({ onnx: 'model_quantized.onnx' }));
      const chosen = await Embedder.load(model, OPTIONS);
      assert.equal(chosen.manifest.onnx, 'model_quantized.onnx');
      await chosen.dispose();
    } finally {
      dir.cleanup();
    }
  });

  it('refuses to guess pooling for an unknown family, and a Dense projection the graph lacks', async () => {
    const dir = tempDir();
    try {
      const model = join(dir.path, 'mystery');
      cpSync(join(FAMILIES, 'xlm-roberta'), model, { recursive: true });
      const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(model, 'config.json'), JSON.stringify({ ...config, model_type: 'mystery-net' }));
      await assert.rejects(Embedder.load(model, OPTIONS), (error: unknown) => error instanceof ModelLoadError && /mystery-net/.test(error.message) && /"pooling"/.test(String(error.details['hint'])));
      writeFileSync(join(model, 'codegraph-model.json'), JSON.stringify({ pooling: 'mean' }));
      const overridden = await Embedder.load(model, OPTIONS);
      assertClose((await overridden.embed([reference('xlm-roberta').cases[0]!.text]))[0]!, reference('xlm-roberta').cases[0]!.embedding, 'with pooling set by the override');
      await overridden.dispose();

      const dense = join(dir.path, 'dense');
      cpSync(join(FAMILIES, 'bert'), dense, { recursive: true });
      const modules = JSON.parse(readFileSync(join(dense, 'modules.json'), 'utf8')) as object[];
      writeFileSync(join(dense, 'modules.json'), JSON.stringify([...modules, { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' }]));
      await assert.rejects(Embedder.load(dense, OPTIONS), (error: unknown) => error instanceof ModelLoadError && /Dense/.test(error.message));
    } finally {
      dir.cleanup();
    }
  });
});

describe('pooling', () => {
  // Two rows, length 4, hidden 2: token t of row r holds [10r + t, -(10r + t)].
  const data = Float32Array.from({ length: 16 }, (_, index) => {
    const token = Math.floor(index / 2);
    const value = 10 * Math.floor(token / 4) + (token % 4);
    return index % 2 === 0 ? value : -value;
  });
  const dims = [2, 4, 2];
  const rightPadded = BigInt64Array.from([1n, 1n, 1n, 0n, 1n, 1n, 0n, 0n]);
  const leftPadded = BigInt64Array.from([0n, 1n, 1n, 1n, 0n, 0n, 1n, 1n]);

  it('averages only the real tokens (mean)', () => {
    assert.deepEqual([...poolOutput(data, dims, rightPadded, 'mean')[0]!], [1, -1]);
    assert.deepEqual([...poolOutput(data, dims, rightPadded, 'mean')[1]!], [10.5, -10.5]);
    assert.deepEqual([...poolOutput(data, dims, leftPadded, 'mean')[1]!], [12.5, -12.5]);
  });

  it('takes the first real token (cls) and the last real token (last) with right and left padding', () => {
    assert.deepEqual([...poolOutput(data, dims, rightPadded, 'cls')[1]!], [10, -10]);
    assert.deepEqual([...poolOutput(data, dims, leftPadded, 'cls')[1]!], [12, -12]);
    assert.deepEqual([...poolOutput(data, dims, rightPadded, 'last')[0]!], [2, -2]);
    assert.deepEqual([...poolOutput(data, dims, rightPadded, 'last')[1]!], [11, -11]);
    assert.deepEqual([...poolOutput(data, dims, leftPadded, 'last')[0]!], [3, -3]);
    assert.deepEqual([...poolOutput(data, dims, leftPadded, 'last')[1]!], [13, -13]);
  });

  it('passes graph-pooled outputs through and normalises after truncation', () => {
    const pooled = poolOutput(Float32Array.from([3, 4, 0, 0, 1, 0]), [2, 3], rightPadded, 'model');
    assert.deepEqual([...pooled[0]!], [3, 4, 0]);
    const unit = finalizeVector(pooled[0]!, 2, true);
    assert.equal(unit.length, 2);
    assert.ok(Math.abs(unit[0]! - 0.6) < 1e-6 && Math.abs(unit[1]! - 0.8) < 1e-6);
  });
});

describe('model inputs', () => {
  const names = ['input_ids', 'attention_mask', 'position_ids', 'token_type_ids'];
  const values = (tensor: { data: unknown }) => [...(tensor.data as BigInt64Array)].map(Number);

  it('pads right or left with the pad token and marks real tokens in the mask', () => {
    const right = buildModelInputs([[5, 6, 7], [8]], 3, { inputNames: names, padTokenId: 1, paddingSide: 'right', positionOffset: 0 });
    assert.deepEqual(values(right.feeds['input_ids']!), [5, 6, 7, 8, 1, 1]);
    assert.deepEqual([...right.mask].map(Number), [1, 1, 1, 1, 0, 0]);
    const left = buildModelInputs([[5, 6, 7], [8]], 3, { inputNames: names, padTokenId: 1, paddingSide: 'left', positionOffset: 0 });
    assert.deepEqual(values(left.feeds['input_ids']!), [5, 6, 7, 1, 1, 8]);
    assert.deepEqual(values(left.feeds['attention_mask']!), [1, 1, 1, 0, 0, 1]);
    assert.deepEqual(values(left.feeds['token_type_ids']!), [0, 0, 0, 0, 0, 0]);
  });

  it('counts position ids over real tokens from the family\'s offset (RoBERTa: pad + 1), padding at the padding index', () => {
    const right = buildModelInputs([[5, 6, 7], [8]], 3, { inputNames: names, padTokenId: 1, paddingSide: 'right', positionOffset: 2 });
    assert.deepEqual(values(right.feeds['position_ids']!), [2, 3, 4, 2, 1, 1]);
    const left = buildModelInputs([[5, 6, 7], [8]], 3, { inputNames: names, padTokenId: 0, paddingSide: 'left', positionOffset: 0 });
    assert.deepEqual(values(left.feeds['position_ids']!), [0, 1, 2, 0, 0, 0]);
  });

  it('feeds only the inputs the graph declares', () => {
    const { feeds } = buildModelInputs([[5]], 1, { inputNames: ['input_ids'], padTokenId: 0, paddingSide: 'right', positionOffset: 0 });
    assert.deepEqual(Object.keys(feeds), ['input_ids']);
  });
});

describe('GPU device', () => {
  it('falls back to CPU with a logged reason when the CUDA provider cannot load, and embeds the same', async () => {
    const logs: string[] = [];
    const ref = reference('bert');
    const embedder = await Embedder.load(join(FAMILIES, 'bert'), { ...OPTIONS, device: 'cuda', log: (line) => logs.push(line) });
    try {
      // On a machine with CUDA 12, cuDNN and onnxruntime-node's CUDA binaries this takes the GPU; the test then checks the results only.
      if (embedder.device === 'cpu') {
        assert.equal(logs.length, 1);
        assert.match(logs[0]!, /CUDA execution provider unavailable \(device 'cuda'\), using CPU: \S+/);
      }
      assertClose((await embedder.embed([ref.cases[0]!.text]))[0]!, ref.cases[0]!.embedding, `on ${embedder.device}`);
    } finally {
      await embedder.dispose();
    }
  });
});
