import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { ModelLoadError, NetworkError } from '../../engine/errors.js';
import { listModels, planPull, pullModel, resolveModelReference, type PullRecord, type RepoFile } from '../../engine/models/index.js';
import { startFakeHub, type FakeHub, type FakeHubOptions } from '../fakeHub.js';
import { tempDir, TINY_MODEL } from '../helpers.js';

const REPO = 'test-org/tiny';
/** The tiny test model's files, served as a Hub repo (the ONNX file under onnx/, as optimum exports do). */
const TINY_FILES = new Map<string, Buffer>([
  ['codegraph-model.json', readFileSync(join(TINY_MODEL, 'codegraph-model.json'))],
  ['tokenizer.json', readFileSync(join(TINY_MODEL, 'tokenizer.json'))],
  ['model.onnx', readFileSync(join(TINY_MODEL, 'model.onnx'))],
  ['README.md', Buffer.from('# tiny\nNot downloaded: not part of the model.\n')],
]);

/** Fast retries, so injected faults cost milliseconds. */
const QUICK = { backoffMs: 10, stallTimeoutMs: 5_000 };

describe('model pull from a Hugging Face–style hub', () => {
  const scratch = tempDir('codegraph-pull-');
  let hub: FakeHub | undefined;
  let run = 0;
  let modelsDir = '';
  const start = async (options: Partial<FakeHubOptions> = {}) => {
    hub = await startFakeHub({ repo: REPO, files: TINY_FILES, ...options });
    modelsDir = join(scratch.path, `models-${run++}`);
    return hub;
  };
  const userModels = () => listModels({ userDir: modelsDir }).filter((model) => model.source === 'user');
  const downloadsOf = (path: string) => hub!.requests.filter((request) => request.url.endsWith(`/${path}`));

  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    delete process.env['HF_ENDPOINT'];
  });
  after(() => scratch.cleanup());

  it('downloads through a redirect, resumes the cut ONNX transfer with a Range request, and installs byte-identical verified files', async () => {
    const server = await start({ redirect: ['model.onnx'], interrupt: { path: 'model.onnx', times: 1 } });
    // Only HF_ENDPOINT points the pull at the local server.
    process.env['HF_ENDPOINT'] = `${server.endpoint}/`;
    const progress: number[] = [];
    const result = await pullModel({ repo: REPO, modelsDir, ...QUICK, onProgress: (event) => event.phase === 'downloading' && progress.push(event.bytesDone) });

    assert.equal(result.id, 'test-org--tiny');
    assert.equal(result.dir, join(modelsDir, 'test-org--tiny'));
    for (const file of ['codegraph-model.json', 'tokenizer.json', 'model.onnx']) {
      assert.ok(readFileSync(join(result.dir, file)).equals(TINY_FILES.get(file)!), `${file} is byte-identical`);
    }
    assert.equal(existsSync(join(result.dir, 'README.md')), false, 'files the model does not need are not downloaded');
    // The second request for the ONNX file asked for the rest only.
    const onnxFetches = downloadsOf('model.onnx');
    assert.equal(onnxFetches.filter((request) => request.url.startsWith('/cdn/')).length, 2, 'both ONNX transfers followed the redirect');
    const resume = onnxFetches.find((request) => request.range !== null);
    assert.ok(resume, `a resume request: ${JSON.stringify(onnxFetches)}`);
    const from = Number(/^bytes=(\d+)-$/.exec(resume.range!)![1]);
    assert.ok(from > 0 && from <= TINY_FILES.get('model.onnx')!.length / 2, `resumed from byte ${from}`);
    assert.ok(hub!.requests.some((request) => request.url.startsWith('/api/models/test-org/tiny/tree/')), 'sizes and hashes came from the tree API');
    assert.ok(progress.at(-1)! >= progress[0]!);

    const record = JSON.parse(readFileSync(join(result.dir, 'codegraph-pull.json'), 'utf8')) as PullRecord;
    assert.equal(record.repo, REPO);
    assert.equal(record.revision, 'main');
    assert.equal(record.commit, server.commit);
    assert.equal(record.onnx, 'model.onnx');
    assert.deepEqual(record.files.map((file) => file.path).sort(), ['codegraph-model.json', 'model.onnx', 'tokenizer.json']);
    const onnx = record.files.find((file) => file.path === 'model.onnx')!;
    assert.equal(onnx.size, TINY_FILES.get('model.onnx')!.length);
    assert.match(onnx.sha256, /^[0-9a-f]{64}$/);
    // No staging folder or partial file is left beside the model.
    assert.deepEqual(readdirSync(modelsDir), ['test-org--tiny']);
    assert.deepEqual(readdirSync(result.dir).filter((name) => name.endsWith('.partial')), []);

    // The installed model is found by its id, its repo id and its manifest id.
    assert.deepEqual(userModels().map((model) => [model.id, model.manifestId, model.pull?.commit]), [['test-org--tiny', 'codegraph-tiny-test', server.commit]]);
    for (const reference of ['test-org--tiny', REPO, 'codegraph-tiny-test']) {
      assert.equal(resolveModelReference(reference, { userDir: modelsDir }, scratch.path), result.dir, reference);
    }
  });

  it('pulling the installed commit again downloads nothing; another commit needs --force', async () => {
    const server = await start();
    const first = await pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, ...QUICK });
    const again = await pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, ...QUICK });
    assert.equal(again.downloaded, false);
    assert.equal(downloadsOf('model.onnx').length, 1);
    await server.close();

    hub = await startFakeHub({ repo: REPO, files: TINY_FILES, commit: 'beef000000000000000000000000000000000002' });
    await assert.rejects(pullModel({ repo: REPO, modelsDir, endpoint: hub.endpoint, ...QUICK }), /already holds test-org\/tiny@c0ffee000000.*--force/);
    const replaced = await pullModel({ repo: REPO, modelsDir, endpoint: hub.endpoint, force: true, ...QUICK });
    assert.equal(replaced.dir, first.dir);
    assert.equal(replaced.record.commit, 'beef000000000000000000000000000000000002');
    assert.deepEqual(readdirSync(modelsDir), ['test-org--tiny']);
  });

  it('fails an ONNX file whose sha256 differs from the listing, deletes it and installs nothing', async () => {
    const server = await start({ corrupt: 'model.onnx' });
    await assert.rejects(pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, ...QUICK }), (error: unknown) => {
      assert.ok(error instanceof NetworkError, String(error));
      assert.match(error.message, /model\.onnx failed its integrity check: sha256 [0-9a-f]{64} instead of [0-9a-f]{64}/);
      assert.match(String(error.details['hint']), /nothing was installed/);
      return true;
    });
    assert.deepEqual(userModels(), []);
    assert.equal(existsSync(join(modelsDir, 'test-org--tiny')), false);
    const staged = join(modelsDir, '.test-org--tiny.pull');
    assert.equal(existsSync(join(staged, 'model.onnx')) || existsSync(join(staged, 'model.onnx.partial')), false, 'the bad bytes are gone');
  });

  it('a pull that gives up mid-file leaves no model that looks installed, and the next pull resumes from the bytes on disk', async () => {
    const server = await start({ interrupt: { path: 'model.onnx', times: 1 } });
    await assert.rejects(pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, attempts: 1, ...QUICK }), (error: unknown) => error instanceof NetworkError && /failed after 1 attempts/.test(error.message));
    assert.deepEqual(userModels(), [], 'nothing is listed');
    assert.throws(() => resolveModelReference('test-org--tiny', { userDir: modelsDir }, scratch.path), ModelLoadError);
    const partial = join(modelsDir, '.test-org--tiny.pull', 'model.onnx.partial');
    const kept = readFileSync(partial).length;
    assert.ok(kept > 0, 'the received half is kept');

    const result = await pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, ...QUICK });
    assert.ok(readFileSync(join(result.dir, 'model.onnx')).equals(TINY_FILES.get('model.onnx')!));
    assert.equal(downloadsOf('model.onnx').at(-1)!.range, `bytes=${kept}-`);
    // Files verified in the first run were not fetched again.
    assert.equal(downloadsOf('tokenizer.json').length, 1);
  });

  it('starts the file over when the server answers a resume request with the whole file', async () => {
    const server = await start({ interrupt: { path: 'model.onnx', times: 1 }, ignoreRange: true });
    const result = await pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, ...QUICK });
    assert.ok(downloadsOf('model.onnx').at(-1)!.range !== null, 'a resume was asked for');
    assert.ok(readFileSync(join(result.dir, 'model.onnx')).equals(TINY_FILES.get('model.onnx')!));
  });

  it('fails clearly, before downloading, for a repo without an ONNX export or without tokenizer.json', async () => {
    const noOnnx = new Map([...TINY_FILES].filter(([path]) => path !== 'model.onnx'));
    let server = await start({ files: noOnnx });
    await assert.rejects(pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint }), (error: unknown) => error instanceof ModelLoadError && /test-org\/tiny has no ONNX export/.test(error.message));
    assert.equal(server.requests.filter((request) => request.url.includes('/resolve/')).length, 0);
    await server.close();

    const noTokenizer = new Map([...TINY_FILES].filter(([path]) => path !== 'tokenizer.json'));
    server = hub = await startFakeHub({ repo: REPO, files: noTokenizer });
    await assert.rejects(pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint }), (error: unknown) => error instanceof ModelLoadError && /has no tokenizer\.json/.test(error.message));
    assert.equal(existsSync(modelsDir) && readdirSync(modelsDir).some((name) => !name.startsWith('.')), false);
  });

  it('sends HF_TOKEN as a bearer token and reports a missing repo as not found', async () => {
    const server = await start();
    process.env['HF_TOKEN'] = 'hf_test_token';
    try {
      await pullModel({ repo: REPO, modelsDir, endpoint: server.endpoint, ...QUICK });
      await assert.rejects(pullModel({ repo: 'test-org/missing', modelsDir, endpoint: server.endpoint }), (error: unknown) => (error as { code?: string }).code === 'NOT_FOUND');
    } finally {
      delete process.env['HF_TOKEN'];
    }
    assert.ok(server.requests.every((request) => request.authorization === 'Bearer hf_test_token'));
  });
});

describe('choosing the files of a repo', () => {
  const file = (path: string, size = 10): RepoFile => ({ path, size, sha256: null, gitOid: null });
  const repo = ['tokenizer.json', 'config.json', 'modules.json', '1_Pooling/config.json', 'README.md', 'model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx', 'onnx/model_quantized.onnx_data', 'pytorch_model.bin'].map((path) => file(path));

  it('prefers onnx/model.onnx and takes the tokenizer and config files', () => {
    const plan = planPull('o/n', repo);
    assert.equal(plan.onnx, 'onnx/model.onnx');
    assert.deepEqual(plan.files.map((entry) => entry.path), ['tokenizer.json', 'config.json', 'modules.json', '1_Pooling/config.json', 'onnx/model.onnx']);
    assert.equal(plan.totalBytes, 50);
  });

  it('takes the ONNX file asked for, with its external data', () => {
    const plan = planPull('o/n', repo, 'onnx/model_quantized.onnx');
    assert.deepEqual(plan.files.slice(-2).map((entry) => entry.path), ['onnx/model_quantized.onnx', 'onnx/model_quantized.onnx_data']);
  });

  it('names the ONNX files there are when the choice is impossible, and rejects paths outside the repo', () => {
    assert.throws(() => planPull('o/n', repo, 'onnx/model_fp16.onnx'), /o\/n has no file onnx\/model_fp16\.onnx; its ONNX files: model\.onnx, onnx\/model\.onnx, onnx\/model_quantized\.onnx/);
    assert.throws(() => planPull('o/n', [file('tokenizer.json'), file('onnx/encoder.onnx')]), /no onnx\/model\.onnx or model\.onnx; its ONNX files: onnx\/encoder\.onnx/);
    assert.throws(() => planPull('o/n', repo, '../../etc/model.onnx'), ModelLoadError);
  });

  it('lists pulled models after the bundled ones, marks the default, and skips unfinished pulls', () => {
    const dir = tempDir('codegraph-registry-');
    try {
      mkdirSync(join(dir.path, 'a--b'));
      writeFileSync(join(dir.path, 'a--b', 'codegraph-pull.json'), JSON.stringify({ repo: 'a/b', commit: 'c1' }));
      mkdirSync(join(dir.path, '.c--d.pull'));
      writeFileSync(join(dir.path, '.c--d.pull', 'tokenizer.json'), '{}');
      mkdirSync(join(dir.path, 'not-a-model'));
      const models = listModels({ userDir: dir.path });
      const user = models.filter((model) => model.source === 'user');
      assert.deepEqual(user.map((model) => model.id), ['a--b']);
      assert.equal(models.filter((model) => model.isDefault).length, 1);
      assert.ok(models.findIndex((model) => model.source === 'user') > models.findIndex((model) => model.isDefault));
      assert.throws(() => resolveModelReference('c/d', { userDir: dir.path }, dir.path), (error: unknown) => error instanceof ModelLoadError && error.details['hint'] === 'Pull it first: codegraph model pull c/d');
    } finally {
      dir.cleanup();
    }
  });
});
