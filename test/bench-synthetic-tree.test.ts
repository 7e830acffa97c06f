import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { disposePeakRssMb, isFlat, sampleAtShare, SYNTHETIC_LANGUAGES, syntheticFiles, writeSyntheticTree, type RssSample } from '../bench/speed/syntheticTree.js';
import { DEFAULT_CHUNKING } from '../engine/parsing/chunk.js';
import { languageForPath } from '../engine/parsing/languages.js';
import { CodeParser } from '../engine/parsing/parser.js';
import { GRAMMARS } from './helpers.js';

describe('synthetic tree generator', () => {
  let parser: CodeParser;
  before(async () => {
    parser = await CodeParser.create(GRAMMARS);
  });

  it('repeats exactly from its seed and differs with another seed', () => {
    const first = [...syntheticFiles(200, 3)];
    assert.deepEqual([...syntheticFiles(200, 3)], first);
    const other = [...syntheticFiles(200, 4)];
    assert.notDeepEqual(other.map((file) => file.text), first.map((file) => file.text));
  });

  it('gives every file distinct contents and a distinct path', () => {
    const files = [...syntheticFiles(3000)];
    assert.equal(new Set(files.map((file) => file.text)).size, files.length);
    assert.equal(new Set(files.map((file) => file.path)).size, files.length);
  });

  it('takes turns over Python, TypeScript, Go, Java and Rust, each detected as its language', () => {
    const files = [...syntheticFiles(50)];
    assert.deepEqual([...new Set(files.map((file) => file.language))], ['python', 'typescript', 'go', 'java', 'rust']);
    assert.deepEqual([...SYNTHETIC_LANGUAGES], ['python', 'typescript', 'go', 'java', 'rust']);
    for (const file of files) assert.equal(languageForPath(file.path)?.id, file.language, file.path);
  });

  it('writes small files that parse: each chunked by syntax into named definitions', async () => {
    for (const file of [...syntheticFiles(25)]) {
      const size = Buffer.byteLength(file.text);
      assert.ok(size > 500 && size < 4000, `${file.path}: ${size} bytes`);
      const chunked = await parser.chunk(file.text, languageForPath(file.path), DEFAULT_CHUNKING);
      assert.equal(chunked.method, 'syntax', `${file.path} fell back to line windows`);
      assert.ok(chunked.chunks.filter((chunk) => chunk.symbol).length >= 3, `${file.path}: ${chunked.chunks.map((chunk) => chunk.kind).join(', ')}`);
    }
  });

  it('spreads files over nested directories of at most 1,000 and writes them to disk', () => {
    const root = mkdtempSync(join(tmpdir(), 'cg-synthetic-'));
    try {
      const written = writeSyntheticTree(root, 2500, 5);
      assert.equal(written.files, 2500);
      const leaves = readdirSync(root).flatMap((area) => readdirSync(join(root, area)).map((leaf) => join(root, area, leaf)));
      assert.equal(leaves.length, 3);
      assert.deepEqual(leaves.map((leaf) => readdirSync(leaf).length).sort(), [1000, 1000, 500]);
      const first = [...syntheticFiles(1, 5)][0]!;
      assert.equal(readFileSync(join(root, first.path), 'utf8'), first.text);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('flat-memory verdict', () => {
  const sample = (filesDone: number, rssMb: number, phase: RssSample['phase'] = 'index'): RssSample => ({ ms: filesDone, phase, rssMb, heapUsedMb: 0, externalMb: 0, filesDone });

  it('reads RSS at the first sample at or past each share of the files, and the run\'s last sample for the end', () => {
    const samples = [sample(0, 100), sample(20, 200), sample(30, 210), sample(60, 220), sample(100, 230), sample(100, 180)];
    assert.equal(sampleAtShare(samples, 100, 0.25).rssMb, 210);
    assert.equal(sampleAtShare(samples, 100, 0.5).rssMb, 220);
    assert.equal(sampleAtShare(samples, 100, 1).rssMb, 180);
  });

  it('keeps the engine\'s close out of the curve and reports its peak on its own', () => {
    const samples = [sample(0, 100), sample(50, 200), sample(100, 210), sample(100, 390, 'dispose'), sample(100, 150, 'dispose')];
    assert.equal(sampleAtShare(samples, 100, 1).rssMb, 210);
    assert.equal(disposePeakRssMb(samples), 390);
    assert.equal(disposePeakRssMb(samples.slice(0, 3)), 0);
  });

  it('calls memory flat up to 1.25 × the quarter mark, and growing past it', () => {
    assert.ok(isFlat(400, 500));
    assert.ok(!isFlat(400, 501));
  });
});
