import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DenseIndex } from '../../engine/search/denseIndex.js';
import { CodedMatrix } from '../../engine/vectors/codedMatrix.js';
import { createCodec, type BinaryCodec } from '../../engine/vectors/codecs.js';
import { gaussianSource } from '../../engine/vectors/pca.js';
import { MIN_SPLIT_ROWS, SignScanThread } from '../../engine/vectors/signScanThread.js';

function unitVector(dimension: number, random: () => number): Float32Array {
  const vector = Float32Array.from({ length: dimension }, random);
  let norm = 0;
  for (const value of vector) norm += value * value;
  return vector.map((value) => value / Math.sqrt(norm));
}

/** Sign rows of `count` random vectors, in a shared matrix. */
function sharedSigns(dimension: number, count: number, random: () => number): CodedMatrix {
  const matrix = new CodedMatrix(createCodec('binary', dimension), count);
  matrix.share();
  for (let row = 0; row < count; row++) matrix.push(unitVector(dimension, random));
  return matrix;
}

const sharedScores = (length: number) => new Float32Array(new SharedArrayBuffer(length * 4));

describe('sign scan split across two threads', () => {
  const thread = SignScanThread.start();
  after(() => thread?.close());

  it('scores every row bit for bit like the one-thread scan, for counts at and around the split', { skip: thread === null && 'one core' }, () => {
    const random = gaussianSource(5);
    const codec = createCodec('binary', 256) as BinaryCodec;
    for (const count of [MIN_SPLIT_ROWS - 1, MIN_SPLIT_ROWS, MIN_SPLIT_ROWS + 5, 3 * MIN_SPLIT_ROWS + 3]) {
      const matrix = sharedSigns(256, count, random);
      const query = unitVector(256, random);
      const split = sharedScores(count);
      const single = new Float32Array(count);
      const splitBefore = thread!.splitScans;
      matrix.scores(query, split, thread);
      codec.scanRowByRow(query, matrix.encodedRows().buffer, count, single);
      assert.deepEqual(split, Float32Array.from(single), `${count} rows`);
      assert.ok(thread!.usable, 'the thread answered in time');
      assert.equal(thread!.splitScans - splitBefore, count >= MIN_SPLIT_ROWS ? 1 : 0, 'the thread scored half of a large scan, and none of a small one');
    }
  });

  it('picks up a grown matrix and a new score buffer between scans', { skip: thread === null && 'one core' }, () => {
    const random = gaussianSource(9);
    const codec = createCodec('binary', 64) as BinaryCodec;
    const matrix = sharedSigns(64, MIN_SPLIT_ROWS + 100, random);
    const query = unitVector(64, random);
    matrix.scores(query, sharedScores(MIN_SPLIT_ROWS + 100), thread);
    const before = matrix.capacity;
    while (matrix.capacity === before) matrix.push(unitVector(64, random));
    const count = matrix.size;
    const split = sharedScores(count);
    const single = new Float32Array(count);
    matrix.scores(query, split, thread);
    codec.scanRowByRow(query, matrix.encodedRows().buffer, count, single);
    assert.deepEqual(split, Float32Array.from(single));
  });

  it('gives the same dense search results with the thread as without, through growth and removals', { skip: thread === null && 'one core' }, () => {
    const random = gaussianSource(17);
    const dimension = 64;
    const topics = Array.from({ length: 30 }, () => unitVector(dimension, random));
    const vector = (id: number) => unitVector(dimension, random).map((noise, d) => 0.4 * noise + topics[id % 30]![d]!);
    const alone = new DenseIndex(dimension, { prefilterMinRows: 0, capacity: 1024 });
    const helped = new DenseIndex(dimension, { prefilterMinRows: 0, capacity: 1024 });
    helped.useScanThread(thread);
    const add = (from: number, to: number) => {
      for (let id = from; id < to; id++) {
        const v = vector(id);
        alone.addVector(id, id % 7, v);
        helped.addVector(id, id % 7, v);
      }
    };
    const compare = () => {
      for (let probe = 0; probe < 10; probe++) {
        const query = unitVector(dimension, random);
        assert.deepEqual(helped.search(query, 20), alone.search(query, 20));
        assert.deepEqual(helped.search(query, 20, (file) => file === 3), alone.search(query, 20, (file) => file === 3));
      }
    };
    const splitBefore = thread!.splitScans;
    add(0, MIN_SPLIT_ROWS + 50);
    compare();
    assert.ok(thread!.splitScans > splitBefore, 'the index split its scans');
    add(MIN_SPLIT_ROWS + 50, 2 * MIN_SPLIT_ROWS + 77); // the matrices grow: new shared buffers
    for (let id = 0; id < 500; id += 3) {
      alone.remove(id);
      helped.remove(id);
    }
    compare();
  });

  it('scans on the calling thread alone once closed, with the same scores', async () => {
    const closing = SignScanThread.start();
    if (!closing) return;
    await closing.close();
    assert.equal(closing.usable, false);
    const random = gaussianSource(23);
    const codec = createCodec('binary', 128) as BinaryCodec;
    const matrix = sharedSigns(128, MIN_SPLIT_ROWS + 8, random);
    const query = unitVector(128, random);
    const scores = sharedScores(matrix.size);
    const single = new Float32Array(matrix.size);
    matrix.scores(query, scores, closing);
    codec.scanRowByRow(query, matrix.encodedRows().buffer, matrix.size, single);
    assert.deepEqual(scores, Float32Array.from(single));
  });
});
