import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { ReferenceTokenizer } from '../../bench/speed/referenceTokenizer.js';
import { readModelManifest, type PreprocessStep } from '../../engine/embedding/manifest.js';
import { preprocessIntoCodes, preprocessText } from '../../engine/embedding/preprocess.js';
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

  it('gives the same ids from a fresh tokenizer per text as from one that has read them all (vocabulary groups load on first need)', () => {
    const json = JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'codegraph-code-v2', 'tokenizer.json'), 'utf8')) as object;
    const reference = new Tokenizer(json, {});
    const warm = FastWordPiece.fromJson(json)!;
    const texts = [...trickyTexts(), 'open a network connection', '##weird', 'x', '# ## ###', 'résumé ##é', 'unbelievably long concatenatedidentifierwithoutbreaks'];
    for (const text of texts) {
      // Texts holding an added token ([UNK], [PAD]) are the general tokenizer's (see `handles`).
      for (const prepared of [text, preprocessText(text, ['split-identifiers', 'lowercase'])].filter((candidate) => warm.handles(candidate))) {
        const expected = reference.encode(prepared).ids;
        assert.deepEqual(FastWordPiece.fromJson(json)!.encode(prepared), expected, `fresh: ${prepared.slice(0, 40)}`);
        assert.deepEqual(warm.encode(prepared), expected, `reused: ${prepared.slice(0, 40)}`);
      }
    }
  });

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

/** Inputs where a char-code tokenizer could part from the string one. */
function trickyTexts(): string[] {
  const longWord = 'x'.repeat(101);
  return [
    'naïve café Ünïcödé — 数据库连接 😀 x² ﬁle Straße ẞ',
    'ΣΑΣ ΑΣ. Σ ΑΣb aΣ a_Σ fooΣ ΣIGMA ς σ', // final sigma depends on neighbours
    'İstanbul İ ı K Å (Kelvin and Angstrom signs lower-case to ASCII)',
    'lone \ud800 high, lone \udc00 low, pair \ud83d\ude00, reversed \ude00\ud83d',
    `${longWord} ${'ab'.repeat(60)} ${'parse'.repeat(25)}Response`,
    '\u0001\u0002 \u007f control and [UNK] [PAD] [unk] added tokens',
    'tabs\tnbsp\u00a0line\u2028sep zero\ufeffwidth ideographic\u3000space',
    'parseHTTPResponse2 XMLHttpRequest __init__ _ $ $$ _$ a$b $scope 3d 123abc abc123def HTTP2Server getX iOS',
    '##weird ##tokens # ## ### ...!!! ??',
    '',
    '   ',
    'const rateLimiter = new TokenBucket(); // ÉTAT élevé',
    'word '.repeat(700), // past the window: truncated, the last token kept
    `${'y'.repeat(9000)} tail`, // past the character guard
  ];
}

describe('char-code tokenizer', () => {
  for (const model of [TINY_MODEL, join(REPO_ROOT, 'models', 'codegraph-code-v2'), join(REPO_ROOT, 'models', 'codegraph-rp-v0')]) {
    it(`gives the string reference's ids and truncation flags for tricky inputs (${model.split('/').pop()})`, () => {
      const base = readModelManifest(model);
      const path = join(model, base.tokenizer);
      const manifests = [base, { ...base, queryPrefix: 'Query: ', documentPrefix: 'code', preprocess: ['split-identifiers', 'collapse-whitespace', 'lowercase'] as const }, { ...base, preprocess: ['lowercase', 'split-identifiers'] as const }, { ...base, preprocess: ['collapse-whitespace'] as const }];
      const texts = [...trickyTexts(), ...filesUnder(FIXTURE_WORKSPACE).map((file) => readFileSync(file, 'utf8'))];
      for (const manifest of manifests) {
        const tokenizer = TextTokenizer.load(path, manifest, model);
        const reference = new ReferenceTokenizer(path, manifest);
        for (const text of texts) {
          for (const role of ['document', 'query'] as const) {
            assert.deepEqual(tokenizer.encodeDetailed(text, role), reference.encodeDetailed(text, role), `${manifest.preprocess.join(',')} ${role}: ${text.slice(0, 40)}`);
          }
        }
      }
    });
  }

  it('pre-processes into code units exactly as the string steps do', () => {
    const orders: PreprocessStep[][] = [[], ['split-identifiers'], ['lowercase'], ['collapse-whitespace'], ['split-identifiers', 'lowercase'], ['split-identifiers', 'collapse-whitespace', 'lowercase'], ['lowercase', 'collapse-whitespace']];
    const out = new Uint16Array(1 << 16);
    for (const text of trickyTexts()) {
      for (const steps of orders) {
        const length = preprocessIntoCodes('P: ', text, text.length, steps, out);
        const expected = `P: ${preprocessText(text, steps)}`;
        // -1 only where the string path is needed: context-dependent lower case, or text it could not map.
        if (length < 0) assert.ok(steps.includes('lowercase') && /[\u03a3\u0130\ud800-\udfff]/.test(text), `${steps.join(',')}: ${text.slice(0, 40)}`);
        else assert.equal(String.fromCharCode(...out.subarray(0, length)), expected, `${steps.join(',')}: ${text.slice(0, 40)}`);
      }
    }
  });
});
