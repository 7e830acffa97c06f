/**
 * Worker threads embed with the main thread's bag-of-words table (shared
 * memory handed over in workerData) and must give exactly the vectors the
 * main thread gives, as they did with a table of their own.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defaultGrammarsDir, defaultModelDir } from '../../engine/config/paths.js';
import { Embedder, loadedModelFiles } from '../../engine/embedding/model.js';
import { WorkerPool } from '../../engine/pool/pool.js';

const TEXTS = [
  'def levenshtein_distance(source, target):\n    return len(source) - len(target)',
  'export function parseHeaders(raw: string): Map<string, string> { return new Map(); }',
  'func (c *Client) Do(req *Request) (*Response, error) { return c.send(req) }',
  '',
];

describe('the model table shared with worker threads', () => {
  let pool: WorkerPool | undefined;
  after(() => pool?.close());

  it('is one SharedArrayBuffer, and workers embed with it exactly as the main thread does', async () => {
    const embedder = await Embedder.load(defaultModelDir());
    assert.equal(embedder.runtime, 'typescript', 'the bundled model runs as a bag of words');
    const files = loadedModelFiles();
    const tables = files.entries.map(([, facts]) => facts.bagOfWords?.embeddings).filter((table) => table !== undefined);
    assert.ok(tables.length > 0 && tables.every((table) => table!.buffer instanceof SharedArrayBuffer), 'the widened table lives in shared memory');

    pool = new WorkerPool({ grammarsDir: defaultGrammarsDir(), modelDir: defaultModelDir(), device: 'cpu', dimensions: 0, maxBatchSize: 64, maxFileBytes: 1 << 20, modelFiles: files }, { size: 2 });
    const viaWorkers = await pool.embedVectors(TEXTS, TEXTS.map(() => null), 'document');
    const direct = await embedder.embedDetailed(TEXTS, 'document');
    assert.deepEqual(viaWorkers.vectors.map((vector) => [...vector]), direct.vectors.map((vector) => [...vector]));
    assert.deepEqual(viaWorkers.truncated, direct.truncated);
  });
});
