import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('rewrites identifiers inside text for the model', () => {
    assert.equal(splitIdentifiersInText('const rateLimiter = new TokenBucket();'), 'const rate limiter = new token bucket();');
  });
});
