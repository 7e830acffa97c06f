import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { InvalidConfigError } from '../../engine/errors.js';
import { DenseIndex, emptyDenseIndex, type DenseSettings } from '../../engine/search/denseIndex.js';
import { Database } from '../../engine/store/database.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../engine/store/schema.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { capacityWithRoom, CodedMatrix } from '../../engine/vectors/codedMatrix.js';
import { readVectorFile, vectorFileIdentity, writeVectorFile } from '../../engine/vectorfile/index.js';
import { BinaryCodec, createCodec, VECTOR_PRECISIONS, type VectorPrecision } from '../../engine/vectors/codecs.js';
import { fromFloat16Bits, toFloat16Bits } from '../../engine/vectors/float16.js';
import { decodePca, gaussianSource } from '../../engine/vectors/pca.js';
import { encodeInt8Blob, quantizeInt8 } from '../../engine/vectors/quantize.js';
import { copyFixtureWorkspace, tempDir, TINY_MODEL } from '../helpers.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
};

function unitVector(dimension: number, random: () => number): Float32Array {
  const vector = Float32Array.from({ length: dimension }, random);
  const norm = Math.sqrt(dot(vector, vector));
  return vector.map((value) => value / norm);
}

describe('float16 conversion', () => {
  it('converts exactly representable values exactly, including subnormals, infinities and NaN', () => {
    for (const [value, bits] of [[0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [2 ** -14, 0x0400], [2 ** -24, 0x0001], [Infinity, 0x7c00], [-Infinity, 0xfc00]] as const) {
      assert.equal(toFloat16Bits(value), bits, `${value}`);
      assert.equal(fromFloat16Bits(bits), value);
    }
    assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN))));
  });

  it('round-trips every non-NaN bit pattern', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0) continue;
      assert.equal(toFloat16Bits(fromFloat16Bits(bits)), bits);
    }
  });

  it('rounds to nearest with ties to even, overflows to infinity and underflows to zero', () => {
    assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00); // halfway between 1 and 1 + 2^-10: even mantissa wins
    assert.equal(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // halfway between odd 0x3c01 and even 0x3c02
    assert.equal(toFloat16Bits(1 + 2 ** -11 + 2 ** -20), 0x3c01); // just above halfway rounds up
    assert.equal(toFloat16Bits(65520), 0x7c00); // halfway between the largest half and 2^16 rounds to even: infinity
    assert.equal(toFloat16Bits(65519), 0x7bff);
    assert.equal(toFloat16Bits(2 ** -25), 0x0000); // half the smallest subnormal, ties to even (zero)
    assert.equal(toFloat16Bits(1.5 * 2 ** -25), 0x0001);
    assert.equal(toFloat16Bits(1e-10), 0x0000);
    assert.equal(toFloat16Bits(2 ** -14 - 2 ** -25), 0x0400); // rounds up out of the subnormals into the smallest normal
  });

  it('keeps the relative error of normal values within 2^-11', () => {
    const random = gaussianSource(3);
    for (let i = 0; i < 2000; i++) {
      const value = random() * 2 ** Math.round(random() * 6); // Gaussian mantissa, exponents spread over a few dozen binades
      if (Math.abs(value) < 2 ** -14 || Math.abs(value) > 65504) continue;
      assert.ok(Math.abs(fromFloat16Bits(toFloat16Bits(value)) - value) <= Math.abs(value) * 2 ** -11);
    }
  });
});

describe('precision codecs', () => {
  const dimension = 100; // not a multiple of 8 or 4: exercises padding
  const random = gaussianSource(17);
  const vectors = Array.from({ length: 40 }, () => unitVector(dimension, random));
  const query = unitVector(dimension, random);

  it('round-trip within each mode’s error bound', () => {
    for (const vector of vectors.slice(0, 5)) {
      const decodedBy = (precision: VectorPrecision) => {
        const codec = createCodec(precision, dimension);
        const row = new Uint8Array(codec.bytesPerVector);
        codec.encode(vector, row);
        return codec.decode(row);
      };
      assert.deepEqual(decodedBy('f32'), vector);
      const half = decodedBy('f16');
      vector.forEach((value, i) => assert.ok(Math.abs(half[i]! - value) <= Math.max(Math.abs(value) * 2 ** -11, 2 ** -25)));
      const max = Math.max(...vector.map(Math.abs));
      const int8 = decodedBy('int8');
      vector.forEach((value, i) => assert.ok(Math.abs(int8[i]! - value) <= max / 127 / 2 + 1e-7));
      const binary = decodedBy('binary');
      const meanMagnitude = vector.reduce((sum, value) => sum + Math.abs(value), 0) / dimension;
      vector.forEach((value, i) => assert.ok(Math.abs(binary[i]! - (value > 0 ? meanMagnitude : -meanMagnitude)) < 1e-6));
    }
  });

  it('score a matrix scan exactly as the dot product with each decoded row, and close to the exact one', () => {
    const tolerance: Record<VectorPrecision, number> = { f32: 1e-6, f16: 2e-3, int8: 2e-2, binary: 1 };
    for (const precision of VECTOR_PRECISIONS) {
      const matrix = new CodedMatrix(createCodec(precision, dimension), 16); // grows past its first capacity
      vectors.forEach((vector) => matrix.push(vector));
      const scores = new Float32Array(matrix.size);
      matrix.scores(query, scores);
      vectors.forEach((vector, row) => {
        assert.ok(Math.abs(scores[row]! - dot(query, matrix.decode(row))) < 1e-5, `${precision} row ${row}`);
        assert.ok(Math.abs(scores[row]! - dot(query, vector)) < tolerance[precision], `${precision} row ${row}: ${scores[row]} vs ${dot(query, vector)}`);
      });
      matrix.clear(3);
      matrix.scores(query, scores);
      assert.equal(scores[3], 0);
    }
  });

  it('binary scan gives bit for bit the row-by-row scores, for any row count and a dimension that is no multiple of 32', () => {
    const random = gaussianSource(11);
    for (const width of [256, 64, 40, 13]) {
      const codec = createCodec('binary', width) as BinaryCodec;
      for (const count of [0, 1, 3, 4, 5, 37]) {
        const matrix = new CodedMatrix(codec, 4);
        for (let row = 0; row < count; row++) matrix.push(unitVector(width, random));
        const query = unitVector(width, random);
        const interleaved = new Float32Array(count);
        const reference = new Float32Array(count);
        codec.scan(query, matrix.encodedRows().buffer as ArrayBuffer, count, interleaved);
        codec.scanRowByRow(query, matrix.encodedRows().buffer as ArrayBuffer, count, reference);
        assert.deepEqual([...interleaved], [...reference], `${width} dimensions, ${count} rows`);
      }
    }
  });

  it('re-score listed rows exactly as the dot product with each decoded row', () => {
    for (const precision of VECTOR_PRECISIONS) {
      const matrix = new CodedMatrix(createCodec(precision, dimension), 16);
      vectors.forEach((vector) => matrix.push(vector));
      const rows = [5, 0, 7, 5, matrix.size - 1];
      const scores = matrix.scoreRows(query, rows);
      assert.deepEqual([...scores], rows.map((row) => dot(matrix.decode(row), query)), precision);
    }
  });

  it('pack rows in fewer bytes as precision drops', () => {
    const sizes = VECTOR_PRECISIONS.map((precision) => createCodec(precision, 256).bytesPerVector);
    assert.deepEqual(sizes, [1024, 512, 260, 36]);
    assert.throws(() => createCodec('f8' as VectorPrecision, 4), RangeError);
  });

  it('binary scoring ranks by the float query against sign bits, not by Hamming distance', () => {
    const codec = createCodec('binary', 8);
    const matrix = new CodedMatrix(codec, 4);
    const signs = (pattern: number[]) => Float32Array.from(pattern);
    const query = Float32Array.from([0.9, 0.1, 0.1, 0.1, 0, 0, 0, 0]);
    matrix.push(signs([1, -1, -1, -1, 1, 1, 1, 1])); // agrees with the query only on its large first component
    matrix.push(signs([-1, 1, 1, 1, 1, 1, 1, 1])); // agrees on three small ones: closer by Hamming distance
    matrix.push(signs([1, 1, 1, 1, 1, 1, 1, 1])); // agrees everywhere
    matrix.push(signs([-1, -1, -1, -1, 1, 1, 1, 1])); // agrees nowhere
    const scores = new Float32Array(4);
    matrix.scores(query, scores);
    // Exact dot products with these ±1 vectors: 0.6, -0.6, 1.2, -1.2.
    assert.deepEqual([...scores].map((score) => Math.round(score * 10) / 10), [0.6, -0.6, 1.2, -1.2]);
    const order = [0, 1, 2, 3].sort((a, b) => scores[b]! - scores[a]!);
    assert.deepEqual(order, [2, 0, 1, 3]);
  });
});

describe('dense index in every precision', () => {
  const dimension = 48;
  const random = gaussianSource(23);
  const vectors = Array.from({ length: 300 }, () => unitVector(dimension, random));

  it('finds a vector itself first, reuses removed rows and decodes what it holds', () => {
    for (const precision of VECTOR_PRECISIONS) {
      const index = new DenseIndex(dimension, { precision, capacity: 8 });
      vectors.forEach((vector, id) => index.add(id + 1, id % 7, encodeInt8Blob(quantizeInt8(vector))));
      for (const probe of [0, 42, 299]) assert.equal(index.search(vectors[probe]!, 1)[0]!.index, probe + 1, `${precision} probe ${probe}`);
      index.remove(43);
      assert.ok(index.search(vectors[42]!, 5).every((hit) => hit.index !== 43));
      const before = index.byteLength;
      index.addVector(1000, 1, vectors[42]!);
      assert.equal(index.byteLength, before, 'the freed row is reused');
      assert.equal(index.search(vectors[42]!, 1)[0]!.index, 1000);
      assert.ok(index.search(vectors[10]!, 3, (file) => file === 3).every((hit) => (hit.index - 1) % 7 === 3));
      const held = index.vectorOf(1000)!;
      assert.ok(dot(held, vectors[42]!) / Math.sqrt(dot(held, held)) > (precision === 'binary' ? 0.75 : 0.99));
    }
  });
});

describe('dense index read from the vector file', () => {
  it('grows into the room read with its rows, without a copy, and answers as an index built row by row', () => {
    const dir = tempDir();
    try {
      const dimension = 48;
      const random = gaussianSource(29);
      const vectors = Array.from({ length: 600 }, () => unitVector(dimension, random));
      const blob = (id: number) => encodeInt8Blob(quantizeInt8(vectors[id]!));
      const settings: DenseSettings = { dimension, precision: 'int8', projection: null, projectionPending: false, projectionId: '' };
      const saved = emptyDenseIndex(settings);
      for (let id = 0; id < 500; id++) saved.add(id, id % 7, blob(id));
      const identity = vectorFileIdentity('test-model', settings, 'generation-1');
      const path = join(dir.path, 'index.vectors');
      writeVectorFile(path, identity, saved.exportRows());
      const read = readVectorFile(path, identity);
      assert.ok(read.ok);
      const loaded = emptyDenseIndex(settings);
      loaded.importRows(read.rows);
      const capacity = loaded.rowCapacity;
      assert.equal(capacity, capacityWithRoom(500));
      const built = emptyDenseIndex(settings, 1);
      for (let id = 0; id < 500; id++) built.add(id, id % 7, blob(id));
      for (const index of [loaded, built]) {
        for (let id = 500; id < 600; id++) index.add(id, id % 7, blob(id));
        for (const id of [3, 250, 540]) index.remove(id);
      }
      assert.equal(loaded.rowCapacity, capacity, 'the added rows fit in the room: no copy');
      for (const probe of [0, 3, 250, 499, 500, 540, 599]) assert.deepEqual(loaded.search(vectors[probe]!, 10), built.search(vectors[probe]!, 10), `probe ${probe}`);
      assert.deepEqual(loaded.exportRows(), built.exportRows());
    } finally {
      dir.cleanup();
    }
  });
});

describe('binary prefilter of a large index', () => {
  it('returns the exact scan’s top results, with their exact scores, and honours removals and file filters', () => {
    const dimension = 64;
    const random = gaussianSource(31);
    // Clustered vectors, like real embeddings: 40 topics, each with close members.
    const topics = Array.from({ length: 40 }, () => unitVector(dimension, random));
    const vectors = Array.from({ length: 3000 }, (_, id) => unitVector(dimension, random).map((noise, d) => 0.35 * noise + topics[id % 40]![d]!));
    const exact = new DenseIndex(dimension, { prefilterMinRows: Infinity });
    const prefiltered = new DenseIndex(dimension, { prefilterMinRows: 0 });
    vectors.forEach((vector, id) => {
      exact.addVector(id, id % 5, vector);
      prefiltered.addVector(id, id % 5, vector);
    });
    assert.ok(prefiltered.byteLength > exact.byteLength, 'the sign bits take memory of their own');
    let overlap = 0;
    for (let probe = 0; probe < 50; probe++) {
      const query = unitVector(dimension, random).map((value, d) => 0.3 * value + vectors[probe * 37]![d]!);
      const truth = exact.search(query, 10);
      const found = prefiltered.search(query, 10);
      const scoreOf = new Map(truth.map((hit) => [hit.index, hit.score]));
      for (const hit of found) if (scoreOf.has(hit.index)) assert.ok(Math.abs(scoreOf.get(hit.index)! - hit.score) < 1e-5, 're-scored at full precision');
      overlap += found.filter((hit) => scoreOf.has(hit.index)).length;
      assert.ok(found.every((hit, rank) => rank === 0 || found[rank - 1]!.score >= hit.score), 'ranked by the re-scored value');
    }
    assert.ok(overlap / 500 >= 0.97, `recall@10 ${overlap / 500}`);
    prefiltered.remove(37);
    assert.ok(prefiltered.search(vectors[37]!, 10).every((hit) => hit.index !== 37));
    assert.ok(prefiltered.search(vectors[40]!, 10, (file) => file === 2).every((hit) => hit.index % 5 === 2));
  });
});

describe('schema migration 3', () => {
  it('upgrades a v2 cache in place, keeping its files, chunks and vectors', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'index.sqlite');
    try {
      const v2 = await Database.open(path);
      for (const migration of MIGRATIONS.slice(0, 2)) await v2.exec(migration);
      await v2.exec('PRAGMA user_version = 2');
      await v2.run("INSERT INTO files (id, path, language, size, mtime_ms, content_hash, chunk_method, indexed_at) VALUES (1, 'a.py', 'python', 10, 1, 'fh', 'syntax', 1)");
      await v2.run("INSERT INTO chunks (id, file_id, ordinal, content_hash, kind, start_line, end_line, text, node_count, depth, complexity, calls, identifiers) VALUES (7, 1, 0, 'ch', 'function', 1, 3, 'def a(): pass', 3, 1, 1, '[]', '[]')");
      const blob = encodeInt8Blob(quantizeInt8(Float32Array.from([0.6, -0.8, 0, 0])));
      await v2.run("INSERT INTO vectors (model_id, content_hash, vector, last_used) VALUES ('m@1', 'ch', ?, 1)", [blob]);
      await v2.close();

      const store = await WorkspaceStore.open(path);
      try {
        assert.equal((await store.db.get<{ user_version: number }>('PRAGMA user_version'))!.user_version, SCHEMA_VERSION);
        assert.ok(SCHEMA_VERSION >= 3);
        assert.deepEqual([...(await store.files()).keys()], ['a.py']);
        assert.equal((await store.chunksByIds([7])).get(7)!.text, 'def a(): pass');
        assert.deepEqual((await store.vectorsFor('m@1', ['ch'])).get('ch'), blob);
        assert.equal(await store.countChunkVectors('m@1'), 1);
        assert.equal(await store.denseSettings('m@1'), undefined);
        await store.saveDenseSettings({ modelId: 'm@1', precision: 'f16', pcaInputDimension: null, pcaOutputDimension: null, pca: null });
        assert.equal((await store.denseSettings('m@1'))!.precision, 'f16');
        await store.saveDenseSettings({ modelId: 'old@0', precision: 'int8', pcaInputDimension: 4, pcaOutputDimension: 2, pca: Buffer.from([1]) });
        await store.collectGarbage('m@1', 0);
        assert.equal(await store.denseSettings('old@0'), undefined, 'settings of a dropped model go with its vectors');
        assert.ok(await store.denseSettings('m@1'));
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe('precision and PCA through CodeGraph', () => {
  const workspace = copyFixtureWorkspace();
  const logs: string[] = [];
  const open = (precision: VectorPrecision, pcaDimensions = 0) =>
    CodeGraph.open({ root: workspace.root, cacheDir: workspace.cache, modelDir: TINY_MODEL, workers: 1, precision, pcaDimensions }, { log: (message) => logs.push(message) });
  const denseTop = async (graph: CodeGraph, query: string) => (await graph.search(query, { mode: 'dense', limit: 3, maxPerFile: 1 })).map((hit) => hit.path);

  before(async () => {
    const graph = await open('int8');
    await graph.index();
    await graph.dispose();
  });
  after(() => workspace.cleanup());

  it('finds the expected files by dense search with f16 and binary vectors, and records the mode', async () => {
    for (const precision of ['f16', 'binary'] as const) {
      const graph = await open(precision);
      try {
        assert.ok((await denseTop(graph, 'token bucket rate limiter')).includes('python/rate_limiter.py'), precision);
        assert.ok((await denseTop(graph, 'least recently used cache eviction')).includes('typescript/lruCache.ts'), precision);
        assert.ok((await denseTop(graph, 'matrix transpose')).includes('rust/matrix.rs'), precision);
        assert.equal((await graph.store.denseSettings(graph.modelId!))!.precision, precision);
      } finally {
        await graph.dispose();
      }
    }
    assert.ok(logs.some((line) => /precision changed from f16 to binary/.test(line)));
  });

  it('fits PCA on the workspace once, stores it with the index, and drops it when turned off', async () => {
    let graph = await open('f32', 8);
    try {
      assert.ok((await denseTop(graph, 'matrix transpose')).includes('rust/matrix.rs'));
      const settings = (await graph.store.denseSettings(graph.modelId!))!;
      assert.equal(settings.pcaOutputDimension, 8);
      const projection = decodePca(settings.pca!);
      assert.equal(projection.inputDimension, 32);
      assert.ok(logs.some((line) => /PCA 32→8 fitted on \d+ vectors/.test(line)));
    } finally {
      await graph.dispose();
    }
    const fits = logs.filter((line) => /PCA 32→8 fitted/.test(line)).length;
    graph = await open('int8', 8);
    try {
      await graph.search('matrix transpose', { mode: 'dense' });
      assert.equal(logs.filter((line) => /PCA 32→8 fitted/.test(line)).length, fits, 'the stored projection is reused');
    } finally {
      await graph.dispose();
    }
    graph = await open('int8', 0);
    try {
      await graph.search('matrix transpose', { mode: 'dense' });
      assert.equal((await graph.store.denseSettings(graph.modelId!))!.pca, null);
      assert.ok(logs.some((line) => /PCA turned off/.test(line)));
    } finally {
      await graph.dispose();
    }
  });

  it('waits for enough vectors before fitting PCA, searching at full dimension meanwhile', async () => {
    const graph = await open('int8', 30); // needs 4 × 30 = 120 vectors; the fixture has fewer
    try {
      assert.ok((await denseTop(graph, 'matrix transpose')).includes('rust/matrix.rs'));
      assert.equal((await graph.store.denseSettings(graph.modelId!))!.pca, null);
      assert.ok(logs.some((line) => /PCA to 30 dimensions waits for 120 vectors/.test(line)));
    } finally {
      await graph.dispose();
    }
  });

  it('rejects an unknown precision and a negative PCA dimension by name', async () => {
    await assert.rejects(open('f8' as VectorPrecision), (error: unknown) => error instanceof InvalidConfigError && /precision/.test(error.message));
    await assert.rejects(open('int8', -1), (error: unknown) => error instanceof InvalidConfigError && /pcaDimensions/.test(error.message));
  });
});
