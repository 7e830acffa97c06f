import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { resolveConfig } from '../../engine/config/config.js';
import { bundledModelsDir } from '../../engine/config/paths.js';
import { userModelsDir } from '../../engine/models/paths.js';
import { Embedder, type EmbedderOptions } from '../../engine/embedding/model.js';
import { foreignDomains, inspectOnnxModel } from '../../engine/embedding/onnxGraph.js';
import { ModelLoadError } from '../../engine/errors.js';
import { FIXTURES, tempDir, TINY_MODEL } from '../helpers.js';

const BERT = join(FIXTURES, 'models', 'families', 'bert');
const OPTIONS: EmbedderOptions = { device: 'cpu', intraOpThreads: 1, maxBatchSize: 8, maxBatchTokens: 1024, dimensions: 0 };

// Just enough protobuf writing to append fields to a real ModelProto: appended
// repeated fields add entries, an appended message field merges into the existing one.
function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}
const message = (number: number, ...parts: Buffer[]): Buffer => {
  const payload = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([...varint(number * 8 + 2), ...varint(payload.length)]), payload]);
};
const text = (number: number, value: string): Buffer => message(number, Buffer.from(value, 'utf8'));
const integer = (number: number, value: number): Buffer => Buffer.from([...varint(number * 8), ...varint(value)]);

/** ModelProto.opset_import { domain, version }. */
const opsetImport = (domain: string) => message(8, text(1, domain), integer(2, 1));
/** ModelProto.graph { node { op_type, domain } }. */
const nodeInDomain = (domain: string) => message(7, message(1, text(4, 'Tokenize'), text(7, domain)));
/** ModelProto.graph { initializer { name, data_type FLOAT, dims 1, external_data { location }, data_location EXTERNAL } }. */
const externalInitializer = (location: string) => message(7, message(5, integer(1, 1), integer(2, 1), text(8, 'extra_weight'), message(13, text(1, 'location'), text(2, location)), integer(14, 1)));

function isRefusal(pattern: RegExp) {
  return (error: unknown) => error instanceof ModelLoadError && pattern.test(error.message);
}

describe('model refusals: operators and native code', () => {
  let dir: { path: string; cleanup: () => void };
  before(() => {
    dir = tempDir();
  });
  after(() => dir.cleanup());

  /** A copy of the BERT fixture whose model.onnx has `extra` appended. */
  function bertWith(name: string, extra: Buffer): string {
    const model = join(dir.path, name);
    cpSync(BERT, model, { recursive: true });
    writeFileSync(join(model, 'model.onnx'), Buffer.concat([readFileSync(join(BERT, 'model.onnx')), extra]));
    return model;
  }

  it('refuses a graph that imports a custom-op domain', async () => {
    await assert.rejects(Embedder.load(bertWith('custom-opset', opsetImport('com.example.tokenizers')), OPTIONS), isRefusal(/'com\.example\.tokenizers'.*custom-op library/));
  });

  it('refuses a graph with a node from a custom-op domain', async () => {
    await assert.rejects(Embedder.load(bertWith('custom-node', nodeInDomain('ai.onnx.contrib')), OPTIONS), isRefusal(/'ai\.onnx\.contrib'/));
  });

  it("accepts ONNX Runtime's own contrib domain (com.microsoft), used by optimised exports", async () => {
    const embedder = await Embedder.load(bertWith('ms-domain', opsetImport('com.microsoft')), OPTIONS);
    assert.equal(embedder.dimension, 32);
    await embedder.dispose();
  });

  it('allows domains that the model defines itself as functions, and nothing else', () => {
    const functionDomain = message(25, text(1, 'Helper'), text(10, 'local.functions'), message(7, text(4, 'Add')));
    const model = Buffer.concat([readFileSync(join(BERT, 'model.onnx')), opsetImport('local.functions'), nodeInDomain('local.functions'), functionDomain]);
    const facts = inspectOnnxModel(model);
    assert.ok(facts.domains.has('local.functions'));
    assert.deepEqual(foreignDomains(facts), []);
    assert.deepEqual(foreignDomains(inspectOnnxModel(Buffer.concat([model, nodeInDomain('com.example')]))), ['com.example']);
  });

  it('refuses external weights that live outside the model folders', async () => {
    writeFileSync(join(dir.path, 'outside.bin'), Buffer.alloc(4));
    const model = bertWith('external', externalInitializer('../outside.bin'));
    await assert.rejects(Embedder.load(model, OPTIONS), isRefusal(/external weights .*outside the configured model folders/));
  });

  it('refuses a manifest or override file that asks for a custom-op library, and such embedder options', async () => {
    const native = join(dir.path, 'native-manifest');
    cpSync(TINY_MODEL, native, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(native, 'codegraph-model.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(native, 'codegraph-model.json'), JSON.stringify({ ...manifest, customOpsLibrary: './libtokenizers.so' }));
    await assert.rejects(Embedder.load(native, OPTIONS), isRefusal(/'customOpsLibrary'.*native code/));

    const override = join(dir.path, 'native-override');
    cpSync(BERT, override, { recursive: true });
    writeFileSync(join(override, 'codegraph-model.json'), JSON.stringify({ sessionOptions: { extra: {} } }));
    await assert.rejects(Embedder.load(override, OPTIONS), isRefusal(/'sessionOptions'/));

    await assert.rejects(Embedder.load(BERT, { ...OPTIONS, registerCustomOpsLibrary: '/tmp/libx.so' } as EmbedderOptions), isRefusal(/'registerCustomOpsLibrary'/));
  });
});

describe('model refusals: folders', () => {
  let dir: { path: string; cleanup: () => void };
  let root: string;
  let outside: string;
  before(() => {
    dir = tempDir();
    root = join(dir.path, 'models');
    outside = join(dir.path, 'elsewhere');
    mkdirSync(root);
    cpSync(BERT, join(root, 'bert'), { recursive: true });
    cpSync(BERT, join(outside, 'bert'), { recursive: true });
  });
  after(() => dir.cleanup());

  it('loads a model inside the configured folders, also through a link that stays inside', async () => {
    symlinkSync(join(root, 'bert'), join(root, 'alias'));
    for (const model of ['bert', 'alias']) {
      const embedder = await Embedder.load(join(root, model), { ...OPTIONS, modelRoots: [root] });
      assert.equal(embedder.dimension, 32);
      await embedder.dispose();
    }
  });

  it('refuses a model folder outside the configured folders', async () => {
    await assert.rejects(Embedder.load(join(outside, 'bert'), { ...OPTIONS, modelRoots: [root] }), isRefusal(/model directory .*outside the configured model folders/));
  });

  it('resolves links: a linked folder or model file that leads outside is refused', async () => {
    symlinkSync(join(outside, 'bert'), join(root, 'linked-out'));
    await assert.rejects(Embedder.load(join(root, 'linked-out'), { ...OPTIONS, modelRoots: [root] }), isRefusal(/really .*elsewhere/));

    const linkedFile = join(root, 'linked-file');
    cpSync(BERT, linkedFile, { recursive: true });
    rmSync(join(linkedFile, 'model.onnx'));
    symlinkSync(join(outside, 'bert', 'model.onnx'), join(linkedFile, 'model.onnx'));
    await assert.rejects(Embedder.load(linkedFile, { ...OPTIONS, modelRoots: [root] }), isRefusal(/model file .*outside/));

    const linkedConfig = join(root, 'linked-config');
    cpSync(BERT, linkedConfig, { recursive: true });
    rmSync(join(linkedConfig, 'config.json'));
    symlinkSync(join(outside, 'bert', 'config.json'), join(linkedConfig, 'config.json'));
    await assert.rejects(Embedder.load(linkedConfig, { ...OPTIONS, modelRoots: [root] }), isRefusal(/model metadata .*config\.json.*outside/));
  });

  it('refuses a manifest whose files point out of the folders with ../', async () => {
    const escaping = join(root, 'escaping');
    cpSync(TINY_MODEL, escaping, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(escaping, 'codegraph-model.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(escaping, 'codegraph-model.json'), JSON.stringify({ ...manifest, onnx: '../../elsewhere/bert/model.onnx' }));
    await assert.rejects(Embedder.load(escaping, { ...OPTIONS, modelRoots: [root] }), isRefusal(/model file .*outside/));
  });

  it('the engine allows the bundled and user model folders plus the explicit model, or only the given folders', () => {
    const explicit = resolveConfig({ root: dir.path, modelDir: join(outside, 'bert') });
    assert.deepEqual(explicit.modelRoots, [bundledModelsDir(), userModelsDir(), join(outside, 'bert')]);
    const configured = resolveConfig({ root: dir.path, modelDir: join(outside, 'bert'), modelRoots: [root] });
    assert.deepEqual(configured.modelRoots, [bundledModelsDir(), userModelsDir(), root]);
  });

  it('the engine refuses a configured model outside its model folders', async () => {
    const workspace = join(dir.path, 'workspace');
    mkdirSync(workspace, { recursive: true });
    await assert.rejects(
      CodeGraph.open({ root: workspace, cacheDir: join(dir.path, 'cache'), modelDir: join(outside, 'bert'), modelRoots: [root], workers: 1 }, { onModelError: 'throw' }),
      isRefusal(/outside the configured model folders/),
    );
    const graph = await CodeGraph.open({ root: workspace, cacheDir: join(dir.path, 'cache'), modelDir: join(root, 'bert'), modelRoots: [root], workers: 1 }, { onModelError: 'throw' });
    try {
      assert.match(graph.modelId ?? '', /^bert@/);
    } finally {
      await graph.dispose();
    }
  });
});
