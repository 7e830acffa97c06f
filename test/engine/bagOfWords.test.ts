/**
 * The TypeScript path for bag-of-subwords graphs gives ONNX Runtime's vectors:
 * same models, same real chunks (this repository's own sources and the fixture
 * workspace, chunked by the engine's parser), within float32 rounding.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readBagOfWordsGraph } from '../../engine/embedding/bagOfWords.js';
import { Embedder, type EmbedderOptions } from '../../engine/embedding/model.js';
import { DEFAULT_CHUNKING } from '../../engine/parsing/chunk.js';
import { languageForPath } from '../../engine/parsing/languages.js';
import { CodeParser } from '../../engine/parsing/parser.js';
import { encodeInt8Blob, quantizeInt8 } from '../../engine/vectors/quantize.js';
import { FIXTURE_WORKSPACE, FIXTURES, GRAMMARS, REPO_ROOT, TINY_MODEL } from '../helpers.js';

const OPTIONS: EmbedderOptions = { device: 'cpu', intraOpThreads: 1, maxBatchSize: 32, maxBatchTokens: 16384, dimensions: 0 };
const MODELS = [join(REPO_ROOT, 'models', 'codegraph-code-v2'), join(REPO_ROOT, 'models', 'codegraph-rp-v0'), TINY_MODEL];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

async function realChunks(): Promise<string[]> {
  const parser = await CodeParser.create(GRAMMARS);
  const texts: string[] = [];
  const files = [...filesUnder(FIXTURE_WORKSPACE), ...filesUnder(join(REPO_ROOT, 'engine')).filter((path) => path.endsWith('.ts')).slice(0, 40)];
  for (const path of files) {
    const spec = languageForPath(path);
    const chunked = await parser.chunk(readFileSync(path, 'utf8'), spec, DEFAULT_CHUNKING);
    for (const chunk of chunked.chunks) texts.push(chunk.text);
  }
  parser.dispose?.();
  return texts;
}

describe('bag-of-subwords graphs in TypeScript', () => {
  let texts: string[];
  before(async () => {
    texts = await realChunks();
    // Edge cases: empty, only unknown characters, longer than every window, identifiers only.
    texts.push('', '😀😀😀', 'x', Array.from({ length: 3000 }, (_, index) => `token${index % 97} value_${index}`).join(' '), 'parseHTTPResponse getUserName __init__');
  });

  for (const model of MODELS) {
    describe(model.split('/').pop()!, () => {
      let typescript: Embedder;
      let onnx: Embedder;
      before(async () => {
        typescript = await Embedder.load(model, OPTIONS);
        onnx = await Embedder.load(model, { ...OPTIONS, runtime: 'onnxruntime' });
      });
      after(async () => {
        await typescript.dispose();
        await onnx.dispose();
      });

      it('is recognised as the exporter graph and runs without ONNX Runtime', () => {
        assert.equal(typescript.runtime, 'typescript');
        assert.equal(onnx.runtime, 'onnxruntime');
        assert.equal(typescript.modelId, onnx.modelId);
      });

      it('gives the vectors ONNX Runtime gives on real chunks, within float32 rounding', async () => {
        assert.ok(texts.length > 200, `${texts.length} chunks`);
        const expected = await onnx.embed(texts);
        const actual = await typescript.embed(texts);
        let worst = 0;
        let int8Differences = 0;
        for (let index = 0; index < texts.length; index++) {
          assert.equal(actual[index]!.length, expected[index]!.length);
          for (let d = 0; d < actual[index]!.length; d++) worst = Math.max(worst, Math.abs(actual[index]![d]! - expected[index]![d]!));
          const a = encodeInt8Blob(quantizeInt8(actual[index]!));
          const b = encodeInt8Blob(quantizeInt8(expected[index]!));
          for (let byte = 0; byte < a.length; byte++) if (a[byte] !== b[byte]) int8Differences++;
        }
        assert.ok(worst < 1e-5, `largest difference ${worst}`);
        // Rounding to int8 can flip at a boundary, rarely.
        assert.ok(int8Differences <= texts.length, `${int8Differences} int8 bytes differ over ${texts.length} chunks`);
      });

      it('gives queries the same vectors as ONNX Runtime', async () => {
        for (const query of ['open a network connection', 'parse json', '']) {
          const a = await typescript.embedQuery(query);
          const b = await onnx.embedQuery(query);
          assert.ok(a.every((value, d) => Math.abs(value - b[d]!) < 1e-5), query);
        }
      });
    });
  }

  it('leaves every other graph to ONNX Runtime', async () => {
    for (const family of readdirSync(join(FIXTURES, 'models', 'families'))) {
      const dir = join(FIXTURES, 'models', 'families', family);
      const onnxFile = readdirSync(dir).find((name) => name.endsWith('.onnx'));
      if (onnxFile) assert.equal(readBagOfWordsGraph(readFileSync(join(dir, onnxFile))), null, family);
    }
    assert.equal(readBagOfWordsGraph(readFileSync(join(FIXTURES, 'models', 'graphcodebert-tiny', 'model.onnx'))), null);
  });

  it('does not take a graph whose nodes differ from the exporter', () => {
    const bytes = Buffer.from(readFileSync(join(TINY_MODEL, 'model.onnx')));
    // Rename one node's operator (Sqrt → Sqrr, same length): the graph no longer matches.
    const at = bytes.indexOf('Sqrt');
    assert.ok(at > 0);
    bytes.write('Sqrr', at);
    assert.equal(readBagOfWordsGraph(bytes), null);
    assert.ok(readBagOfWordsGraph(readFileSync(join(TINY_MODEL, 'model.onnx'))));
  });
});
