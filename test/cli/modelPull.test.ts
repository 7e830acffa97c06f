import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeHub, type FakeHub } from '../fakeHub.js';
import { copyFixtureWorkspace, REPO_ROOT, tempDir, TINY_MODEL } from '../helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'codegraph.js');

describe('codegraph model pull / list, and --model <installed id>', () => {
  const workspace = copyFixtureWorkspace();
  const home = tempDir('codegraph-model-home-');
  let hub: FakeHub;

  /** Asynchronous, so this process's fake hub can answer the child's requests. */
  const codegraph = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: { ...process.env, CODEGRAPH_MODEL_HOME: home.path, CODEGRAPH_CACHE_HOME: join(home.path, 'cache'), ...env } }, (error, stdout, stderr) =>
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  before(async () => {
    const files = new Map(['codegraph-model.json', 'tokenizer.json', 'model.onnx'].map((name) => [name, readFileSync(join(TINY_MODEL, name))]));
    hub = await startFakeHub({ repo: 'test-org/tiny', files, redirect: ['model.onnx'], interrupt: { path: 'model.onnx', times: 1 } });
  });
  after(async () => {
    await hub.close();
    workspace.cleanup();
    home.cleanup();
  });

  it('pulls from HF_ENDPOINT, lists the model, and indexes and searches with it selected by id', async () => {
    const pulled = await codegraph({ HF_ENDPOINT: hub.endpoint }, 'model', 'pull', 'test-org/tiny', '--json');
    assert.equal(pulled.status, 0, pulled.stderr);
    const record = JSON.parse(pulled.stdout) as { id: string; dir: string; commit: string; downloaded: boolean };
    assert.equal(record.id, 'test-org--tiny');
    assert.equal(record.commit, hub.commit);
    assert.ok(hub.requests.some((request) => request.range !== null), 'the cut transfer was resumed');

    const listed = await codegraph({}, 'model', 'list', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const models = JSON.parse(listed.stdout) as { id: string; source: string; isDefault: boolean; repo: string | null }[];
    assert.deepEqual(models.filter((model) => model.source === 'user').map((model) => [model.id, model.repo]), [['test-org--tiny', 'test-org/tiny']]);
    assert.equal(models.filter((model) => model.isDefault).length, 1);

    // Indexed first with a bundled model (named by id), then with the pulled one: each model has an index of its own
    // (one per model and settings), so the second run builds a fresh one and embeds every chunk.
    const before = await codegraph({}, 'index', workspace.root, '--model', 'codegraph-rp-v0', '--workers', '1', '--json');
    assert.equal(before.status, 0, before.stderr);
    assert.match((JSON.parse(before.stdout) as { modelId: string }).modelId, /^codegraph-rp-v0@/);
    const indexed = await codegraph({}, 'index', workspace.root, '--model', 'test-org--tiny', '--workers', '1', '--json');
    assert.equal(indexed.status, 0, indexed.stderr);
    const summary = JSON.parse(indexed.stdout) as { modelId: string; filesChanged: number; chunksEmbedded: number; chunksTotal: number };
    assert.match(summary.modelId, /^codegraph-tiny-test@/);
    assert.equal(summary.filesChanged, 14);
    assert.equal(summary.chunksEmbedded, summary.chunksTotal);
    const again = await codegraph({}, 'index', workspace.root, '--model', 'codegraph-rp-v0', '--workers', '1', '--json');
    assert.equal((JSON.parse(again.stdout) as { chunksEmbedded: number }).chunksEmbedded, 0, "the first model's index was left as it was");

    // The repo id names the same model; the index is current, so nothing is re-embedded.
    const searched = await codegraph({}, 'search', 'token bucket rate limiter', '--dir', workspace.root, '--model', 'test-org/tiny', '--workers', '1', '--json', '-n', '3');
    assert.equal(searched.status, 0, searched.stderr);
    assert.equal((JSON.parse(searched.stdout) as { path: string }[])[0]!.path, 'python/rate_limiter.py');
  });

  it('exits with the model code for an ONNX file the repo lacks or an unknown model id, and the network code for an unreachable hub', async () => {
    const noOnnx = await codegraph({ HF_ENDPOINT: hub.endpoint }, 'model', 'pull', 'test-org/tiny', '--onnx-file', 'onnx/model_quantized.onnx');
    assert.equal(noOnnx.status, 5, noOnnx.stderr);
    assert.match(noOnnx.stderr, /test-org\/tiny has no file onnx\/model_quantized\.onnx; its ONNX files: model\.onnx/);

    const closed = await startFakeHub({ repo: 'x/y', files: new Map() });
    await closed.close();
    const unreachable = await codegraph({ HF_ENDPOINT: closed.endpoint }, 'model', 'pull', 'test-org/tiny');
    assert.equal(unreachable.status, 6, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+/);

    const unknown = await codegraph({}, 'index', workspace.root, '--model', 'someone/else', '--workers', '1');
    assert.equal(unknown.status, 5);
    assert.match(unknown.stderr, /No model 'someone\/else'.*\n {2}hint: Pull it first: codegraph model pull someone\/else/);
  });
});
