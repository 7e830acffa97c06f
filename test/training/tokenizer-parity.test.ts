import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readModelManifest } from '../../engine/embedding/manifest.js';
import { TextTokenizer } from '../../engine/embedding/tokenizer.js';
import { FIXTURE_WORKSPACE, REPO_ROOT, tempDir, TINY_MODEL } from '../helpers.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
}

/** Golden inputs: the fixture sources (real code in 12 languages) plus edge cases. */
function goldenTexts(): string[] {
  return [
    ...filesUnder(FIXTURE_WORKSPACE).map((file) => readFileSync(file, 'utf8')),
    'parseHTTPResponse2 XMLHttpRequest __init__ MAX_RETRIES $scope snake_case_name',
    'naïve café — 数据库连接 😀 x² İstanbul ΣΑΣ',
    'tabs\tnbsp\u00a0line\u2028sep zero\ufeffwidth',
    `${'z'.repeat(130)} short`,
    '',
  ];
}

describe('tokenizer parity between the Python training side and the Node engine', () => {
  const models = [TINY_MODEL, join(REPO_ROOT, 'models', 'codegraph-rp-v0')];
  for (const model of models) {
    it(`produces identical token ids for ${model.split('/').pop()}`, () => {
      const manifest = readModelManifest(model);
      const tokenizer = TextTokenizer.load(join(model, manifest.tokenizer), manifest, model);
      const dir = tempDir();
      try {
        const input = join(dir.path, 'golden.jsonl');
        const texts = goldenTexts();
        writeFileSync(input, texts.map((text) => JSON.stringify({ text })).join('\n') + '\n');
        const python = spawnSync('python3', [join(REPO_ROOT, 'training', 'tokenization.py'), '--tokenizer', join(model, manifest.tokenizer), '--input', input, '--preprocess', manifest.preprocess.join(','), '--max-tokens', String(manifest.maxTokens)], { encoding: 'utf8' });
        assert.equal(python.status, 0, python.stderr);
        const pythonIds = python.stdout.trim().split('\n').map((line) => JSON.parse(line) as number[]);
        assert.equal(pythonIds.length, texts.length);
        texts.forEach((text, index) => assert.deepEqual(pythonIds[index], tokenizer.encode(text, 'document'), `text ${index}: ${text.slice(0, 40)}`));
      } finally {
        dir.cleanup();
      }
    });
  }
});
