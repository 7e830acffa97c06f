import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referenceLexicalTokens } from '../../bench/speed/referenceTokenizer.js';
import { lexicalTokens, splitIdentifier, splitIdentifiersInText } from '../../engine/text/identifiers.js';

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
    for (const text of texts) assert.deepEqual(lexicalTokens(text), referenceLexicalTokens(text), text);
  });

  it('rewrites identifiers inside text for the model', () => {
    assert.equal(splitIdentifiersInText('const rateLimiter = new TokenBucket();'), 'const rate limiter = new token bucket();');
  });
});
