import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkContentHash, fileContentHash, sha256Hex } from '../../engine/hashing/hash.js';
import { seededRandom } from '../../engine/random/index.js';

describe('content hashing', () => {
  it('ignores indentation and line wrapping in chunk hashes', () => {
    assert.equal(chunkContentHash('def f(x):\n    return x'), chunkContentHash('def f(x):\n        return x\n'));
    assert.equal(chunkContentHash('a  b\tc'), chunkContentHash('a b c'));
  });

  it('keeps the key every cache holds: SHA-256 of the text with whitespace runs made one space and trimmed, ASCII or not', () => {
    assert.equal(chunkContentHash('\n  def f(x):\n\treturn x \r\n'), 'c4c1088ea5f77d5146997763d1b708faec4c2cce7fbce423e1ae2d8da5fb27fb');
    const random = seededRandom(5);
    // ASCII spaces and others `\s` matches (no-break space, line separator, BOM, ideographic space), a surrogate pair, a lone surrogate.
    const alphabet = ['a', 'Z', '(', ' ', '\t', '\n', '\r', '\v', '\f', 'é', '\u00a0', '\u2028', '\ufeff', '\u3000', '😀', '\ud800'];
    for (let round = 0; round < 2000; round++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * (round % 2 === 0 ? 9 : alphabet.length))]).join('');
      assert.equal(chunkContentHash(text), sha256Hex(text.replace(/\s+/g, ' ').trim()), JSON.stringify(text));
    }
  });

  it('distinguishes different code', () => {
    assert.notEqual(chunkContentHash('return x'), chunkContentHash('return y'));
  });

  it('hashes raw file bytes as SHA-256 hex', () => {
    assert.equal(fileContentHash(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
