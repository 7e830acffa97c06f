/**
 * Load (issue #6, item 4): searches racing an indexing run, a 10,000-file
 * change storm through the real file watcher, and the memory budget measured
 * in a child process. Outcomes are recorded for docs/reliability.md.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import type { IndexSummary } from '../../engine/indexer/indexer.js';
import type { SearchHit } from '../../engine/search/searcher.js';
import { WorkspaceWatcher } from '../../engine/watch/watcher.js';
import { TINY_MODEL } from '../helpers.js';
import { compareStoreWithDisk, isConsistent, scratchDir, storeProblems, withinDeadline } from './engineProbe.js';
import { recordFault } from './faultRecord.js';
import { buildCodeCorpus } from './hostileCorpus.js';

function malformed(hit: SearchHit): string | null {
  if (typeof hit.path !== 'string' || hit.path === '' || hit.path.startsWith('/')) return `path ${JSON.stringify(hit.path)}`;
  if (!Number.isInteger(hit.startLine) || !Number.isInteger(hit.endLine) || hit.startLine < 1 || hit.endLine < hit.startLine) return `lines ${hit.startLine}-${hit.endLine}`;
  if (!Number.isFinite(hit.score)) return `score ${hit.score}`;
  if (typeof hit.text !== 'string' || hit.text === '') return 'empty text';
  return null;
}

describe('100 concurrent searches while indexing runs', { timeout: 300_000 }, () => {
  const dir = scratchDir('codegraph-load-search-');
  after(() => dir.cleanup());

  it('answers every search with well-formed results and surfaces no SQLITE_BUSY', async () => {
    const root = join(dir.path, 'workspace');
    const cacheDir = join(dir.path, 'cache');
    buildCodeCorpus(root, 3000);
    const writer = await CodeGraph.open({ root, cacheDir, modelDir: TINY_MODEL, workers: 1, batchFiles: 100 });
    let reader: CodeGraph | undefined;
    try {
      // A second engine on the same cache: the CLI searching while the extension indexes. Opened before the
      // run starts: opened after its first batch, the run sometimes finished first and the searches raced nothing.
      reader = await CodeGraph.open({ root, cacheDir, modelDir: TINY_MODEL, workers: 1 });
      let firstBatch!: () => void;
      const firstBatchCommitted = new Promise<void>((resolve) => (firstBatch = resolve));
      let indexDone = false;
      const indexing = writer
        .index({ onProgress: (progress) => progress.phase === 'indexing' && progress.filesDone > 0 && firstBatch() })
        .finally(() => (indexDone = true));
      await withinDeadline(firstBatchCommitted, 120_000, 'the first batch');
      const engines = [writer, reader];
      const modes = ['hybrid', 'lexical', 'dense'] as const;
      const queries = ['parse the token', 'validate a request', 'merge matrix rows', 'retry a session', 'hash the payload', 'route message queue', 'sort records', 'encode stream'];
      const startedDuringIndex = !indexDone;
      const searches = Array.from({ length: 100 }, (_, index) =>
        engines[index % 2]!.search(`${queries[index % queries.length]} ${index}`, { mode: modes[index % 3], limit: 10 }).then((hits) => ({ hits, duringIndex: !indexDone })),
      );
      const settled = await withinDeadline(Promise.allSettled(searches), 120_000, '100 concurrent searches');
      const summary = await withinDeadline(indexing, 180_000, 'the indexing run');
      const rejected = settled.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      const answers = settled.filter((result): result is PromiseFulfilledResult<{ hits: SearchHit[]; duringIndex: boolean }> => result.status === 'fulfilled').map((result) => result.value);
      const badHits = answers.flatMap((answer) => answer.hits.map(malformed).filter((problem): problem is string => problem !== null));
      const busy = rejected.filter((result) => /SQLITE_BUSY|database is locked/i.test(String(result.reason)));
      const finishedDuringIndex = answers.filter((answer) => answer.duringIndex).length;
      const diff = await compareStoreWithDisk(writer);
      const problems = await storeProblems(writer);
      recordFault({
        fault: 'load-concurrent-search',
        description: '100 searches (hybrid, lexical, dense) fired at once from two engines on one cache while a 3,000-file index run writes',
        trials: 100,
        survived: answers.length - (badHits.length > 0 ? 1 : 0),
        lost: rejected.length === 0 && badHits.length === 0 && isConsistent(diff) ? 'nothing' : `${rejected.length} failed (${busy.length} SQLITE_BUSY): ${rejected.map((result) => String(result.reason)).slice(0, 3).join('; ')}; malformed: ${badHits.slice(0, 3).join('; ')}`,
        details: { answeredWhileIndexing: finishedDuringIndex, filesIndexed: summary.filesChanged, hitsReturned: answers.reduce((sum, answer) => sum + answer.hits.length, 0) },
      });
      assert.ok(startedDuringIndex, 'the searches started while the index run was writing');
      assert.deepEqual(rejected.map((result) => String(result.reason)), []);
      assert.deepEqual(badHits, []);
      assert.ok(answers.some((answer) => answer.hits.length > 0));
      assert.equal(summary.filesChanged, 3000);
      assert.deepEqual(problems, []);
      assert.ok(isConsistent(diff), JSON.stringify(diff));
    } finally {
      await reader?.dispose();
      await writer.dispose();
    }
  });
});

describe('a 10,000-file change storm (branch switch)', { timeout: 400_000 }, () => {
  const dir = scratchDir('codegraph-load-storm-');
  after(() => dir.cleanup());

  it('is coalesced into a few index runs, and the index ends matching the disk', async () => {
    const root = join(dir.path, 'workspace');
    const FILES = 10_000;
    const paths = buildCodeCorpus(root, FILES, 0);
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: TINY_MODEL, workers: 1 });
    let watcher: WorkspaceWatcher | undefined;
    try {
      await withinDeadline(graph.index(), 240_000, 'the initial index');
      const batches: { paths: number; summary: IndexSummary }[] = [];
      const errors: unknown[] = [];
      let lastBatchAt = 0;
      const onBatch = (summary: IndexSummary, batch: readonly string[]) => {
        batches.push({ paths: batch.length, summary });
        lastBatchAt = Date.now();
      };
      watcher = await WorkspaceWatcher.start(graph, { onBatch, onError: (error) => errors.push(error) });
      // The switch: 8,000 files rewritten in place, 1,000 deleted, 1,000 added: 10,000 changes at disk speed.
      const started = performance.now();
      buildCodeCorpus(root, 8000, 1);
      for (const path of paths.slice(8000, 9000)) rmSync(join(root, path));
      const added = buildCodeCorpus(root, 1000, 1, FILES);
      const changed = new Set([...paths.slice(0, 9000), ...added]);
      // Settled when no index run has finished for 5 s (the watcher's reconciling walk comes 3 s after the
      // last event) and the store matches the disk; the deadline only catches a watcher that never catches up.
      let diff = await compareStoreWithDisk(graph);
      const deadline = Date.now() + 180_000;
      while (Date.now() < deadline) {
        await sleep(1000);
        if (batches.length === 0 || Date.now() - lastBatchAt < 5000) continue;
        diff = await compareStoreWithDisk(graph);
        if (isConsistent(diff)) break;
      }
      const settledMs = performance.now() - started;
      const problems = await storeProblems(graph);
      const wrongFiles = diff.missing.length + diff.extra.length + diff.stale.length;
      recordFault({
        fault: 'load-change-storm',
        description: 'With the watcher running on 10,000 files: 8,000 rewritten in place, 1,000 deleted and 1,000 added as fast as the disk allows',
        trials: changed.size,
        survived: changed.size - wrongFiles,
        lost: wrongFiles === 0 && problems.length === 0 && errors.length === 0 ? 'nothing' : `store/disk differences ${JSON.stringify({ missing: diff.missing.length, extra: diff.extra.length, stale: diff.stale.length })}; errors ${errors.map(String).join('; ')}; problems ${problems.join('; ')}`,
        details: { indexRuns: batches.length, pathsPerRun: batches.map((batch) => batch.paths), settledMs: Math.round(settledMs), filesChangedPerRun: batches.map((batch) => batch.summary.filesChanged), filesDeletedPerRun: batches.map((batch) => batch.summary.filesDeleted) },
      });
      assert.deepEqual(errors.map(String), []);
      assert.deepEqual(problems, []);
      assert.ok(isConsistent(diff), JSON.stringify({ missing: diff.missing.length, extra: diff.extra.length, stale: diff.stale.length }));
      // Coalesced: 10,000 events became a handful of runs (the coalescer flushes at most every 2 s while events keep coming).
      assert.ok(batches.length >= 1 && batches.length <= 12, `index runs: ${batches.length}`);
      const hits = await graph.search('helper_10998_1', { mode: 'lexical', limit: 1 });
      assert.equal(hits[0]?.path, added[998]);
    } finally {
      await watcher?.close();
      await graph.dispose();
    }
  });
});

/**
 * Memory the engine needs beyond the configured cache budget, on this corpus
 * (6,000 chunks): Node and V8 (~60 MB at start), one worker thread with its
 * own V8 isolate, the tree-sitter WASM runtime and grammars and its own ONNX
 * Runtime session with the default model, the main thread's ONNX session for
 * queries, SQLite's page cache and the in-memory dense index (256 bytes per
 * chunk here; it grows with the corpus and is not part of the cache budget).
 * Measured 305–325 MB with 1–4 MB budgets; about 25% of margin on top for other
 * CPUs' ONNX Runtime kernels and allocators.
 */
const MEMORY_OVERHEAD_MB = 400;

describe('memory budget', { timeout: 300_000 }, () => {
  const dir = scratchDir('codegraph-load-memory-');
  after(() => dir.cleanup());

  it('keeps peak RSS under the cache budget plus the stated overhead, and stops growing once the query cache is full', () => {
    const root = join(dir.path, 'workspace');
    buildCodeCorpus(root, 3000);
    writeFileSync(join(root, 'README.md'), '# Memory probe corpus\n');
    const budgetMb = 1;
    const queries = 800; // ~1 KB per cached query vector: a 1 MB budget (a quarter for queries) fills after ~250
    const probe = spawnSync(process.execPath, [join(__dirname, 'memoryProbe.js'), root, join(dir.path, 'cache'), String(budgetMb), String(queries)], { encoding: 'utf8', timeout: 240_000 });
    const result = probe.status === 0 ? (JSON.parse(probe.stdout) as { baselineMb: number; afterIndexMb: number; halfwayMb: number; peakMb: number; chunks: number; hits: number; modelId: string }) : null;
    const limitMb = budgetMb + MEMORY_OVERHEAD_MB;
    const growthMb = result ? result.peakMb - result.halfwayMb : Infinity;
    const ok = result !== null && result.peakMb <= limitMb && growthMb <= 16;
    recordFault({
      fault: 'load-memory-budget',
      description: `Index 3,000 files with the default model and a ${budgetMb} MB cache budget, then ${queries} distinct queries (the query cache fills and evicts); peak RSS from getrusage in a child process`,
      trials: 1,
      survived: ok ? 1 : 0,
      lost: ok ? 'nothing' : result ? `peak ${result.peakMb.toFixed(0)} MB vs limit ${limitMb} MB; growth in the second half ${growthMb.toFixed(1)} MB` : `probe failed: ${probe.stderr.slice(0, 300)}`,
      details: result ? { ...result, budgetMb, overheadMb: MEMORY_OVERHEAD_MB, limitMb, secondHalfGrowthMb: Math.round(growthMb * 10) / 10 } : { stderr: probe.stderr.slice(0, 2000) },
    });
    assert.equal(probe.status, 0, probe.stderr);
    assert.ok(result!.hits > 0);
    assert.ok(result!.peakMb <= limitMb, `peak RSS ${result!.peakMb.toFixed(0)} MB exceeds ${budgetMb} MB budget + ${MEMORY_OVERHEAD_MB} MB overhead`);
    // The second half of the queries only replaces cached vectors: memory stays flat (allocator noise aside).
    assert.ok(growthMb <= 16, `RSS grew ${growthMb.toFixed(1)} MB while the query cache was already full`);
  });
});
