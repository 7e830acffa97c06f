/**
 * The trained models shipped in models/: what their graphs promise (position
 * weighting, masking, truncation) and what their manifests carry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readModelManifest } from '../../engine/embedding/manifest.js';
import { Embedder } from '../../engine/embedding/model.js';
import { REPO_ROOT } from '../helpers.js';

const CODE_V2 = join(REPO_ROOT, 'models', 'codegraph-code-v2');
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, d) => sum + value * b[d]!, 0);

describe('codegraph-code-v2, the default model', () => {
  let embedder: Embedder;
  before(async () => {
    embedder = await Embedder.load(CODE_V2, { device: 'cpu', intraOpThreads: 1, maxBatchSize: 8, maxBatchTokens: 8192, dimensions: 0 });
  });
  after(async () => {
    await embedder.dispose();
  });

  it('is the default named by models/default.json', () => {
    assert.equal((JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'default.json'), 'utf8')) as { default: string }).default, 'codegraph-code-v2');
  });

  it('weights tokens by position: the same words in another order give another vector', async () => {
    const [first, second] = await embedder.embed(['def parse_config(path): return load_yaml(path)', 'def load_yaml(path): return parse_config(path)']);
    const similarity = cosine(first!, second!);
    assert.ok(similarity < 0.999, `order changed nothing (cosine ${similarity})`);
    assert.ok(similarity > 0.5, `the same words should stay close (cosine ${similarity})`);
  });

  it('gives a text the same vector alone and beside a longer text in a padded batch', async () => {
    const short = 'func retryWithBackoff(op func() error) error';
    const long = `${'// the connection pool keeps idle sockets for reuse\n'.repeat(30)}func (p *Pool) Get() (*Conn, error)`;
    const [alone] = await embedder.embed([short]);
    const [batched] = await embedder.embed([short, long]);
    assert.ok(cosine(alone!, batched!) > 0.99999);
  });

  it('embeds a text longer than its window by truncating to the window the position table covers', async () => {
    const manifest = readModelManifest(CODE_V2);
    const huge = Array.from({ length: manifest.maxTokens * 3 }, (_, index) => `identifier${index}`).join(' ');
    const [vector] = await embedder.embed([huge]);
    assert.equal(vector!.length, manifest.dimension);
    assert.ok(Math.abs(cosine(vector!, vector!) - 1) < 1e-4);
  });

  it('carries a measured similarity threshold in its manifest', () => {
    const threshold = readModelManifest(CODE_V2).similarityThreshold;
    assert.ok(threshold !== null && threshold > 0 && threshold < 1, `similarityThreshold ${threshold}`);
  });
});
