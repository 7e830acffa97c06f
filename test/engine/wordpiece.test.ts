import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { readModelManifest } from '../../engine/embedding/manifest.js';
import { preprocessText } from '../../engine/embedding/preprocess.js';
import { TextTokenizer } from '../../engine/embedding/tokenizer.js';
import { FastWordPiece } from '../../engine/embedding/wordpiece.js';
import { FIXTURE_WORKSPACE, REPO_ROOT, TINY_MODEL } from '../helpers.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

describe('fast WordPiece', () => {
  for (const model of [TINY_MODEL, join(REPO_ROOT, 'models', 'codegraph-rp-v0')]) {
    it(`gives the same ids as @huggingface/tokenizers for ${model.split('/').pop()}`, () => {
      const json = JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')) as object;
      const reference = new Tokenizer(json, {});
      const fast = FastWordPiece.fromJson(json)!;
      assert.ok(fast);
      const texts = filesUnder(FIXTURE_WORKSPACE).map((file) => readFileSync(file, 'utf8'));
      texts.push('naïve café — 数据库连接 😀 x²', `${'a'.repeat(150)} b`, 'tab\tand\nnewlines  and   spaces', '', '!!!', '##weird ##tokens');
      for (const raw of texts) {
        for (const text of [raw, preprocessText(raw, ['split-identifiers', 'lowercase'])]) {
          assert.deepEqual(fast.encode(text), reference.encode(text).ids, text.slice(0, 40));
        }
      }
    });
  }

  it('declines tokenizers of another shape', () => {
    assert.equal(FastWordPiece.fromJson({ normalizer: { type: 'Lowercase' }, pre_tokenizer: { type: 'Whitespace' }, model: { type: 'WordPiece', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' } }), null);
    assert.equal(FastWordPiece.fromJson({ pre_tokenizer: { type: 'ByteLevel' }, model: { type: 'BPE' } }), null);
  });

  it('leaves texts containing added tokens to the general tokenizer', () => {
    const json = JSON.parse(readFileSync(join(TINY_MODEL, 'tokenizer.json'), 'utf8')) as object;
    const fast = FastWordPiece.fromJson(json)!;
    assert.equal(fast.handles('plain text'), true);
    assert.equal(fast.handles('text with [UNK] inside'), false);
  });
});

describe('TextTokenizer run by run', () => {
  for (const model of [TINY_MODEL, join(REPO_ROOT, 'models', 'codegraph-code-v2')]) {
    it(`gives the ids of the whole pre-processed text for ${model.split('/').pop()}, cached runs included`, () => {
      const manifest = readModelManifest(model);
      const json = JSON.parse(readFileSync(join(model, manifest.tokenizer), 'utf8')) as object;
      const reference = new Tokenizer(json, {});
      const tokenizer = TextTokenizer.load(join(model, manifest.tokenizer), manifest, model);
      const texts = filesUnder(FIXTURE_WORKSPACE).map((file) => readFileSync(file, 'utf8'));
      texts.push('ΣΑΣ ΑΣ. Σ ΑΣb İstanbul naïve', 'tabs\tnbsp\u00a0line\u2028sep zero\ufeffwidth', 'with [UNK] and [PAD] inside', '', '   ', 'parseHTTPResponse2 $scope __init__');
      // Twice: the second pass reads every run from the cache.
      for (const pass of [1, 2]) {
        for (const text of texts) {
          const whole = reference.encode(preprocessText(text, manifest.preprocess)).ids as number[];
          const expected = whole.length <= manifest.maxTokens ? whole : [...whole.slice(0, manifest.maxTokens - 1), whole[whole.length - 1]!];
          assert.deepEqual(tokenizer.encode(text, 'document'), expected, `pass ${pass}: ${text.slice(0, 40)}`);
        }
      }
    });
  }
});
