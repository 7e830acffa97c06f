import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/index.js';
import { FolderIndex, type FolderRef } from '../../extension/core/folderIndex.js';
import { nullLogger } from '../../extension/core/logger.js';
import { inExcludedDirectory, relativeInside, WorkspaceIndexes } from '../../extension/core/workspaceIndexes.js';
import { FIXTURE_WORKSPACE, TINY_MODEL, tempDir } from '../helpers.js';

describe('multi-root workspace indexes', () => {
  const dir = tempDir('codegraph-multiroot-');
  // Two folders, each with part of the fixture; a third nested inside the first.
  const backend: FolderRef = { key: 'file:///backend', name: 'backend', root: join(dir.path, 'backend') };
  const systems: FolderRef = { key: 'file:///systems', name: 'systems', root: join(dir.path, 'systems') };
  const nested: FolderRef = { key: 'file:///nested', name: 'nested', root: join(dir.path, 'backend', 'go') };
  let indexes: WorkspaceIndexes;

  before(() => {
    for (const part of ['python', 'go', 'kotlin']) cpSync(join(FIXTURE_WORKSPACE, part), join(backend.root, part), { recursive: true });
    for (const part of ['rust', 'c', 'cpp']) cpSync(join(FIXTURE_WORKSPACE, part), join(systems.root, part), { recursive: true });
    indexes = new WorkspaceIndexes({
      createIndex: (folder) => new FolderIndex({ folder, open: (input, options) => CodeGraph.open(input, options), log: nullLogger, quietMs: 20, maxWaitMs: 200 }),
      settingsFor: (folder) => ({ input: { root: folder.root, cacheDir: join(dir.path, 'cache', folder.name), modelDir: TINY_MODEL, workers: 1 }, modelNotes: [] }),
      log: nullLogger,
    });
  });
  after(async () => {
    await indexes.closeAll();
    indexes.dispose();
    dir.cleanup();
  });

  it('opens one index per folder and searches across them', async () => {
    let changes = 0;
    indexes.onDidChange(() => changes++);
    const started = indexes.setFolders([backend, systems]);
    assert.equal(started.length, 2);
    const snapshots = await indexes.whenSettled();
    assert.deepEqual(
      snapshots.map((snapshot) => [snapshot.folder.name, snapshot.activity.kind, snapshot.files]),
      [
        ['backend', 'idle', 4],
        ['systems', 'idle', 3],
      ],
    );
    assert.ok(changes > 0);
    const retry = await indexes.search('retry with exponential backoff', { limit: 3 });
    assert.equal(retry.hits[0]?.folder.name, 'backend');
    const matrix = await indexes.search('matrix transpose', { limit: 3 });
    assert.equal(matrix.hits[0]?.folder.name, 'systems');
    assert.deepEqual(matrix.failures, []);
    const scores = (await indexes.search('path', { limit: 10 })).hits.map((entry) => entry.hit.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'merged best first');
  });

  it('routes file events to the innermost folder that contains them', async () => {
    indexes.setFolders([backend, systems, nested]);
    await indexes.whenSettled();
    assert.equal(indexes.locate(join(backend.root, 'go', 'router.go'))?.index.folder.name, 'nested');
    assert.equal(indexes.locate(join(backend.root, 'go', 'router.go'))?.relativePath, 'router.go');
    assert.equal(indexes.locate(join(backend.root, 'python', 'app.py'))?.relativePath, 'python/app.py');
    assert.equal(indexes.locate(join(dir.path, 'elsewhere.txt')), undefined);

    mkdirSync(join(systems.root, 'zig'), { recursive: true });
    writeFileSync(join(systems.root, 'zig', 'gcd.zig'), 'pub fn greatestCommonDivisor(a: u64, b: u64) u64 {\n    var x = a;\n    var y = b;\n    while (y != 0) {\n        const t = y;\n        y = x % y;\n        x = t;\n    }\n    return x;\n}\n');
    indexes.notifyChanged(join(systems.root, 'zig', 'gcd.zig'));
    await indexes.whenSettled();
    const found = await indexes.search('greatest common divisor', { limit: 3 });
    assert.equal(found.hits[0]?.folder.name, 'systems');
    assert.equal(found.hits[0]?.hit.path, 'zig/gcd.zig');
  });

  it('closes removed folders and keeps answering from the rest, reporting a folder that fails', async () => {
    const removed = indexes.get(nested.key)!;
    indexes.setFolders([backend, systems]);
    await removed.close();
    assert.equal(removed.snapshot().activity.kind, 'disposed');
    assert.equal(indexes.size, 2);

    rmSync(systems.root, { recursive: true, force: true });
    const broken = indexes.get(systems.key)!;
    await broken.reconfigure({ input: { root: systems.root, cacheDir: join(dir.path, 'cache', 'systems'), modelDir: TINY_MODEL, workers: 1 }, modelNotes: [] });
    const result = await indexes.search('retry', { limit: 5 });
    assert.ok(result.hits.length > 0 && result.hits.every((entry) => entry.folder.name === 'backend'));
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0]!.message, /not available: Workspace directory not found/);
  });

  it('drops events from directories the engine never indexes', () => {
    assert.equal(indexes.notifyChanged(join(backend.root, '.git', 'index')), false);
    assert.equal(indexes.notifyChanged(join(backend.root, 'web', 'node_modules', 'x', 'index.js')), false);
    assert.equal(inExcludedDirectory('build'), false, 'a file may be called build');
    assert.equal(indexes.notifyChanged(join(backend.root, 'python', 'app.py')), true);
    assert.equal(inExcludedDirectory('src/gitignored.py'), false);
    assert.equal(inExcludedDirectory('.github/workflows/ci.yml'), false);
  });

  it('computes folder-relative paths only inside the folder', () => {
    assert.equal(relativeInside('/w', '/w/a/b.py'), 'a/b.py');
    assert.equal(relativeInside('/w', '/w'), '');
    assert.equal(relativeInside('/w', '/wx/a.py'), null);
    assert.equal(relativeInside('/w', '/a.py'), null);
  });
});
