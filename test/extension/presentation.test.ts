import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SearchHit } from '../../engine/index.js';
import { firstLineIndents, hitRelevance, indexStateView, parsePathFilter, toResultViews } from '../../extension/core/searchResults.js';
import { displayModel, presentStatus, summarize, type WorkspaceStatus } from '../../extension/core/statusModel.js';
import { relativeTime, statusPickEntries } from '../../extension/core/statusReport.js';
import { folderSnapshot as snapshot } from './snapshots.js';

describe('workspace status', () => {
  it('shows restricted mode before anything else', () => {
    assert.deepEqual(summarize([snapshot('a', { kind: 'failed', message: 'x' })], false), { kind: 'untrusted' });
  });

  it('is hidden without folders', () => {
    const status = summarize([], true);
    assert.deepEqual(status, { kind: 'noFolder' });
    assert.equal(presentStatus(status).visible, false);
  });

  it('sums chunks and files of idle folders and names the model without its digest', () => {
    const status = summarize([snapshot('a', { kind: 'idle' }), snapshot('b', { kind: 'idle' }, { chunks: 1234 })], true);
    assert.deepEqual(status, { kind: 'idle', chunks: 1334, files: 20, model: 'codegraph-rp-v0' });
    const shown = presentStatus(status);
    assert.equal(shown.text, '$(search) CodeGraph: 1,334 chunks · codegraph-rp-v0');
    assert.equal(shown.accessibilityLabel, 'CodeGraph: 1,334 chunks · codegraph-rp-v0');
    assert.equal(shown.command, 'codegraph.showStatus');
    assert.equal(shown.background, null);
  });

  it('adds up progress across indexing folders, with a spinner', () => {
    const status = summarize(
      [
        snapshot('a', { kind: 'indexing', phase: 'indexing', filesDone: 3, filesTotal: 10, reason: 'full' }),
        snapshot('b', { kind: 'indexing', phase: 'indexing', filesDone: 1, filesTotal: 5, reason: 'changes' }),
        snapshot('c', { kind: 'idle' }),
      ],
      true,
    );
    assert.equal(status.kind, 'indexing');
    assert.equal(presentStatus(status).text, '$(sync~spin) CodeGraph: 4/15 files');
    assert.equal(presentStatus({ kind: 'indexing', phase: 'discovering', filesDone: 0, filesTotal: 0, chunks: 0 }).text, '$(sync~spin) CodeGraph: scanning files');
  });

  it('lets a failure win, then indexing, then pause', () => {
    const failed = summarize([snapshot('a', { kind: 'indexing', phase: 'indexing', filesDone: 1, filesTotal: 2, reason: 'full' }), snapshot('b', { kind: 'failed', message: 'disk full' })], true);
    assert.deepEqual(failed, { kind: 'error', folder: 'b', message: 'disk full' });
    const shown = presentStatus(failed);
    assert.equal(shown.text, '$(error) CodeGraph: error');
    assert.equal(shown.background, 'error');
    assert.match(shown.tooltip, /Indexing failed\*\* in b: disk full/);
    const paused = summarize([snapshot('a', { kind: 'paused', pendingChanges: 2, fullIndexPending: false }), snapshot('b', { kind: 'idle' })], true);
    assert.deepEqual(paused, { kind: 'paused', pendingChanges: 2, chunks: 200 });
    assert.equal(presentStatus(paused).text, '$(debug-pause) CodeGraph: paused (2 changes held)');
    assert.match(presentStatus(paused).tooltip, /command:codegraph\.resume/);
  });

  it('reports a model that failed to load as lexical-only', () => {
    const status = summarize([snapshot('a', { kind: 'idle' }, { modelError: 'Model file not found: /m/model.onnx', serviceLevel: 'lexical-only', modelId: null })], true);
    assert.equal(status.kind, 'lexicalOnly');
    const shown = presentStatus(status);
    assert.equal(shown.text, '$(warning) CodeGraph: lexical-only');
    assert.equal(shown.background, 'warning');
    assert.match(shown.tooltip, /lexical-only: model failed to load\.\*\* Model file not found/);
  });

  it('keeps a deliberately model-less workspace idle', () => {
    const status = summarize([snapshot('a', { kind: 'idle' }, { modelId: null, serviceLevel: 'lexical-only' })], true);
    assert.deepEqual(status, { kind: 'idle', chunks: 100, files: 10, model: 'no model (lexical-only)' });
  });

  it('maps every status to a panel state line', () => {
    const statuses: WorkspaceStatus[] = [
      { kind: 'noFolder' },
      { kind: 'untrusted' },
      { kind: 'starting' },
      { kind: 'indexing', phase: 'indexing', filesDone: 1, filesTotal: 2, chunks: 0 },
      { kind: 'paused', pendingChanges: 0, chunks: 5 },
      { kind: 'error', folder: 'a', message: 'm' },
      { kind: 'lexicalOnly', reason: 'r', chunks: 5 },
      { kind: 'idle', chunks: 5, files: 1, model: 'm' },
    ];
    const views = statuses.map((status) => indexStateView(status, 7));
    assert.deepEqual(
      views.map((view) => view.ready),
      [false, false, false, false, true, true, true, true],
    );
    assert.ok(views.every((view) => view.generation === 7));
    assert.equal(views[3]!.text, 'Indexing 1/2 files…');
    assert.equal(views[7]!.text, '');
  });

  it('displays model ids without the weights digest', () => {
    assert.equal(displayModel('codegraph-rp-v0@ccedcaac022b/d128'), 'codegraph-rp-v0/d128');
    assert.equal(displayModel(null), 'no model (lexical-only)');
  });
});

describe('search results for the panel', () => {
  it('carries folder, location and a highlighted snippet per hit', () => {
    const folder = { key: 'file:///w', name: 'w', root: '/w' };
    const hit = { chunkId: 9, path: 'py/rl.py', startLine: 5, endLine: 7, score: 0.041234, relevance: 0.5, symbol: 'TokenBucket', kind: 'class', language: 'python', text: 'class TokenBucket:\n    """Token bucket."""\n    pass', doc: null };
    const [view] = toResultViews([{ folder, hit }], 'token bucket');
    assert.deepEqual({ ...view!, snippet: undefined }, {
      id: '0:9',
      folder: 'file:///w',
      folderName: 'w',
      path: 'py/rl.py',
      startLine: 5,
      endLine: 7,
      symbol: 'TokenBucket',
      kind: 'class',
      language: 'python',
      score: 0.0412,
      relevance: 0.5,
      relevanceBasis: 'engine',
      snippet: undefined,
    });
    assert.equal(view!.snippet.lines[0]!.line, 5);
    assert.ok(view!.snippet.lines.some((line) => line.segments.some((segment) => segment.match && segment.text.toLowerCase() === 'token')));
  });

  it('shows relevance relative to the best hit, or the engine\'s normalised relevance where a hit has one', () => {
    const folder = { key: 'file:///w', name: 'w', root: '/w' };
    const base = { chunkId: 1, path: 'a.py', startLine: 1, endLine: 1, symbol: null, kind: 'block', language: 'python', text: 'x', doc: null };
    // Hits without an engine relevance (an engine from before the field) fall back to the relative figure.
    const views = toResultViews([{ folder, hit: { ...base, score: 0.04 } as SearchHit }, { folder, hit: { ...base, chunkId: 2, score: 0.03 } as SearchHit }], 'x');
    assert.deepEqual(views.map((view) => [view.relevance, view.relevanceBasis]), [[1, 'relative'], [0.75, 'relative']]);
    assert.deepEqual(hitRelevance({ ...base, score: 0.04, relevance: 0.62 } as SearchHit, 0.04), { relevance: 0.62, basis: 'engine' });
    assert.deepEqual(hitRelevance({ ...base, score: 0 } as SearchHit, 0), { relevance: 0, basis: 'relative' });
  });

  it('restores the indentation of a method\'s first line from its file, so the snippet keeps it relative', async () => {
    const folder = { key: 'file:///w', name: 'w', root: '/w' };
    // A method's chunk text starts at `def`: its first line has lost the four spaces its body lines keep.
    const method = { chunkId: 3, path: 'py/rl.py', startLine: 2, endLine: 3, score: 1, relevance: 1, symbol: 'refill', kind: 'method', language: 'python', text: 'def refill(self):\n        self.tokens = 1', doc: null };
    const topLevel = { ...method, chunkId: 4, startLine: 1, text: 'class Bucket:\n    pass' };
    const files: Record<string, string> = { '/w/py/rl.py': 'class Bucket:\n    def refill(self):\n        self.tokens = 1\n' };
    const reads: string[] = [];
    const indents = await firstLineIndents([{ folder, hit: method }, { folder, hit: topLevel }], async (path) => {
      reads.push(path);
      return files[path] ?? Promise.reject(new Error('ENOENT'));
    });
    assert.deepEqual(reads, ['/w/py/rl.py'], 'each file is read once');
    const [view] = toResultViews([{ folder, hit: method }], 'unrelated', indents);
    assert.deepEqual(view!.snippet.lines.map((line) => line.segments.map((segment) => segment.text).join('')), ['def refill(self):', '    self.tokens = 1']);
    const unread = await firstLineIndents([{ folder, hit: { ...method, path: 'gone.py' } }], async () => Promise.reject(new Error('ENOENT')));
    assert.equal(unread.size, 0, 'an unreadable file only loses the indentation');
  });

  it('splits the path filter on commas', () => {
    assert.deepEqual(parsePathFilter(' src/**, ,tests/*.py '), ['src/**', 'tests/*.py']);
  });
});

describe('status quick pick', () => {
  it('lists state, model, counts and metrics per folder, then actions that fit the pause state', () => {
    const metrics = {
      filesIndexed: 3,
      chunksEmbedded: 40,
      vectorsReused: 10,
      errors: 2,
      searches: 5,
      cacheHitRatio: 0.2,
      embedLatencyMs: { count: 4, p50: 1.5, p95: 12.25, max: 20 },
      searchLatencyMs: { count: 5, p50: 3, p95: 8, max: 9 },
      indexBatchLatencyMs: { count: 0, p50: 0, p95: 0, max: 0 },
      errorsByCode: {},
      embeds: 0,
      queryCacheHitRatio: 1,
      memory: { rssMb: 300, heapUsedMb: 80, externalMb: 10 },
    };
    const status = {
      root: '/a',
      cachePath: '/c/index.sqlite',
      cacheBytes: 2 * 1048576,
      modelId: 'm@123abc',
      modelDir: '/models/m',
      device: 'cpu',
      serviceLevel: 'hybrid' as const,
      similarityThreshold: 0.5,
      modelError: null,
      recoveredFromCorruption: null,
      counts: { files: 3, chunks: 50, vectors: 50, vectorsForModel: 50, references: 0, resolvedReferences: 0 },
      lastIndexedAt: '2026-01-01T00:00:00Z',
      metrics,
    };
    const entries = statusPickEntries([{ snapshot: snapshot('a', { kind: 'idle' }), status }], false, { now: Date.parse('2026-01-01T00:05:00Z') });
    const labels = entries.map((entry) => entry.label);
    assert.equal(entries[0]!.kind, 'separator');
    assert.ok(labels.includes('$(symbol-namespace) Model: m'));
    assert.ok(labels.includes('$(database) 3 files, 50 chunks, 50 vectors'));
    assert.ok(labels.includes('$(dashboard) Embedding p50 1.50 ms, p95 12 ms per chunk · search p50 3.00 ms, p95 8.00 ms'));
    assert.ok(labels.includes('$(warning) Cache hit ratio 20.0% · 2 errors'));
    // The memory row names the process it measures: the extension host, which all extensions share.
    assert.ok(labels.includes('$(server) Extension host process: RSS 300 MB, heap 80 MB'), labels.join('\n'));
    assert.equal(entries[1]!.kind === 'info' ? entries[1].description : '', 'last indexed 5 minutes ago');
    const actions = entries.filter((entry) => entry.kind === 'action').map((entry) => (entry.kind === 'action' ? entry.command : ''));
    assert.ok(actions.includes('codegraph.pause') && !actions.includes('codegraph.resume'));
    const paused = statusPickEntries([{ snapshot: snapshot('a', { kind: 'paused', pendingChanges: 1, fullIndexPending: true }), status: null }], true);
    assert.ok(paused.some((entry) => entry.kind === 'info' && entry.label.includes('paused, 1 changes held, full index pending')));
    assert.ok(paused.some((entry) => entry.kind === 'action' && entry.command === 'codegraph.resume'));
  });

  it('says when the index was last built as a relative time, not an ISO timestamp', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    assert.equal(relativeTime('2026-03-10T11:59:58Z', now), 'now');
    assert.equal(relativeTime('2026-03-10T11:59:15Z', now), '45 seconds ago');
    assert.equal(relativeTime('2026-03-10T09:00:00Z', now), '3 hours ago');
    assert.equal(relativeTime('2026-03-09T11:00:00Z', now), 'yesterday');
    assert.equal(relativeTime('2026-03-10T11:00:00Z', now, 'de'), 'vor 1 Stunde');
    assert.equal(relativeTime('not a time', now), 'not a time');
  });
});
