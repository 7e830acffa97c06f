/**
 * VectorFileBuilder (engine/vectorfile): the vector file written block by
 * block, as rows stream out of the store, must be the file `writeVectorFile`
 * writes from the same rows at once, and leave nothing behind when it fails;
 * VectorFileStream, fed committed batches, must write those bytes or nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptyDenseIndex, type DenseSettings } from '../../engine/search/denseIndex.js';
import { vectorFileIdentity, VectorFileStream } from '../../engine/vectorfile/index.js';
import { readVectorFile, VectorFileBuilder, vectorFileGeneration, writeVectorFile, type VectorFileIdentity, type VectorRows } from '../../engine/vectorfile/vectorFile.js';
import { tempDir } from '../helpers.js';

const identity: VectorFileIdentity = { modelId: 'm', dimension: 8, storedDimension: 8, precision: 'int8', generation: 'g1', projection: '', bytesPerRow: 12, bytesPerSignRow: 1 };

/** `count` rows from chunk id `firstId` on, with bytes that differ per row. */
function rowsFrom(firstId: number, count: number, signs = true): VectorRows {
  const chunkIds = Int32Array.from({ length: count }, (_, index) => firstId + 2 * index);
  const fileIds = Int32Array.from({ length: count }, (_, index) => (firstId + index) % 7);
  const rows = Uint8Array.from({ length: count * identity.bytesPerRow }, (_, index) => (index * 31 + firstId) & 0xff);
  return { count, chunkIds, fileIds, rows, signs: signs ? Uint8Array.from({ length: count }, (_, index) => (index * 17 + firstId) & 0xff) : null };
}

function concat(blocks: VectorRows[]): VectorRows {
  const join = <T extends Int32Array | Uint8Array>(parts: T[], make: (length: number) => T) => {
    const out = make(parts.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  };
  return {
    count: blocks.reduce((sum, block) => sum + block.count, 0),
    chunkIds: join(blocks.map((block) => block.chunkIds), (length) => new Int32Array(length)),
    fileIds: join(blocks.map((block) => block.fileIds), (length) => new Int32Array(length)),
    rows: join(blocks.map((block) => block.rows), (length) => new Uint8Array(length)),
    signs: join(blocks.map((block) => block.signs!), (length) => new Uint8Array(length)),
  };
}

describe('VectorFileBuilder', () => {
  it('writes, block by block, the bytes writeVectorFile writes from all the rows at once', () => {
    const dir = tempDir();
    try {
      const blocks = [rowsFrom(1, 3000), rowsFrom(7001, 1), rowsFrom(9001, 5000)];
      const built = join(dir.path, 'built.vectors');
      const builder = new VectorFileBuilder(built, identity);
      for (const block of blocks) builder.append(block);
      assert.equal(builder.finish(), 8001);
      const whole = join(dir.path, 'whole.vectors');
      writeVectorFile(whole, identity, concat(blocks));
      assert.ok(readFileSync(built).equals(readFileSync(whole)));
      const read = readVectorFile(built, identity);
      assert.ok(read.ok);
      assert.deepEqual([read.rows.count, read.rows.chunkIds[3000], read.rows.chunkIds[8000]], [8001, 7001, 9001 + 2 * 4999]);
      assert.deepEqual(readdirSync(dir.path).sort(), ['built.vectors', 'whole.vectors']);
    } finally {
      dir.cleanup();
    }
  });

  it('refuses rows out of chunk id order, and leaves no file when abandoned', () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'index.vectors');
      const builder = new VectorFileBuilder(path, identity);
      builder.append(rowsFrom(10, 4));
      assert.throws(() => builder.append(rowsFrom(16, 2)), /ascending chunk id order/);
      builder.abort();
      assert.ok(!existsSync(path));
      assert.deepEqual(readdirSync(dir.path), []);
    } finally {
      dir.cleanup();
    }
  });

  it('writes an empty file that reads as no rows', () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'index.vectors');
      assert.equal(new VectorFileBuilder(path, identity).finish(), 0);
      const read = readVectorFile(path, identity);
      assert.ok(read.ok && read.rows.count === 0);
    } finally {
      dir.cleanup();
    }
  });
});

describe('VectorFileStream', () => {
  const settings: DenseSettings = { dimension: 8, precision: 'int8', projection: null, projectionPending: false, projectionId: '' };
  /** An int8 blob as the store keeps it: a float32 scale, then one byte per dimension. */
  const blob = (seed: number) => {
    const bytes = new Uint8Array(4 + 8);
    new DataView(bytes.buffer).setFloat32(0, 0.01 * (seed + 1), true);
    for (let at = 0; at < 8; at++) bytes[4 + at] = (seed * 37 + at * 11) & 0xff;
    return bytes;
  };
  const change = (previous: string, current: string) => ({ previous, current });

  it('writes the committed batches as the file of the last generation, with the rows a loaded index would save', () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'index.vectors');
      const stream = VectorFileStream.start(path, 'm', settings, 'g0', (error) => assert.fail(error))!;
      stream.append({ generation: change('g0', 'g1'), removedChunkIds: [], rows: [{ id: 1, fileId: 1, blob: blob(1) }, { id: 2, fileId: 1, blob: undefined }, { id: 3, fileId: 2, blob: blob(3) }] });
      stream.append({ generation: change('g1', 'g2'), removedChunkIds: [], rows: [{ id: 7, fileId: 3, blob: blob(7) }] });
      stream.follow(change('g2', 'g3'));
      assert.equal(stream.finish('g3'), true);
      assert.equal(vectorFileGeneration(path), 'g3');
      const loaded = emptyDenseIndex(settings);
      for (const id of [1, 3, 7]) loaded.add(id, id === 7 ? 3 : id === 3 ? 2 : 1, blob(id));
      const whole = join(dir.path, 'whole.vectors');
      writeVectorFile(whole, vectorFileIdentity('m', settings, 'g3'), loaded.exportRows());
      assert.ok(readFileSync(path).equals(readFileSync(whole)), 'the bytes of the file saved from an index of the same rows');
      assert.deepEqual(readdirSync(dir.path).sort(), ['index.vectors', 'whole.vectors']);
    } finally {
      dir.cleanup();
    }
  });

  for (const [what, feed] of [
    ['a batch that removes chunks', (stream: VectorFileStream) => stream.append({ generation: change('g1', 'g2'), removedChunkIds: [1], rows: [] })],
    ['a write it did not see', (stream: VectorFileStream) => stream.append({ generation: change('elsewhere', 'g2'), removedChunkIds: [], rows: [{ id: 9, fileId: 1, blob: blob(9) }] })],
    ['rows below those it holds (a backfill of earlier chunks)', (stream: VectorFileStream) => stream.append({ generation: change('g1', 'g2'), removedChunkIds: [], rows: [{ id: 1, fileId: 1, blob: blob(1) }] })],
  ] as const) {
    it(`writes nothing and leaves nothing after ${what}`, () => {
      const dir = tempDir();
      try {
        const path = join(dir.path, 'index.vectors');
        const stream = VectorFileStream.start(path, 'm', settings, 'g0', (error) => assert.fail(error))!;
        stream.append({ generation: change('g0', 'g1'), removedChunkIds: [], rows: [{ id: 4, fileId: 1, blob: blob(4) }] });
        feed(stream);
        assert.equal(stream.generation, null, 'broken');
        assert.equal(stream.finish('g2'), false);
        assert.deepEqual(readdirSync(dir.path), []);
      } finally {
        dir.cleanup();
      }
    });
  }

  it('is not started for a projection fitted on the stored vectors', () => {
    const dir = tempDir();
    try {
      assert.equal(VectorFileStream.start(join(dir.path, 'index.vectors'), 'm', { ...settings, projectionPending: true }, 'g0', (error) => assert.fail(error)), null);
    } finally {
      dir.cleanup();
    }
  });
});
