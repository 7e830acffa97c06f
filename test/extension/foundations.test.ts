import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Disposable, disposeAll, DisposeErrors, toDisposable } from '../../extension/core/disposable.js';
import { Emitter } from '../../extension/core/emitter.js';
import { assessHealth, formatHealth, MEMORY_WARN_RSS_MB } from '../../extension/core/health.js';
import type { EngineStatus } from '../../engine/index.js';
import { baseName, isNavigationKey, kindIcon, moveSelection } from '../../webview/navigation.js';

class Owner extends Disposable {
  add<T extends { dispose(): unknown }>(item: T): T {
    return this.register(item);
  }
}

describe('disposables', () => {
  it('disposes owned items once, last registered first', () => {
    const order: string[] = [];
    const owner = new Owner();
    owner.add(toDisposable(() => order.push('first')));
    owner.add(toDisposable(() => order.push('second')));
    owner.dispose();
    owner.dispose();
    assert.deepEqual(order, ['second', 'first']);
    assert.equal(owner.isDisposed, true);
  });

  it('disposes at once what is registered after disposal', () => {
    const owner = new Owner();
    owner.dispose();
    let disposed = false;
    owner.add(toDisposable(() => (disposed = true)));
    assert.equal(disposed, true);
  });

  it('disposes everything even when some fail, then reports all failures', () => {
    let reached = false;
    const failing = (message: string) => ({
      dispose: () => {
        throw new Error(message);
      },
    });
    assert.throws(
      () => disposeAll([failing('a'), toDisposable(() => (reached = true)), failing('b')]),
      (error: unknown) => error instanceof DisposeErrors && error.errors.length === 2 && /a; b/.test(error.message),
    );
    assert.equal(reached, true);
    assert.throws(() => disposeAll([failing('only')]), /only/);
  });
});

describe('emitter', () => {
  it('delivers to current listeners only', () => {
    const emitter = new Emitter<number>();
    const seen: number[] = [];
    const subscription = emitter.event((value) => seen.push(value));
    emitter.fire(1);
    subscription.dispose();
    emitter.fire(2);
    assert.deepEqual(seen, [1]);
  });
});

describe('health check', () => {
  const status = (overrides: Partial<EngineStatus> = {}): EngineStatus => ({
    root: '/w',
    cachePath: '/c/index.sqlite',
    cacheBytes: 1048576,
    modelId: 'codegraph-rp-v0@abc123',
    modelDir: '/m',
    device: 'cpu',
    similarityThreshold: 0.5,
    serviceLevel: 'hybrid',
    modelError: null,
    recoveredFromCorruption: null,
    counts: { files: 2, chunks: 10, vectors: 10, vectorsForModel: 10, references: 0, resolvedReferences: 0 },
    lastIndexedAt: '2026-01-01T00:00:00Z',
    metrics: {
      filesIndexed: 2,
      chunksEmbedded: 10,
      vectorsReused: 0,
      errors: 0,
      searches: 0,
      cacheHitRatio: 0,
      embedLatencyMs: { count: 0, p50: 0, p95: 0, max: 0 },
      searchLatencyMs: { count: 0, p50: 0, p95: 0, max: 0 },
      indexBatchLatencyMs: { count: 0, p50: 0, p95: 0, max: 0 },
      errorsByCode: {},
      embeds: 0,
      queryCacheHitRatio: 1,
      memory: { rssMb: 1, heapUsedMb: 1, externalMb: 1 },
    },
    ...overrides,
  });
  const memory = { rssMb: 200, heapUsedMb: 50, externalMb: 5 };

  it('is ok for a loaded model, a sound cache, an idle index and modest memory', () => {
    const report = assessHealth([{ name: 'w', activity: { kind: 'idle' }, status: status(), integrityProblems: [] }], memory);
    assert.equal(report.level, 'ok');
    assert.deepEqual(
      report.checks.map((check) => check.name),
      ['model', 'cache', 'index', 'memory'],
    );
    assert.match(formatHealth(report), /^Health: OK\n {2}✓ model: codegraph-rp-v0 on cpu, 10\/10 chunks embedded/);
  });

  it('fails on a model that did not load or a damaged cache, and warns on memory and errors', () => {
    const report = assessHealth(
      [
        { name: 'a', activity: { kind: 'idle' }, status: status({ modelError: 'no such file', modelId: null, serviceLevel: 'lexical-only' }), integrityProblems: ['row 3 missing'] },
        { name: 'b', activity: { kind: 'failed', message: 'cannot open' }, status: null, integrityProblems: null },
      ],
      { rssMb: MEMORY_WARN_RSS_MB + 1, heapUsedMb: 10, externalMb: 0 },
    );
    assert.equal(report.level, 'fail');
    const level = (name: string) => report.checks.find((check) => check.name === name)?.level;
    assert.equal(level('a: model'), 'fail');
    assert.equal(level('a: cache'), 'fail');
    assert.equal(level('b: engine'), 'fail');
    assert.equal(level('memory'), 'warn');
    assert.match(report.checks.find((check) => check.name === 'a: model')!.detail, /lexical-only: model failed to load: no such file/);
  });

  it('warns when the bundled default model serves in place of a configured one that failed', () => {
    const fallback = { requested: '/models/mine', active: '/bundled/codegraph-code-v2', reason: 'Model file not found: /models/mine/model.onnx' };
    const report = assessHealth([{ name: 'w', activity: { kind: 'idle' }, status: status({ modelFallback: fallback }), integrityProblems: [] }], memory);
    const model = report.checks.find((check) => check.name === 'model')!;
    assert.equal(model.level, 'warn');
    assert.match(model.detail, /instead of \/models\/mine: Model file not found/);
  });
});

describe('panel keyboard navigation', () => {
  it('moves within bounds and returns to the query box above the first result', () => {
    assert.equal(moveSelection(-1, 3, 'ArrowDown'), 0);
    assert.equal(moveSelection(2, 3, 'ArrowDown'), 2);
    assert.equal(moveSelection(0, 3, 'ArrowUp'), -1);
    assert.equal(moveSelection(1, 30, 'End'), 29);
    assert.equal(moveSelection(20, 30, 'Home'), 0);
    assert.equal(moveSelection(0, 30, 'PageDown'), 5);
    assert.equal(moveSelection(3, 30, 'PageUp'), 0);
    assert.equal(moveSelection(0, 0, 'ArrowDown'), -1);
    assert.ok(isNavigationKey('ArrowDown') && !isNavigationKey('Enter'));
  });

  it('names icons and titles', () => {
    assert.equal(kindIcon('method'), 'symbol-method');
    assert.equal(kindIcon('unknown-kind'), 'symbol-misc');
    assert.equal(baseName('a/b/c.py'), 'c.py');
  });
});
