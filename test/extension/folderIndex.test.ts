import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph, defaultModelDir } from '../../engine/index.js';
import { EngineUnavailableError } from '../../extension/core/errors.js';
import { FolderIndex, type EngineOpener, type FolderActivity, type FolderEngineSettings } from '../../extension/core/folderIndex.js';
import type { Logger } from '../../extension/core/logger.js';
import { copyFixtureWorkspace, defaultModelId, LEVENSHTEIN_PY, tempDir, TINY_MODEL } from '../helpers.js';

const open: EngineOpener = (input, options) => CodeGraph.open(input, options);
/** The engines it opened, and how often each was asked to warm up. */
const warmUps: number[] = [];
const countingOpen: EngineOpener = async (input, options) => {
  const engine = await CodeGraph.open(input, options);
  const slot = warmUps.push(0) - 1;
  const warmUp = engine.warmUp.bind(engine);
  engine.warmUp = () => {
    warmUps[slot]!++;
    return warmUp();
  };
  return engine;
};

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { lines, trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: (message) => lines.push(`error ${message}`) };
}


describe('a folder index on the real engine', () => {
  const workspace = copyFixtureWorkspace();
  const settings = (modelDir: string | null = TINY_MODEL): FolderEngineSettings => ({ input: { root: workspace.root, cacheDir: workspace.cache, modelDir, workers: 1 }, modelNotes: [] });
  const log = recordingLogger();
  let index: FolderIndex;
  const activities: FolderActivity['kind'][] = [];
  const symbols = async (query: string) => (await index.search(query, { limit: 5 })).map((hit) => `${hit.path}:${hit.symbol}`);

  before(async () => {
    index = new FolderIndex({ folder: { key: 'file:///fixture', name: 'fixture', root: workspace.root }, open: countingOpen, log, quietMs: 20, maxWaitMs: 200 });
    index.onDidChange((snapshot) => {
      if (activities[activities.length - 1] !== snapshot.activity.kind) activities.push(snapshot.activity.kind);
    });
    await index.start(settings());
  });
  after(async () => {
    await index.close();
    workspace.cleanup();
  });

  it('opens, indexes the folder and settles idle with counts and the model', async () => {
    const snapshot = await index.whenSettled();
    assert.equal(snapshot.activity.kind, 'idle');
    assert.deepEqual(activities.slice(0, 3), ['opening', 'indexing', 'idle']);
    assert.equal(snapshot.files, 14);
    assert.ok(snapshot.chunks > 30);
    assert.match(snapshot.modelId ?? '', /^codegraph-tiny-test@/);
    assert.equal(snapshot.serviceLevel, 'hybrid');
    assert.equal(snapshot.lastSummary?.filesChanged, 14);
    assert.ok(snapshot.generation > 0);
    assert.ok((await symbols('token bucket rate limiter'))[0]?.startsWith('python/rate_limiter.py'));
  });

  it('warms the engine up for edits once its first full index is done', async () => {
    await index.whenSettled();
    assert.deepEqual(warmUps, [1]);
  });

  it('indexes a changed file reported by an event, and bumps the generation', async () => {
    const before = index.generation;
    appendFileSync(join(workspace.root, 'python', 'app.py'), `\n\n${LEVENSHTEIN_PY}`);
    index.notifyChanged('python/app.py');
    const snapshot = await index.whenSettled();
    assert.equal(snapshot.lastSummary?.filesChanged, 1);
    assert.ok(snapshot.generation > before);
    assert.ok((await symbols('levenshtein edit distance')).includes('python/app.py:levenshtein_distance'));
  });

  it('holds changes while paused and indexes every one of them on resume', async () => {
    index.pause();
    writeFileSync(join(workspace.root, 'python', 'checksum.py'), 'def adler32_checksum(data):\n    """Adler-32 checksum of bytes."""\n    a, b = 1, 0\n    for byte in data:\n        a = (a + byte) % 65521\n        b = (b + a) % 65521\n    return (b << 16) | a\n');
    index.notifyChanged('python/checksum.py');
    writeFileSync(join(workspace.root, 'go', 'clamp.go'), 'package util\n\n// ClampInteger limits value to the range [low, high].\nfunc ClampInteger(value, low, high int) int {\n\tif value < low {\n\t\treturn low\n\t}\n\tif value > high {\n\t\treturn high\n\t}\n\treturn value\n}\n');
    index.notifyChanged('go/clamp.go');
    await new Promise((resolve) => setTimeout(resolve, 300)); // well past quietMs and maxWaitMs
    const paused = index.snapshot();
    assert.deepEqual(paused.activity, { kind: 'paused', pendingChanges: 2, fullIndexPending: false });
    assert.ok(!(await symbols('adler32 checksum')).includes('python/checksum.py:adler32_checksum'), 'nothing indexed while paused');
    index.resume();
    const resumed = await index.whenSettled();
    assert.equal(resumed.activity.kind, 'idle');
    assert.ok((await symbols('adler32 checksum')).includes('python/checksum.py:adler32_checksum'));
    assert.ok((await symbols('clamp integer range')).includes('go/clamp.go:ClampInteger'));
  });

  it('defers a full index requested while paused until resume', async () => {
    const reindex = index.reindex();
    index.pause();
    assert.equal(await reindex, null);
    assert.deepEqual(index.snapshot().activity, { kind: 'paused', pendingChanges: 0, fullIndexPending: true });
    index.resume();
    const snapshot = await index.whenSettled();
    assert.equal(snapshot.activity.kind, 'idle');
    assert.equal(snapshot.lastSummary?.filesDiscovered, 16);
  });

  it('re-embeds every chunk when reopened with another model', async () => {
    await index.reconfigure(settings(defaultModelDir()));
    const snapshot = await index.whenSettled();
    assert.ok((snapshot.modelId ?? '').startsWith(`${defaultModelId()}@`), snapshot.modelId ?? 'no model');
    assert.equal(snapshot.lastSummary?.chunksEmbedded, snapshot.chunks);
    assert.ok(log.lines.some((line) => /Model changed from codegraph-tiny-test/.test(line)));
  });

  it('falls back to the bundled default model when the configured one cannot load, and says why', async () => {
    await index.reconfigure(settings(join(workspace.root, 'no-such-model')));
    const snapshot = await index.whenSettled();
    assert.equal(snapshot.serviceLevel, 'hybrid');
    assert.equal(snapshot.modelFallback?.requested, join(workspace.root, 'no-such-model'));
    assert.equal(snapshot.modelFallback?.active, defaultModelDir());
    assert.match(snapshot.modelFallback?.reason ?? '', /Model directory not found/);
    assert.equal(snapshot.activity.kind, 'idle');
    assert.ok((await symbols('TokenBucket')).some((entry) => entry.startsWith('python/rate_limiter.py')));
  });

  it('clears the cache and rebuilds the index from the sources', async () => {
    await index.reconfigure(settings());
    await index.whenSettled();
    await index.clear(settings());
    const snapshot = await index.whenSettled();
    assert.equal(snapshot.lastSummary?.filesChanged, snapshot.files);
    assert.equal(snapshot.lastSummary?.chunksEmbedded, snapshot.chunks);
    assert.ok(existsSync(join(workspace.cache, 'index.sqlite')));
  });
});

describe('a folder index that cannot open', () => {
  it('reports the failure and refuses queries with a typed error', async () => {
    const index = new FolderIndex({ folder: { key: 'file:///missing', name: 'missing', root: '/definitely/not/here' }, open, log: recordingLogger() });
    await index.start({ input: { root: '/definitely/not/here', modelDir: null, workers: 1 }, modelNotes: [] });
    const snapshot = await index.whenSettled();
    assert.equal(snapshot.activity.kind, 'failed');
    assert.match(snapshot.activity.kind === 'failed' ? snapshot.activity.message : '', /Workspace directory not found/);
    await assert.rejects(index.search('x', {}), EngineUnavailableError);
    await index.close();
    assert.equal(index.snapshot().activity.kind, 'disposed');
    await assert.rejects(index.search('x', {}), /the folder was closed/);
  });
});

describe('a folder index when an ignore file changes', () => {
  const dir = tempDir('codegraph-folder-ignore-');
  const root = join(dir.path, 'workspace');
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  after(() => dir.cleanup());

  it('re-walks the folder with the new rules when only the ignore file is reported changed', async () => {
    write('.gitignore', 'docs/\n');
    write('src/app.py', 'def run_app():\n    return 1\n');
    write('docs/guide.py', 'def guide_example():\n    return 2\n');
    write('tests/test_app.py', 'def test_app():\n    assert True\n');
    write('pkg/gen/out.py', 'def generated_output():\n    return 3\n');
    const log = recordingLogger();
    const index = new FolderIndex({ folder: { key: 'file:///ignore', name: 'ignore', root }, open, log, quietMs: 20, maxWaitMs: 200 });
    const stored = async () => [...(await index.engine!.store.files()).keys()].sort();
    try {
      await index.start({ input: { root, cacheDir: join(dir.path, 'cache'), modelDir: null, workers: 1 }, modelNotes: [] });
      await index.whenSettled();
      assert.deepEqual(await stored(), ['pkg/gen/out.py', 'src/app.py', 'tests/test_app.py']);
      // VS Code's watcher reports the ignore file itself; nothing under docs/ or tests/ changed.
      write('.gitignore', 'tests/\n');
      index.notifyChanged('.gitignore');
      await index.whenSettled();
      assert.deepEqual(await stored(), ['docs/guide.py', 'pkg/gen/out.py', 'src/app.py']);
      write('pkg/.codegraphignore', 'gen/\n');
      index.notifyChanged('pkg/.codegraphignore');
      await index.whenSettled();
      assert.deepEqual(await stored(), ['docs/guide.py', 'src/app.py']);
      assert.ok(log.lines.some((line) => /pkg\/\.codegraphignore changed; re-walking/.test(line)));
    } finally {
      await index.close();
    }
  });
});
