import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referenceLexicalTokens } from '../../bench/speed/referenceTokenizer.js';
import { lexicalTokens, lexicalTokenText, splitIdentifier, splitIdentifiersInText } from '../../engine/text/identifiers.js';
import { seededRandom } from '../../engine/random/index.js';

describe('identifier splitting', () => {
  it('splits camelCase, PascalCase, acronyms and digits', () => {
    assert.deepEqual(splitIdentifier('parseHTTPResponse2'), ['parse', 'http', 'response', '2']);
    assert.deepEqual(splitIdentifier('XMLHttpRequest'), ['xml', 'http', 'request']);
    assert.deepEqual(splitIdentifier('getUserName'), ['get', 'user', 'name']);
  });

  it('splits snake_case and SCREAMING_CASE', () => {
    assert.deepEqual(splitIdentifier('max_file_size'), ['max', 'file', 'size']);
    assert.deepEqual(splitIdentifier('MAX_RETRIES'), ['max', 'retries']);
    assert.deepEqual(splitIdentifier('__init__'), ['init']);
  });

  it('keeps the whole identifier as an extra lexical token', () => {
    assert.deepEqual(lexicalTokens('getUserName(x)'), ['get', 'user', 'name', 'getusername', 'x']);
  });

  it('gives the regex reference\'s lexical tokens for tricky words', () => {
    const texts = [
      'parseHTTPResponse2 XMLHttpRequest __init__ _ $ $$ _$ a$b $scope 3d 123abc abc123def HTTP2Server getX iOS A B2 ABc',
      'x86_64 IOError ÄpfelSaft 42 a.b/c-d naïveCafé Straße_X μTorrent',
      'const rateLimiter = new TokenBucket(); // ÉTAT élevé 0x1F 1e10 3.14',
      '', '   ', '____', '$', '9', 'Z',
    ];
    for (const text of texts) {
      assert.deepEqual(lexicalTokens(text), referenceLexicalTokens(text), text);
      assert.equal(lexicalTokenText(text), referenceLexicalTokens(text).join(' '), text);
    }
  });

  it('gives the regex reference\'s tokens, joined, for random runs of identifier characters, digits and others', () => {
    const random = seededRandom(11);
    const alphabet = 'aZbYxHTP_$0912 .(é\n';
    for (let round = 0; round < 2000; round++) {
      const text = Array.from({ length: Math.floor(random() * 60) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      assert.equal(lexicalTokenText(text), referenceLexicalTokens(text).join(' '), JSON.stringify(text));
    }
    // Long single identifiers of many parts take the most room a character.
    const long = 'aB'.repeat(5000);
    assert.equal(lexicalTokenText(long), referenceLexicalTokens(long).join(' '));
  });

  it('rewrites identifiers inside text for the model', () => {
    assert.equal(splitIdentifiersInText('const rateLimiter = new TokenBucket();'), 'const rate limiter = new token bucket();');
  });
});
