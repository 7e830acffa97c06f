import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reciprocalRankFusion, scoreBlend } from '../../engine/search/fusion.js';
import { parseQuery, symbolMatch } from '../../engine/search/query.js';
import { diversify } from '../../engine/search/searcher.js';

describe('query parsing', () => {
  it('drops stopwords and splits identifiers', () => {
    const query = parseQuery('how is the rateLimiter refilled?');
    assert.deepEqual(query.terms, ['rate', 'limiter', 'ratelimiter', 'refilled']);
  });

  it('keeps only words of FTS syntax in user input', () => {
    assert.deepEqual(parseQuery('a" OR col:x NEAR(').terms, ['col', 'x', 'near']);
  });

  it('scores symbol matches by the share of the name the query covers', () => {
    const query = parseQuery('token bucket refill');
    assert.equal(symbolMatch('TokenBucket', query), 1);
    assert.equal(symbolMatch('refillTokens', query), 0.5);
    assert.equal(symbolMatch(null, query), 0);
    assert.equal(symbolMatch('Foo.tokenBucket', parseQuery('tokenBucket')), 1);
  });
});

describe('fusion', () => {
  it('rewards agreement between retrievers under RRF', () => {
    const fused = reciprocalRankFusion([
      { ids: [1, 2, 3], scores: [0.9, 0.8, 0.7], weight: 1 },
      { ids: [3, 1, 4], scores: [12, 10, 2], weight: 1 },
    ]);
    const ranked = [...fused].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    assert.deepEqual(ranked.slice(0, 2), [1, 3]);
  });

  it('gives candidates a retriever scores equally the same vote, whatever order storage returned them in', () => {
    const one = reciprocalRankFusion([{ ids: [1, 2, 3], scores: [5, 4, 4], weight: 1 }]);
    const other = reciprocalRankFusion([{ ids: [1, 3, 2], scores: [5, 4, 4], weight: 1 }]);
    assert.equal(one.get(2), one.get(3));
    assert.deepEqual([...one].sort(), [...other].sort());
    assert.equal(one.get(2), 1 / (60 + 2));
  });

  it('normalises scores before blending', () => {
    const fused = scoreBlend([
      { ids: [1, 2], scores: [0.5, 0.4], weight: 1 },
      { ids: [2, 1], scores: [100, 0], weight: 1 },
    ]);
    assert.equal(fused.get(1), 1);
    assert.equal(fused.get(2), 1);
  });
});

describe('per-file diversity', () => {
  it('lets no file take more than its share until others are placed', () => {
    const item = (path: string, score: number) => ({ record: { path }, score });
    const ranked = [item('a', 9), item('a', 8), item('a', 7), item('b', 6), item('c', 5)];
    assert.deepEqual(diversify(ranked, 4, 2).map((entry) => `${entry.record.path}${entry.score}`), ['a9', 'a8', 'b6', 'c5']);
    assert.deepEqual(diversify(ranked, 5, 2).map((entry) => `${entry.record.path}${entry.score}`), ['a9', 'a8', 'b6', 'c5', 'a7']);
  });
});

describe('test-file detection', () => {
  it('recognises test files across ecosystems', async () => {
    const { isTestPath } = await import('../../engine/search/searcher.js');
    for (const path of ['tests/test_api.py', 'pkg/router_test.go', 'src/app.spec.ts', 'src/test/java/FooTest.java', 'lib/__tests__/x.js', 'test_utils.py', 'spec/models/user_spec.rb']) assert.ok(isTestPath(path), path);
    for (const path of ['src/router.go', 'lib/contest.py', 'latest/app.ts', 'src/main/java/Testimony.java', 'attestation.rs']) assert.ok(!isTestPath(path), path);
  });
});
