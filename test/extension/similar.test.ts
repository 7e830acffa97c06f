import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SearchHit } from '../../engine/index.js';
import { PromiseCache, similarKey } from '../../extension/core/similarCache.js';
import { countable, lensLines, lensTitle } from '../../extension/core/similarity.js';

const hit = (score: number): SearchHit => ({ chunkId: 1, path: 'a.py', startLine: 1, endLine: 2, score, relevance: score, symbol: 'f', kind: 'function', language: 'python', text: '', doc: null });

describe('similar-code cache', () => {
  it('computes each key once, also while the first computation runs', async () => {
    const cache = new PromiseCache<number>(10);
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 42;
    };
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    assert.deepEqual([a, b, calls], [42, 42, 1]);
    assert.equal(await cache.get('k', compute), 42);
    assert.equal(calls, 1);
  });

  it('evicts the least recently used entry', async () => {
    const cache = new PromiseCache<string>(2);
    await cache.get('a', async () => 'A');
    await cache.get('b', async () => 'B');
    await cache.get('a', async () => 'A2'); // touch a
    await cache.get('c', async () => 'C');
    assert.equal(cache.size, 2);
    assert.ok(cache.has('a') && cache.has('c') && !cache.has('b'));
  });

  it('does not keep failures', async () => {
    const cache = new PromiseCache<number>(2);
    await assert.rejects(cache.get('k', async () => Promise.reject(new Error('engine starting'))), /engine starting/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await cache.get('k', async () => 7), 7);
  });

  it('validates its capacity', () => {
    assert.throws(() => new PromiseCache(0), RangeError);
  });

  it('keys on the index generation, so a re-index never serves stale neighbours', () => {
    assert.notEqual(similarKey('file:///w', 1, 'a.py', 3), similarKey('file:///w', 2, 'a.py', 3));
    assert.notEqual(similarKey('file:///w', 1, 'a.py', 3), similarKey('file:///v', 1, 'a.py', 3));
  });
});

describe('what counts as similar', () => {
  it("counts dense neighbours at or above the model's cosine threshold, and every lexical one", () => {
    const hits = [hit(0.9), hit(0.35), hit(0.34), hit(0.1)];
    assert.equal(countable(hits, 0.35).length, 2);
    assert.equal(countable(hits, 0.5).length, 1);
    assert.equal(countable(hits, null).length, 4);
  });

  it('titles the lens by the count', () => {
    assert.equal(lensTitle(1), '1 similar');
    assert.equal(lensTitle(3), '3 similar');
  });

  it('offers one lens per definition: not for blocks, not past the document, once for a definition split in parts', () => {
    const chunk = (kind: string, symbol: string | null, startLine: number, endLine: number) => ({ kind, symbol, startLine, endLine });
    const lines = lensLines(
      [chunk('block', null, 1, 3), chunk('function', 'f', 5, 40), chunk('function', 'f', 41, 70), chunk('method', 'g', 72, 80), chunk('class', 'K', 72, 90), chunk('function', 'h', 200, 210)],
      100,
    );
    assert.deepEqual(lines, [
      { startLine: 5, endLine: 40 },
      { startLine: 72, endLine: 80 },
    ]);
  });
});
