import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync, readFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { chunkRowTerms, lexicalPathTokens, rowTermEntries } from '../../engine/lexical/lexicalRows.js';
import { LiveRows } from '../../engine/lexical/postingSegment.js';
import { copyFixtureWorkspace, TINY_MODEL } from '../helpers.js';

const top = async (graph: CodeGraph, query: string, limit = 3) => (await graph.search(query, { limit })).map((hit) => hit.path);

describe('indexing a multi-language workspace', () => {
  const workspace = copyFixtureWorkspace();
  let graph: CodeGraph;

  before(async () => {
    writeFileSync(join(workspace.root, '.env'), 'API_KEY=do-not-index\n');
    mkdirSync(join(workspace.root, 'generated'));
    writeFileSync(join(workspace.root, 'generated', 'client.ts'), 'export const generatedClient = 1;\n');
    writeFileSync(join(workspace.root, '.gitignore'), 'generated/\n');
    graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1 });
  });
  after(async () => {
    await graph.dispose();
    workspace.cleanup();
  });

  it('indexes every supported file and skips ignored ones with reasons', async () => {
    const summary = await graph.index();
    assert.equal(summary.filesDiscovered, 14);
    assert.equal(summary.filesChanged, 14);
    assert.equal(summary.skippedByReason['secret'], 1);
    assert.equal(summary.skippedByReason['gitignore'], 1);
    assert.ok(summary.chunksEmbedded > 30);
    assert.equal(summary.chunksEmbedded + summary.vectorsReused, summary.chunksAnalyzed);
  });

  it('finds code by what it does', async () => {
    assert.equal((await top(graph, 'token bucket rate limiter'))[0], 'python/rate_limiter.py');
    assert.ok((await top(graph, 'radix tree path matching')).includes('go/router.go'));
    assert.ok((await top(graph, 'shortest path dijkstra priority queue')).includes('cpp/shortest_path.cpp'));
    assert.ok((await top(graph, 'least recently used cache eviction')).includes('typescript/lruCache.ts'));
    assert.ok((await top(graph, 'crc32 checksum')).includes('c/crc32.c'));
    assert.ok((await top(graph, 'retry with exponential backoff')).includes('kotlin/Retry.kt'));
  });

  it('filters by language and path glob', async () => {
    const python = await graph.search('cache', { languages: ['python'] });
    assert.ok(python.every((hit) => hit.language === 'python'));
    const scoped = await graph.search('token', { paths: ['python/**'] });
    assert.ok(scoped.length > 0 && scoped.every((hit) => hit.path.startsWith('python/')));
    assert.deepEqual(await graph.search('token', { paths: ['nowhere/**'] }), []);
  });

  it('serves dense-only and lexical-only modes', async () => {
    const dense = await graph.search('matrix transpose', { mode: 'dense' });
    const lexical = await graph.search('matrix transpose', { mode: 'lexical' });
    assert.ok(dense.length > 0 && lexical.length > 0);
    assert.equal(lexical[0]!.path, 'rust/matrix.rs');
  });

  it('finds similar code and excludes the origin chunk', async () => {
    const { origin, hits } = await graph.similar('python/rate_limiter.py', 25);
    assert.equal(origin.symbol, 'allow');
    assert.ok(hits.length > 0);
    assert.ok(hits.every((hit) => hit.chunkId !== origin.chunkId));
  });

  it('re-indexes an unchanged workspace without embedding anything', async () => {
    const summary = await graph.index();
    assert.equal(summary.filesChanged, 0);
    assert.equal(summary.chunksEmbedded, 0);
    assert.equal(summary.cacheHitRatio, 1);
  });

  it('picks up an edit, and the new code becomes searchable', async () => {
    const path = join(workspace.root, 'javascript', 'debounce.js');
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n/** Memoizes a function's results keyed by its first argument. */\nfunction memoize(fn) { const seen = new Map(); return (x) => { if (!seen.has(x)) seen.set(x, fn(x)); return seen.get(x); }; }\n`);
    const summary = await graph.index();
    assert.equal(summary.filesChanged, 1);
    assert.ok(summary.chunksEmbedded >= 1 && summary.chunksEmbedded <= 2, `embedded ${summary.chunksEmbedded}`);
    const hits = await graph.search('memoize results of a function');
    assert.equal(hits[0]!.symbol, 'memoize');
  });

  it('handles added, deleted and renamed files', async () => {
    writeFileSync(join(workspace.root, 'python', 'stack.py'), 'class Stack:\n    """A last-in first-out stack."""\n    def push(self, item):\n        self.items.append(item)\n');
    rmSync(join(workspace.root, 'c', 'crc32.c'));
    renameSync(join(workspace.root, 'ruby', 'slugify.rb'), join(workspace.root, 'ruby', 'text_helpers.rb'));
    const summary = await graph.index();
    assert.equal(summary.filesChanged, 2);
    assert.equal(summary.filesDeleted, 2);
    // The renamed file's chunks are identical content: reused, not re-embedded.
    assert.ok(summary.vectorsReused >= 3, `reused ${summary.vectorsReused}`);
    assert.ok(!(await top(graph, 'crc32 checksum', 10)).includes('c/crc32.c'));
    assert.ok((await top(graph, 'slugify title for url')).includes('ruby/text_helpers.rb'));
    assert.ok((await top(graph, 'last-in first-out stack push')).includes('python/stack.py'));
  });

  it('refreshes references in dependent files when a definition they use changes', async () => {
    const limiter = join(workspace.root, 'python', 'rate_limiter.py');
    writeFileSync(limiter, readFileSync(limiter, 'utf8').replace('def allow(self, cost=1):', 'def try_acquire(self, cost=1):'));
    const summary = await graph.index();
    assert.equal(summary.filesChanged, 1);
    assert.equal(summary.dependentFiles, 1);
    const unresolved = await graph.store.db.get<{ n: number }>("SELECT count(*) AS n FROM refs r JOIN files f ON f.id = r.file_id WHERE f.path = 'python/app.py' AND r.name = 'allow' AND r.target_chunk_id IS NULL");
    assert.equal(unresolved!.n, 1);
  });

  it('answers index-only paths from watcher events', async () => {
    writeFileSync(join(workspace.root, 'go', 'extra.go'), 'package router\n\n// Health reports that the router is alive.\nfunc Health() string { return "ok" }\n');
    const summary = await graph.index({ paths: ['go/extra.go', 'does/not/exist.go'] });
    assert.equal(summary.filesChanged, 1);
    assert.ok((await top(graph, 'health check alive')).includes('go/extra.go'));
  });

  it('indexes a new folder named together with the file inside it once', async () => {
    mkdirSync(join(workspace.root, 'widgets'));
    writeFileSync(join(workspace.root, 'widgets', 'banner.js'), '/** Builds the banner markup. */\nfunction renderBanner(target) {\n  target.textContent = "hello";\n}\n');
    const summary = await graph.index({ paths: ['widgets', 'widgets/banner.js'] });
    assert.equal(summary.filesChanged, 1);
    assert.ok((await top(graph, 'render banner markup')).includes('widgets/banner.js'));
  });

  it('stores the workers\' lexical rows, which equal the rows the store derives from the stored chunks', async () => {
    // The store rebuilds segments from the chunks (a changed tokeniser, an old cache): the rows the workers
    // computed while chunking must be those same rows, or a rebuilt index would rank otherwise.
    const rows = await graph.store.db.all<{ id: number; path: string; symbol: string | null; parent: string | null; doc: string | null; text: string }>(
      'SELECT c.id, f.path, c.symbol, c.parent, c.doc, c.text FROM chunks c JOIN files f ON f.id = c.file_id',
    );
    assert.ok(rows.some((row) => row.doc) && rows.some((row) => row.parent), 'the fixture has docs and members, so every lexical column is covered');
    const segments = await graph.store.lexicalSegments();
    const live = LiveRows.of(segments);
    const stored = new Map<number, Map<string, number>>();
    segments.forEach((segment, at) => {
      for (let term = 0; term < segment.termCount; term++) {
        segment.eachPosting(term, (row, frequency) => {
          if (live.owner[row] !== at) return;
          if (!stored.has(row)) stored.set(row, new Map());
          stored.get(row)!.set(segment.termAt(term), frequency);
        });
      }
    });
    assert.equal(stored.size, rows.length);
    for (const row of rows) {
      const derived = chunkRowTerms(lexicalPathTokens(row.path), row);
      assert.deepEqual([...stored.get(row.id)!.entries()].sort(), rowTermEntries(derived).sort(), `terms of chunk ${row.id} (${row.path})`);
      assert.equal(live.tokens[row.id], derived.tokens);
    }
  });

  it('keeps the cache consistent', async () => {
    assert.deepEqual(await graph.store.integrityCheck(), []);
    assert.deepEqual(await graph.store.orphanCounts(), {});
  });
});

describe('model change and recovery', () => {
  it('re-embeds every chunk when the model changes, and drops the old vectors', async () => {
    const workspace = copyFixtureWorkspace();
    try {
      const first = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1 });
      const initial = await first.index();
      await first.dispose();
      const second = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1, dimensions: 16 });
      const summary = await second.index();
      assert.equal(summary.filesChanged, 0);
      assert.equal(summary.chunksEmbedded, initial.chunksEmbedded);
      const status = await second.status();
      assert.equal(status.counts.vectors, status.counts.vectorsForModel);
      await second.dispose();
    } finally {
      workspace.cleanup();
    }
  });

  it('moves a corrupt cache aside and rebuilds it', async () => {
    const workspace = copyFixtureWorkspace();
    try {
      mkdirSync(workspace.cache, { recursive: true });
      writeFileSync(join(workspace.cache, 'index.sqlite'), Buffer.alloc(4096, 0x41));
      const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1 });
      try {
        const status = await graph.status();
        assert.match(status.recoveredFromCorruption!, /rebuilt/);
        assert.ok(readdirSync(workspace.cache).some((name) => name.startsWith('index.sqlite.corrupt-')));
        const summary = await graph.index();
        assert.ok(summary.filesChanged > 0);
      } finally {
        await graph.dispose();
      }
    } finally {
      workspace.cleanup();
    }
  });

  it('falls back to lexical-only search when the model cannot load, if asked to', async () => {
    const workspace = copyFixtureWorkspace();
    try {
      const graph = await CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: join(workspace.root, 'no-model') }, { onModelError: 'lexical' });
      try {
        assert.equal(graph.serviceLevel, 'lexical-only');
        await graph.index();
        assert.equal((await graph.search('token bucket'))[0]!.path, 'python/rate_limiter.py');
        assert.match((await graph.status()).modelError!, /not found/);
      } finally {
        await graph.dispose();
      }
      assert.ok(existsSync(workspace.cache));
    } finally {
      workspace.cleanup();
    }
  });
});
