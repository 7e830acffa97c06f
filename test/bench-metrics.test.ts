import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ndcgAt, pathMatches, reciprocalRank, targetRanks } from '../bench/quality/metrics.js';

const chunk = (path: string, startLine = 1, endLine = 10) => ({ path, startLine, endLine });

describe('semble-style scoring', () => {
  it('matches targets by path suffix at a directory boundary', () => {
    assert.ok(pathMatches('repo/src/tree.go', 'src/tree.go'));
    assert.ok(pathMatches('tree.go', 'tree.go'));
    assert.ok(!pathMatches('subtree.go', 'tree.go'));
  });

  it('ranks files by first appearance, not by chunk', () => {
    const results = [chunk('a.go'), chunk('a.go'), chunk('b.go'), chunk('c.go')];
    assert.deepEqual(targetRanks(results, ['b.go', 'c.go', 'z.go']), [1, 2, -1]);
  });

  it('requires line-span overlap where the target has a span', () => {
    const results = [chunk('a.go', 1, 10), chunk('a.go', 50, 60)];
    assert.deepEqual(targetRanks(results, [{ path: 'a.go', start_line: 55, end_line: 58 }]), [0]);
    assert.deepEqual(targetRanks([chunk('a.go', 1, 10)], [{ path: 'a.go', start_line: 55, end_line: 58 }]), [-1]);
  });

  it('computes NDCG@10 with binary gains', () => {
    assert.equal(ndcgAt([chunk('a'), chunk('b')], ['a']), 1);
    assert.equal(ndcgAt([chunk('x'), chunk('a')], ['a']), 1 / Math.log2(3));
    const two = ndcgAt([chunk('a'), chunk('x'), chunk('b')], ['a', 'b']);
    assert.ok(Math.abs(two - (1 + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3))) < 1e-12);
    assert.equal(ndcgAt([chunk('x')], ['a']), 0);
  });

  it('computes reciprocal rank from a 0-based rank', () => {
    assert.equal(reciprocalRank(0), 1);
    assert.equal(reciprocalRank(3), 0.25);
    assert.equal(reciprocalRank(-1), 0);
  });
});
