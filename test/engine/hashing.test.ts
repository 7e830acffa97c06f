import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkContentHash, fileContentHash } from '../../engine/hashing/hash.js';

describe('content hashing', () => {
  it('ignores indentation and line wrapping in chunk hashes', () => {
    assert.equal(chunkContentHash('def f(x):\n    return x'), chunkContentHash('def f(x):\n        return x\n'));
    assert.equal(chunkContentHash('a  b\tc'), chunkContentHash('a b c'));
  });

  it('distinguishes different code', () => {
    assert.notEqual(chunkContentHash('return x'), chunkContentHash('return y'));
  });

  it('hashes raw file bytes as SHA-256 hex', () => {
    assert.equal(fileContentHash(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
