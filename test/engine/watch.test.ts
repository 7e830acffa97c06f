import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { ChangeCoalescer } from '../../engine/watch/coalescer.js';
import { WorkspaceWatcher } from '../../engine/watch/watcher.js';
import { tempDir } from '../helpers.js';
import { recordFault } from '../reliability/faultRecord.js';

describe('change coalescing', () => {
  it('turns a storm of events into one batch of distinct paths', async () => {
    const batches: string[][] = [];
    const coalescer = new ChangeCoalescer(async (paths) => void batches.push(paths), 20, 1000);
    for (let i = 0; i < 10_000; i++) coalescer.add(`src/file${i % 5000}.ts`);
    await sleep(80);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.length, 5000);
    coalescer.dispose();
  });

  it('flushes by the maximum wait even while events keep coming', async () => {
    const batches: string[][] = [];
    const coalescer = new ChangeCoalescer(async (paths) => void batches.push(paths), 50, 100);
    for (let i = 0; i < 12; i++) {
      coalescer.add(`f${i}`);
      await sleep(15);
    }
    assert.ok(batches.length >= 1);
    coalescer.dispose();
  });

  it('loses no event that arrives while paused or while a batch is running', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const coalescer = new ChangeCoalescer(async (paths) => {
      batches.push(paths);
      if (batches.length === 1) await gate;
    }, 10, 1000);
    coalescer.pause();
    coalescer.add('a');
    await sleep(30);
    assert.equal(batches.length, 0);
    coalescer.resume();
    await sleep(5);
    coalescer.add('b');
    release();
    await coalescer.flush();
    await sleep(30);
    await coalescer.flush();
    assert.deepEqual(batches, [['a'], ['b']]);
    coalescer.dispose();
  });
});

describe('the watcher and ignore files', { timeout: 90_000 }, () => {
  const dir = tempDir('codegraph-watch-ignore-');
  const root = join(dir.path, 'workspace');
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  after(() => dir.cleanup());

  it('reloads the rules when any ignore file changes, indexing what became visible and removing what became hidden', async () => {
    write('.gitignore', 'docs/\n');
    write('src/app.py', 'def run_app():\n    return 1\n');
    write('docs/guide.py', 'def guide_example():\n    return 2\n');
    write('tests/test_app.py', 'def test_app():\n    assert True\n');
    write('pkg/gen/out.py', 'def generated_output():\n    return 3\n');
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: null, workers: 1 });
    const errors: unknown[] = [];
    const watcher = await WorkspaceWatcher.start(graph, { quietMs: 50, maxWaitMs: 500, onError: (error) => errors.push(error) });
    const storedPaths = async () => [...(await graph.store.files()).keys()].sort();
    // Polls: the watcher's batches land asynchronously; the deadline only catches one that never comes.
    const settlesTo = async (expected: string[]) => {
      const deadline = Date.now() + 10_000;
      let paths = await storedPaths();
      while (Date.now() < deadline && JSON.stringify(paths) !== JSON.stringify(expected)) {
        await sleep(100);
        paths = await storedPaths();
      }
      return paths;
    };
    const trials: { step: string; ok: boolean; stored: string[] }[] = [];
    const step = async (name: string, change: () => void, expected: string[]) => {
      change();
      const stored = await settlesTo(expected);
      trials.push({ step: name, ok: JSON.stringify(stored) === JSON.stringify(expected), stored });
    };
    try {
      await graph.index();
      assert.deepEqual(await storedPaths(), ['pkg/gen/out.py', 'src/app.py', 'tests/test_app.py']);
      await step('rule for docs/ removed, tests/ added in .gitignore', () => write('.gitignore', 'tests/\n'), ['docs/guide.py', 'pkg/gen/out.py', 'src/app.py']);
      await step('a file in the revealed docs/ edited', () => write('docs/added.py', 'def added_later():\n    return 4\n'), ['docs/added.py', 'docs/guide.py', 'pkg/gen/out.py', 'src/app.py']);
      await step('a nested pkg/.gitignore hides gen/', () => write('pkg/.gitignore', 'gen/\n'), ['docs/added.py', 'docs/guide.py', 'src/app.py']);
      await step('a .codegraphignore hides docs/guide.py', () => write('.codegraphignore', 'guide.py\n'), ['docs/added.py', 'src/app.py']);
      await step('the .codegraphignore deleted', () => rmSync(join(root, '.codegraphignore')), ['docs/added.py', 'docs/guide.py', 'src/app.py']);
    } finally {
      await watcher.close();
      await graph.dispose();
    }
    recordFault({
      fault: 'hostile-watch-ignore-edit',
      description: 'With the watcher running: a .gitignore rule removed and another added, a file created in the revealed directory, a nested .gitignore added, a .codegraphignore added and deleted',
      trials: trials.length,
      survived: trials.filter((trial) => trial.ok).length,
      lost: trials.every((trial) => trial.ok) && errors.length === 0 ? 'nothing (each change reconciled the index with the new rules)' : `${trials.filter((trial) => !trial.ok).map((trial) => `${trial.step}: stored ${trial.stored.join(', ')}`).join('; ')}${errors.length ? `; errors ${errors.map(String).join('; ')}` : ''}`,
      details: Object.fromEntries(trials.map((trial) => [trial.step, trial.stored])),
    });
    assert.deepEqual(errors, []);
    for (const trial of trials) assert.ok(trial.ok, `${trial.step}: stored ${trial.stored.join(', ')}`);
  });
});
