/**
 * VectorFileBuilder (engine/vectorfile): the vector file written block by
 * block, as rows stream out of the store, must be the file `writeVectorFile`
 * writes from the same rows at once, and leave nothing behind when it fails.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readVectorFile, VectorFileBuilder, writeVectorFile, type VectorFileIdentity, type VectorRows } from '../../engine/vectorfile/vectorFile.js';
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
