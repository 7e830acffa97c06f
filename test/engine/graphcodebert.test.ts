import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GraphCodeBertEncoder, readModelInputConfig, type GraphCodeBertInput } from '../../engine/dataflow/index.js';
import { Embedder } from '../../engine/embedding/model.js';
import { ModelLoadError } from '../../engine/errors.js';
import { WorkerPool } from '../../engine/pool/pool.js';
import { decodeInt8Blob, dequantizeInt8 } from '../../engine/vectors/quantize.js';
import { FIXTURES, GRAMMARS, tempDir } from '../helpers.js';

/** Built by scripts/models/make_tiny_graphcodebert.py, which also wrote reference.json. */
const MODEL = join(FIXTURES, 'models', 'graphcodebert-tiny');

interface ReferenceInput {
  readonly inputIds: number[];
  readonly positionIds: number[];
  readonly attentionMask: string[];
  readonly cls: number[];
}

interface Reference {
  readonly maxTokens: number;
  readonly dataFlowLength: number;
  readonly documents: (ReferenceInput & { readonly language: string; readonly code: string })[];
  readonly queries: (ReferenceInput & { readonly text: string })[];
}

const reference = JSON.parse(readFileSync(join(MODEL, 'reference.json'), 'utf8')) as Reference;

function maskRows(input: GraphCodeBertInput): string[] {
  return Array.from({ length: input.length }, (_, row) => input.attentionMask.subarray(row * input.length, (row + 1) * input.length).join(''));
}

function unit(vector: readonly number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function assertClose(actual: Float32Array, expected: readonly number[], tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  const worst = Math.max(...expected.map((value, i) => Math.abs(value - actual[i]!)));
  assert.ok(worst < tolerance, `${label}: largest difference ${worst}`);
}

describe('GraphCodeBERT inputs against the reference script', () => {
  let encoder: GraphCodeBertEncoder;
  before(async () => {
    encoder = await GraphCodeBertEncoder.create({
      modelDir: MODEL,
      tokenizerPath: join(MODEL, 'tokenizer.json'),
      maxTokens: reference.maxTokens,
      dataFlowLength: reference.dataFlowLength,
      preprocess: [],
      queryPrefix: '',
      documentPrefix: '',
      grammarsDir: GRAMMARS,
    });
  });
  after(() => encoder.dispose());

  for (const document of reference.documents) {
    it(`builds the ${document.language} snippet's ids, position ids and attention mask from its syntax tree`, async () => {
      const input = await encoder.encode(document.code, 'document', document.language);
      assert.deepEqual(input.inputIds, document.inputIds);
      assert.deepEqual(input.positionIds, document.positionIds);
      assert.deepEqual(maskRows(input), document.attentionMask);
    });
  }

  it('exercises truncation and nodes beyond maxDfgLength in the reference set', () => {
    // Guards the fixture itself: one snippet fills the window, one has more nodes than the reserved share.
    assert.ok(reference.documents.some((document) => document.inputIds.length === reference.maxTokens));
    assert.ok(reference.documents.some((document) => document.positionIds.filter((position) => position === 0).length > reference.dataFlowLength));
  });

  it('gives queries plain tokens: [CLS] tokens [SEP], positions from 2, full attention', async () => {
    for (const query of reference.queries) {
      const input = await encoder.encode(query.text, 'query', null);
      assert.deepEqual(input.inputIds, query.inputIds);
      assert.deepEqual(input.positionIds, query.positionIds);
      assert.deepEqual(maskRows(input), query.attentionMask);
    }
  });

  it('falls back to code tokens only for a language without an extractor', async () => {
    const input = await encoder.encode('fn add(a: i32) -> i32 { a + 1 }', 'document', 'rust');
    assert.equal(input.nodeCount, 0);
    assert.ok(input.attentionMask.every((value) => value === 1));
    const unknown = await encoder.encode(reference.documents[0]!.code, 'document', null);
    assert.equal(unknown.nodeCount, 0);
  });
});

describe('GraphCodeBERT model through the Embedder', () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await Embedder.load(MODEL);
  });
  after(async () => {
    await embedder.dispose();
  });

  it('reproduces the reference CLS embeddings of documents, one by one and in one padded batch', async () => {
    const codes = reference.documents.map((document) => document.code);
    const languages = reference.documents.map((document) => document.language);
    const batched = await embedder.embed(codes, 'document', languages);
    for (const [index, document] of reference.documents.entries()) {
      const [alone] = await embedder.embed([document.code], 'document', [document.language]);
      assertClose(alone!, unit(document.cls), 1e-4, `${document.language} alone`);
      assertClose(batched[index]!, unit(document.cls), 1e-4, `${document.language} in a batch`);
    }
  });

  it('reproduces the reference query embeddings', async () => {
    for (const query of reference.queries) assertClose(await embedder.embedQuery(query.text), unit(query.cls), 1e-4, query.text);
  });

  it('gives the same vectors when loaded from codegraph-model.json alone, without the Hugging Face config', async () => {
    const dir = tempDir();
    try {
      const copy = join(dir.path, 'model');
      cpSync(MODEL, copy, { recursive: true });
      rmSync(join(copy, 'config.json'));
      const manifestOnly = await Embedder.load(copy);
      try {
        const { code, language, cls } = reference.documents[3]!;
        assertClose((await manifestOnly.embed([code], 'document', [language]))[0]!, unit(cls), 1e-4, 'manifest-only load');
      } finally {
        await manifestOnly.dispose();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('embeds a document differently with and without its data-flow graph', async () => {
    const { code, language } = reference.documents[0]!;
    const [withGraph, withoutGraph] = [(await embedder.embed([code], 'document', [language]))[0]!, (await embedder.embed([code], 'document'))[0]!];
    const cosine = withGraph.reduce((sum, value, i) => sum + value * withoutGraph[i]!, 0);
    assert.ok(cosine < 0.9999, `the graph should change the vector (cosine ${cosine})`);
  });
});

describe('GraphCodeBERT model in the worker pool', () => {
  it('receives each chunk\'s language with the text, so documents are embedded with their data-flow graph', async () => {
    const pool = new WorkerPool({ grammarsDir: GRAMMARS, modelDir: MODEL, device: 'cpu', dimensions: 0, maxBatchSize: 8, maxFileBytes: 1 << 20 }, { size: 1 });
    try {
      const { code, language, cls } = reference.documents[2]!;
      const expected = unit(cls);
      const cosine = (blob: Uint8Array) => dequantizeInt8(decodeInt8Blob(blob)).reduce((sum, value, i) => sum + value * expected[i]!, 0) / Math.hypot(...dequantizeInt8(decodeInt8Blob(blob)));
      const withLanguage = await pool.embed([code], [language]);
      const withoutLanguage = await pool.embed([code]);
      // The stored vectors are int8-quantised: close to the reference only when the graph was used.
      assert.ok(cosine(withLanguage.blobs[0]!) > 0.9999, `with the language: cosine ${cosine(withLanguage.blobs[0]!)}`);
      assert.ok(cosine(withoutLanguage.blobs[0]!) < 0.999, `without it: cosine ${cosine(withoutLanguage.blobs[0]!)}`);
    } finally {
      await pool.close();
    }
  });
});

describe('model input configuration', () => {
  it('reads the data-flow request from codegraph-model.json or from config.json', () => {
    assert.deepEqual(readModelInputConfig(MODEL), { input: 'graphcodebert-dfg', dataFlowLength: reference.dataFlowLength });
    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'config.json'), JSON.stringify({ model_type: 'roberta', codegraph: { input: 'graphcodebert-dfg' } }));
      assert.deepEqual(readModelInputConfig(dir.path), { input: 'graphcodebert-dfg', dataFlowLength: 64 });
      writeFileSync(join(dir.path, 'config.json'), JSON.stringify({ model_type: 'roberta' }));
      assert.deepEqual(readModelInputConfig(dir.path), { input: 'tokens', dataFlowLength: 0 });
      writeFileSync(join(dir.path, 'codegraph-model.json'), JSON.stringify({ id: 'x', dimension: 4, input: 'dfg' }));
      assert.throws(() => readModelInputConfig(dir.path), (error: unknown) => error instanceof ModelLoadError && /'input' must be one of/.test(error.message));
    } finally {
      dir.cleanup();
    }
  });

  it('refuses a data-flow model whose graph lacks position ids', async () => {
    const dir = tempDir();
    try {
      const copy = join(dir.path, 'model');
      cpSync(MODEL, copy, { recursive: true });
      // The plain-token fixture model has no position_ids input.
      cpSync(join(FIXTURES, 'models', 'tiny', 'model.onnx'), join(copy, 'model.onnx'));
      rmSync(join(copy, 'config.json'));
      await assert.rejects(Embedder.load(copy), (error: unknown) => error instanceof ModelLoadError && /lacks position_ids/.test(error.message));
    } finally {
      dir.cleanup();
    }
  });
});
