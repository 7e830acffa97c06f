/**
 * The vector file (engine/vectorfile) is a copy of the cache's vectors for
 * fast starts; SQLite stays the truth. A file that is stale (written before
 * the cache last changed), cut off, damaged, left half-written by a killed
 * process, or absent (a cache from before the file existed) must be detected
 * and rebuilt from the cache, with one message, and search must answer
 * exactly as from a fresh load.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { generationAfter, readVectorFile, VECTOR_FILE, vectorFileGeneration } from '../../engine/vectorfile/index.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { copyFixtureWorkspace, TINY_MODEL } from '../helpers.js';
import { recordFault } from './faultRecord.js';

const workspace = copyFixtureWorkspace();
after(() => workspace.cleanup());

const QUERIES = ['token bucket rate limiter', 'levenshtein edit distance', 'parse json config', 'http request handler', 'binary search'];

async function withGraph<T>(cache: string, work: (graph: CodeGraph, logs: string[]) => Promise<T>): Promise<T> {
  const logs: string[] = [];
  const graph = await CodeGraph.open({ root: workspace.root, cacheDir: join(workspace.cache, cache), modelDir: TINY_MODEL, workers: 1 }, { log: (line) => logs.push(line) });
  try {
    return await work(graph, logs);
  } finally {
    await graph.dispose();
  }
}

/** Every mode's hits for the queries, scores included. */
async function answers(graph: CodeGraph): Promise<unknown[]> {
  const all: unknown[] = [];
  for (const query of QUERIES) for (const mode of ['hybrid', 'dense'] as const) all.push(await graph.search(query, { mode, limit: 10 }));
  return all;
}

const vectorFile = (cache: string) => join(workspace.cache, cache, VECTOR_FILE);
const rebuildMessages = (logs: string[]) => logs.filter((line) => /vector file/i.test(line));

describe('the vector file', () => {
  let reference: unknown[];
  before(async () => {
    await withGraph('reference', (graph) => graph.index());
    // The reference answers come from the store's rows: no file.
    rmSync(vectorFile('reference'));
    reference = await withGraph('reference', (graph) => answers(graph));
  });

  it('is written by an index run and read on the next start, with the same answers and no message', async () => {
    await withGraph('plain', (graph) => graph.index());
    assert.ok(existsSync(vectorFile('plain')), 'the index run saved it');
    await withGraph('plain', async (graph, logs) => {
      assert.deepEqual(await answers(graph), reference);
      assert.deepEqual(rebuildMessages(logs), []);
    });
  });

  const damages = {
    stale: (path: string, cache: string) => {
      // A file of an earlier state: saved aside, the workspace changes and is re-indexed, the old file put back.
      copyFileSync(path, `${path}.old`);
      return async () => {
        const edited = join(workspace.root, 'python', 'vector_file_probe.py');
        writeFileSync(edited, 'def vector_file_probe(values):\n    """Sum the values twice."""\n    return 2 * sum(values)\n');
        await withGraph(cache, (graph) => graph.index());
        rmSync(edited);
        await withGraph(cache, (graph) => graph.index());
        copyFileSync(`${path}.old`, path);
        rmSync(`${path}.old`);
      };
    },
    truncated: (path: string) => () => truncateSync(path, Math.floor(statSync(path).size / 2)),
    corrupt: (path: string) => () => {
      const bytes = readFileSync(path);
      for (let i = bytes.length - 200; i < bytes.length; i += 7) bytes[i] = bytes[i]! ^ 0x5a;
      writeFileSync(path, bytes);
    },
    'header-garbage': (path: string) => () => {
      const bytes = readFileSync(path);
      bytes.fill(0x41, 0, 64);
      writeFileSync(path, bytes);
    },
    'extra-bytes': (path: string) => () => appendFileSync(path, Buffer.alloc(300, 1)),
  } as const;

  for (const [damage, prepare] of Object.entries(damages)) {
    it(`detects a ${damage} file, rebuilds it from the cache with one message, and answers as before`, async () => {
      const cache = `damaged-${damage}`;
      await withGraph(cache, (graph) => graph.index());
      const path = vectorFile(cache);
      await (prepare as (path: string, cache: string) => () => Promise<void> | void)(path, cache)();
      await withGraph(cache, async (graph, logs) => {
        assert.deepEqual(await answers(graph), reference);
        const messages = rebuildMessages(logs);
        assert.equal(messages.length, 1, `one message, got ${JSON.stringify(logs)}`);
        assert.match(messages[0]!, /was not usable: .*rebuilt it from the \d+ vectors in the cache/);
      });
      // Rebuilt and saved: the next start reads it silently.
      await withGraph(cache, async (graph, logs) => {
        assert.deepEqual(await answers(graph), reference);
        assert.deepEqual(rebuildMessages(logs), []);
      });
      recordFault({
        fault: `vector-file-${damage}`,
        description: {
          stale: 'The vector file replaced by the one of an earlier state of the cache (before a file was added and removed again)',
          truncated: 'The vector file cut to half its size',
          corrupt: 'Bytes near the end of the vector file (its rows) flipped',
          'header-garbage': "The vector file's first 64 bytes overwritten",
          'extra-bytes': '300 bytes appended to the vector file',
        }[damage]!,
        trials: 1,
        survived: 1,
        lost: 'nothing: detected, rebuilt from the cache with one message, search results identical (scores included)',
      });
    });
  }

  it('is built on the first open of a cache from before it existed', async () => {
    const cache = 'old-cache';
    await withGraph(cache, (graph) => graph.index());
    // What an earlier version left: no file, no generation token.
    rmSync(vectorFile(cache));
    const store = await WorkspaceStore.open(join(workspace.cache, cache, 'index.sqlite'));
    await store.db.run("DELETE FROM meta WHERE key = 'vector_generation'");
    await store.close();
    await withGraph(cache, async (graph, logs) => {
      assert.deepEqual(await answers(graph), reference);
      const messages = rebuildMessages(logs);
      assert.equal(messages.length, 1, JSON.stringify(logs));
      assert.match(messages[0]!, /did not exist \(a cache from an earlier version\); rebuilt it/);
    });
    assert.ok(existsSync(vectorFile(cache)));
    await withGraph(cache, async (graph, logs) => {
      assert.deepEqual(await answers(graph), reference);
      assert.deepEqual(rebuildMessages(logs), []);
    });
    recordFault({ fault: 'vector-file-missing', description: 'A cache of an earlier version: no vector file and no generation token', trials: 1, survived: 1, lost: 'nothing: built on first open, with one message; search results identical' });
  });

  it('ignores and removes a half-written temporary file of a killed process', async () => {
    const cache = 'leftover';
    await withGraph(cache, (graph) => graph.index());
    const leftover = `${vectorFile(cache)}.tmp-999999999-abcdef`;
    writeFileSync(leftover, Buffer.alloc(1000, 7));
    // A change makes the next save happen, which clears what dead processes left.
    writeFileSync(join(workspace.root, 'python', 'leftover_probe.py'), 'def leftover_probe():\n    return 1\n');
    try {
      await withGraph(cache, (graph) => graph.index());
    } finally {
      rmSync(join(workspace.root, 'python', 'leftover_probe.py'));
    }
    await withGraph(cache, (graph) => graph.index());
    assert.ok(!readdirSync(join(workspace.cache, cache)).some((name) => name.includes('.tmp-')), 'temporary file removed');
    await withGraph(cache, async (graph, logs) => {
      assert.deepEqual(await answers(graph), reference);
      assert.deepEqual(rebuildMessages(logs), []);
    });
  });

  it('is not read by an index run that changes nothing (a damaged body goes unnoticed until a search needs it)', async () => {
    const cache = 'unchanged-run';
    await withGraph(cache, (graph) => graph.index());
    const path = vectorFile(cache);
    const bytes = readFileSync(path);
    for (let i = bytes.length - 200; i < bytes.length; i += 7) bytes[i] = bytes[i]! ^ 0x5a;
    writeFileSync(path, bytes);
    await withGraph(cache, async (graph, logs) => {
      const summary = await graph.index();
      assert.equal(summary.filesChanged, 0);
      assert.deepEqual(rebuildMessages(logs), []);
    });
    assert.ok(readFileSync(path).equals(bytes), 'the file was neither read nor rewritten');
    await withGraph(cache, async (graph, logs) => {
      assert.deepEqual(await answers(graph), reference);
      assert.match(rebuildMessages(logs).join('\n'), /was not usable: body checksum mismatch/);
    });
  });

  it('is read at the first change of an index run and saved from memory, without reading every vector from the cache', async () => {
    const cache = 'first-change';
    await withGraph(cache, (graph) => graph.index());
    const probe = join(workspace.root, 'python', 'first_change_probe.py');
    writeFileSync(probe, 'def first_change_probe(values):\n    """The largest of the values."""\n    return max(values)\n');
    let rowScans = 0;
    let afterRun: unknown[] = [];
    try {
      await withGraph(cache, async (graph) => {
        const store = graph.store;
        const scan = store.eachChunkVector.bind(store);
        store.eachChunkVector = (...args: Parameters<typeof scan>) => {
          rowScans++;
          return scan(...args);
        };
        assert.equal((await graph.index()).filesChanged, 1);
        afterRun = await answers(graph);
      });
      assert.equal(rowScans, 0, 'neither the run nor its save read the vectors from the cache');
      const store = await WorkspaceStore.open(join(workspace.cache, cache, 'index.sqlite'));
      const generation = await store.vectorGeneration();
      await store.close();
      assert.equal(vectorFileGeneration(vectorFile(cache)), generation, 'saved at the state after the run');
      // The index kept through the run, the saved file and a load from the cache's rows all answer alike.
      const fromFile = await withGraph(cache, async (graph, logs) => {
        assert.deepEqual(rebuildMessages(logs), []);
        return answers(graph);
      });
      rmSync(vectorFile(cache));
      const fromRows = await withGraph(cache, (graph) => answers(graph));
      assert.deepEqual(afterRun, fromRows);
      assert.deepEqual(fromFile, fromRows);
    } finally {
      rmSync(probe, { force: true });
    }
  });

  it('saved while an edit is being indexed holds the rows of the state it names, and the edit is searchable at once', async () => {
    const cache = 'deferred';
    const copy = 'deferred-copy';
    await withGraph(cache, (graph) => graph.index());
    const first = join(workspace.root, 'python', 'deferred_first_probe.py');
    const second = join(workspace.root, 'python', 'deferred_second_probe.py');
    try {
      await withGraph(cache, async (graph) => {
        await graph.search('warm up');
        writeFileSync(first, 'def deferred_first_probe(values):\n    return min(values)\n');
        await graph.index({ paths: ['python/deferred_first_probe.py'] });
        // The state the save is about to copy, set aside (no write is in flight).
        const named = await graph.store.vectorGeneration();
        mkdirSync(join(workspace.cache, copy));
        for (const name of ['index.sqlite', 'index.sqlite-wal']) if (existsSync(join(workspace.cache, cache, name))) copyFileSync(join(workspace.cache, cache, name), join(workspace.cache, copy, name));
        // What the save timer does, with the next edit indexed while it writes.
        const saving = (graph as unknown as { saveVectorFile(rebuild: boolean): Promise<void> }).saveVectorFile(false);
        writeFileSync(second, 'def deferred_second_probe(values):\n    return sorted(values)\n');
        await graph.index({ paths: ['python/deferred_second_probe.py'] });
        const hits = await graph.search('deferred_second_probe', { mode: 'lexical', limit: 1 });
        assert.equal(hits[0]?.path, 'python/deferred_second_probe.py');
        await saving;
        assert.equal(vectorFileGeneration(vectorFile(cache)), named, 'the file names the state it was copied at');
        copyFileSync(vectorFile(cache), vectorFile(copy));
      });
      // That state, from the saved file and from its rows in the cache: the same answers.
      const fromFile = await withGraph(copy, async (graph, logs) => {
        assert.deepEqual(rebuildMessages(logs), []);
        return answers(graph);
      });
      rmSync(vectorFile(copy));
      assert.deepEqual(fromFile, await withGraph(copy, (graph) => answers(graph)));
      // The session's last save (at dispose) covers the second edit too.
      await withGraph(cache, async (graph, logs) => {
        assert.equal((await graph.search('deferred_second_probe', { mode: 'lexical', limit: 1 }))[0]?.path, 'python/deferred_second_probe.py');
        assert.deepEqual(rebuildMessages(logs), []);
      });
    } finally {
      rmSync(first, { force: true });
      rmSync(second, { force: true });
    }
  });

  it('is written by a first index run as it commits, reading no vector back, with the bytes of one saved from a loaded index', async () => {
    const cache = 'streamed';
    // The same file twice, in batches of their own: the second batch reuses the first one's vectors from the cache.
    const twins = [join(workspace.root, 'python', 'stream_twin.py'), join(workspace.root, 'rust', 'stream_twin.py')];
    for (const twin of twins) writeFileSync(twin, 'def stream_twin(values):\n    """Twice the values."""\n    return [2 * value for value in values]\n');
    try {
      let rowScans = 0;
      const logs: string[] = [];
      const graph = await CodeGraph.open({ root: workspace.root, cacheDir: join(workspace.cache, cache), modelDir: TINY_MODEL, workers: 1, batchFiles: 3 }, { log: (line) => logs.push(line) });
      try {
        const scan = graph.store.eachChunkVector.bind(graph.store);
        graph.store.eachChunkVector = (...args: Parameters<typeof scan>) => {
          rowScans++;
          return scan(...args);
        };
        const summary = await graph.index();
        assert.ok(summary.vectorsReused > 0, "a twin reused the other one's vectors");
        assert.ok(existsSync(vectorFile(cache)), 'written by the run itself');
        assert.equal(vectorFileGeneration(vectorFile(cache)), await graph.store.vectorGeneration(), 'as the copy of the state after the run');
      } finally {
        await graph.dispose();
      }
      assert.equal(rowScans, 0, 'neither the run nor dispose read the vectors from the cache');
      assert.deepEqual(rebuildMessages(logs), []);
      const streamed = readFileSync(vectorFile(cache));
      rmSync(vectorFile(cache));
      // The first search finds no file, loads the index from the cache's rows and saves it from memory.
      await withGraph(cache, (graph) => graph.search('warm up'));
      assert.ok(readFileSync(vectorFile(cache)).equals(streamed), 'the same bytes');
      assert.ok(!readdirSync(join(workspace.cache, cache)).some((name) => name.includes('.tmp-')), 'no temporary file left');
    } finally {
      for (const twin of twins) rmSync(twin, { force: true });
    }
  });

  it('written straight from the cache rows (a later index run that never searched) holds the bytes of one saved from a loaded index', async () => {
    const cache = 'from-rows';
    await withGraph(cache, (graph) => graph.index());
    rmSync(vectorFile(cache));
    const probe = join(workspace.root, 'python', 'from_rows_probe.py');
    writeFileSync(probe, 'def from_rows_probe(values):\n    return sum(values)\n');
    try {
      // Not a first run (the cache holds files) and no current file to start from: dispose writes it from the rows.
      await withGraph(cache, (graph) => graph.index());
      const written = readFileSync(vectorFile(cache));
      rmSync(vectorFile(cache));
      await withGraph(cache, (graph) => graph.search('warm up'));
      assert.ok(readFileSync(vectorFile(cache)).equals(written), 'the same bytes');
    } finally {
      rmSync(probe, { force: true });
    }
  });

  it('is stale after every write that changes chunks, and current after one that changes none', async () => {
    const cache = 'generations';
    await withGraph(cache, (graph) => graph.index());
    const token = async () => {
      const store = await WorkspaceStore.open(join(workspace.cache, cache, 'index.sqlite'));
      try {
        return await store.vectorGeneration();
      } finally {
        await store.close();
      }
    };
    const first = await token();
    await withGraph(cache, (graph) => graph.index());
    assert.equal(await token(), first, 'an unchanged re-index keeps the token');
    writeFileSync(join(workspace.root, 'python', 'generation_probe.py'), 'def generation_probe():\n    return 2\n');
    try {
      await withGraph(cache, (graph) => graph.index());
    } finally {
      rmSync(join(workspace.root, 'python', 'generation_probe.py'));
    }
    const second = await token();
    assert.notEqual(second, first);
    const header = readVectorFile(vectorFile(cache), { modelId: '', dimension: 0, storedDimension: 0, precision: '', generation: first, projection: '', bytesPerRow: 0, bytesPerSignRow: 0 });
    assert.ok(!header.ok && header.reason === 'stale', 'the file no longer matches the first token');
    await withGraph(cache, (graph) => graph.index());
  });
});

describe('generationAfter', () => {
  it('follows a chain of writes and skips those already in the loaded index', () => {
    const chain = [
      { previous: 'a', current: 'b' },
      { previous: 'b', current: 'c' },
      { previous: 'c', current: 'd' },
    ];
    assert.equal(generationAfter('a', chain), 'd');
    assert.equal(generationAfter('c', chain), 'd');
    assert.equal(generationAfter('d', chain), 'd');
    assert.equal(generationAfter('b', [{ previous: 'b', current: 'b' }]), 'b');
  });

  it('is unknown when the chain breaks or a write is unknown', () => {
    assert.equal(generationAfter('a', [{ previous: 'x', current: 'y' }]), null);
    assert.equal(generationAfter('a', [undefined]), null);
    assert.equal(generationAfter(null, []), null);
  });
});
