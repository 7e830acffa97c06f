/**
 * Worker crashes, injected for real: files carrying a `codegraph-test-fault:`
 * marker make the worker that reads them exit, throw an uncaught exception or
 * run out of heap (engine/pool/worker.ts, active only under
 * CODEGRAPH_TEST_FAULTS). The pool must retry with backoff, quarantine a file
 * that keeps crashing, and go on indexing and searching everything else.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { DEFAULT_CHUNKING } from '../../engine/parsing/chunk.js';
import { WorkerPool, type PoolEvent } from '../../engine/pool/pool.js';
import { backoffDelay, CircuitBreaker, DEFAULT_RETRY, seededRandom, withRetry } from '../../engine/pool/resilience.js';
import type { AnalyzedFile } from '../../engine/pool/protocol.js';
import { GRAMMARS, tempDir, TINY_MODEL } from '../helpers.js';
import { recordFault } from './faultRecord.js';

const dir = tempDir('codegraph-worker-crash-');
const faults = join(dir.path, 'fault-state');
mkdirSync(faults);
// Read by each worker when it starts, so it is set before any pool exists.
process.env['CODEGRAPH_TEST_FAULTS'] = faults;

const FILES: Record<string, string> = {
  'billing/invoice.py': 'def total_with_tax(amounts, rate):\n    """Sum the line amounts and add sales tax."""\n    return sum(amounts) * (1 + rate)\n',
  'billing/currency.py': 'def format_cents(cents):\n    """Render an amount in cents as dollars."""\n    return f"${cents // 100}.{cents % 100:02d}"\n',
  'net/retry.ts': 'export async function retryWithBackoff<T>(work: () => Promise<T>, attempts = 3): Promise<T> {\n  for (let i = 1; ; i++) {\n    try { return await work(); } catch (e) { if (i >= attempts) throw e; await new Promise((r) => setTimeout(r, 2 ** i * 100)); }\n  }\n}\n',
  'net/ping.go': 'package net\n\n// Ping reports whether the host answered within the timeout.\nfunc Ping(host string, timeoutMs int) bool {\n\treturn host != "" && timeoutMs > 0\n}\n',
  'flaky/once.py': '# codegraph-test-fault: exit-once\ndef parse_header(line):\n    """Split an HTTP header line into name and value."""\n    name, _, value = line.partition(":")\n    return name.strip().lower(), value.strip()\n',
  'poison/exit.py': '# codegraph-test-fault: exit\ndef never_indexed():\n    return "this file kills its worker every time"\n',
  'poison/throw.py': '# codegraph-test-fault: throw\ndef never_indexed_either():\n    return "uncaught exception in the worker"\n',
  'poison/oom.py': '# codegraph-test-fault: oom\ndef heap_hog():\n    return "runs the worker out of heap"\n',
};

const workspace = join(dir.path, 'workspace');
for (const [path, text] of Object.entries(FILES)) {
  mkdirSync(join(workspace, path, '..'), { recursive: true });
  writeFileSync(join(workspace, path), text);
}

const input = (path: string) => ({ path, absolutePath: join(workspace, path), language: path.endsWith('.py') ? 'python' : path.endsWith('.go') ? 'go' : 'typescript', knownHash: null });
const workerConfig = { grammarsDir: GRAMMARS, modelDir: TINY_MODEL, device: 'cpu' as const, dimensions: 0, maxBatchSize: 32, maxFileBytes: 1 << 20 };
const byPath = (files: readonly AnalyzedFile[]) => new Map(files.map((file) => [file.path, file]));

after(() => dir.cleanup());

describe('retry and circuit-breaker policies', () => {
  it('grows delays by the factor up to the cap, with repeatable seeded jitter', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, factor: 3, maxDelayMs: 1000 };
    assert.deepEqual([1, 2, 3, 4].map((retry) => backoffDelay(policy, retry)), [100, 300, 900, 1000]);
    const jittered = { ...policy, jitter: 0.5 };
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return [1, 2, 3].map((retry) => backoffDelay(jittered, retry, random));
    };
    assert.deepEqual(draw(7), draw(7));
    assert.ok(draw(7).every((delay, index) => delay <= [100, 300, 900][index]! && delay >= [50, 150, 450][index]!));
  });

  it('opens after the threshold of consecutive failures for the same content, and a success or new content closes it', () => {
    const breaker = new CircuitBreaker(2);
    assert.equal(breaker.recordFailure('a.py', 'exit 70', 'h1'), false);
    assert.equal(breaker.recordFailure('a.py', 'exit 70', 'h1'), true);
    assert.ok(breaker.isOpen('a.py', 'h1'));
    assert.ok(!breaker.isOpen('a.py', 'h2'), 'changed content gets a new chance');
    assert.equal(breaker.recordFailure('a.py', 'exit 70', 'h2'), false, 'failures of old content do not count');
    breaker.recordSuccess('a.py');
    assert.equal(breaker.failures('a.py'), 0);
  });

  it('retries only what it is told to, and gives up after the last attempt', async () => {
    const policy = { ...DEFAULT_RETRY, maxAttempts: 3, baseDelayMs: 1 };
    let calls = 0;
    assert.equal(await withRetry(async () => (++calls < 3 ? Promise.reject(new Error('flaky')) : 'ok'), policy, () => true), 'ok');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(withRetry(async () => Promise.reject(new Error(`fail ${++calls}`)), policy, () => true), /fail 3/);
    calls = 0;
    await assert.rejects(withRetry(async () => Promise.reject(new Error(`fatal ${++calls}`)), policy, () => false), /fatal 1/);
  });
});

describe('a worker that dies on a file', () => {
  it('retries a transient crash and indexes the file on the next attempt', async () => {
    const events: (PoolEvent & { at: number })[] = [];
    const pool = new WorkerPool(workerConfig, { size: 2, retry: { baseDelayMs: 50 }, onEvent: (event) => events.push({ ...event, at: performance.now() }) });
    try {
      const result = await pool.analyze({ files: ['billing/invoice.py', 'flaky/once.py', 'net/ping.go'].map(input), chunking: DEFAULT_CHUNKING });
      const files = byPath(result.files);
      assert.deepEqual([...files.values()].map((file) => file.status), ['changed', 'changed', 'changed']);
      const flaky = files.get('flaky/once.py');
      assert.ok(flaky?.status === 'changed' && flaky.chunks.some((chunk) => chunk.symbol === 'parse_header'));
      assert.deepEqual(events.map((event) => event.kind), ['worker-crash'], 'one crash, then the split-up retry succeeded');
      assert.match((events[0] as Extract<PoolEvent, { kind: 'worker-crash' }>).error, /worker exited with code: 70/);
      recordFault({
        fault: 'worker-crash-transient',
        description: 'A file makes its worker call process.exit the first time it is read; the multi-file task is retried file by file on a replacement worker',
        trials: 1,
        survived: 1,
        lost: 'nothing',
        details: { crashes: events.length, filesIndexed: result.files.filter((file) => file.status === 'changed').length },
      });
    } finally {
      await pool.close();
    }
  });

  it('quarantines a file that keeps crashing, after retries with exponential backoff, and the pool recovers', async () => {
    const events: (PoolEvent & { at: number })[] = [];
    const retry = { maxAttempts: 3, baseDelayMs: 150, factor: 2 };
    const pool = new WorkerPool(workerConfig, { size: 2, maxHeapMb: 64, retry, onEvent: (event) => events.push({ ...event, at: performance.now() }) });
    const poisons = ['poison/exit.py', 'poison/throw.py', 'poison/oom.py'];
    try {
      const result = await pool.analyze({ files: ['billing/currency.py', ...poisons, 'net/retry.ts'].map(input), chunking: DEFAULT_CHUNKING });
      const files = byPath(result.files);
      assert.equal(files.get('billing/currency.py')?.status, 'changed');
      assert.equal(files.get('net/retry.ts')?.status, 'changed');
      const delays: Record<string, number> = {};
      for (const path of poisons) {
        const file = files.get(path);
        assert.ok(file?.status === 'skipped' && file.reason === 'quarantined', `${path}: ${JSON.stringify(file)}`);
        assert.match(file.detail, /worker crashed 3 times/);
        assert.match(file.contentHash ?? '', /^[0-9a-f]{64}$/);
        // Each retry waited base · factor^(n−1) after the crash before it: 150 ms, then 300 ms.
        const retries = events.filter((event): event is Extract<PoolEvent, { kind: 'retry' }> & { at: number } => event.kind === 'retry' && event.key === path);
        assert.deepEqual(retries.map((event) => event.delayMs), [150, 300]);
        assert.deepEqual(retries.map((event) => event.attempt), [2, 3]);
        const quarantine = events.find((event) => event.kind === 'quarantine' && event.path === path)!;
        assert.equal((quarantine as Extract<PoolEvent, { kind: 'quarantine' }>).attempts, 3);
        // Observed: the quarantine (third crash) came at least 150 + 300 ms after the first retry was scheduled.
        delays[path] = Math.round(quarantine.at - retries[0]!.at);
        assert.ok(quarantine.at - retries[0]!.at >= 150 + 300 - 5, `${path}: ${quarantine.at - retries[0]!.at} ms`);
      }
      const crashes = events.filter((event) => event.kind === 'worker-crash') as Extract<PoolEvent, { kind: 'worker-crash' }>[];
      assert.ok(crashes.some((event) => /ERR_WORKER_OUT_OF_MEMORY/.test(event.error)), 'the heap-limit crash was a real out-of-memory worker death');
      assert.ok(crashes.some((event) => /injected uncaught exception/.test(event.error)));
      // The circuit stays open for the rest of the pool's life: no worker is started for the file again.
      const crashesBefore = crashes.length;
      const again = await pool.analyze({ files: [input('poison/exit.py')], chunking: DEFAULT_CHUNKING });
      assert.equal(again.files[0]!.status, 'skipped');
      assert.equal(events.filter((event) => event.kind === 'worker-crash').length, crashesBefore, 'no worker was given the file again');
      // The pool has replaced its dead workers and still parses and embeds.
      const healthy = await pool.analyze({ files: ['billing/invoice.py', 'net/ping.go'].map(input), chunking: DEFAULT_CHUNKING });
      assert.deepEqual(healthy.files.map((file) => file.status), ['changed', 'changed']);
      const embedded = await pool.embed(['sum invoice amounts with tax']);
      assert.equal(embedded.blobs.length, 1);
      recordFault({
        fault: 'worker-crash-persistent',
        description: 'Three files kill their worker on every read (process.exit, an uncaught exception, the worker heap limit); each is retried with exponential backoff, then quarantined',
        trials: poisons.length,
        survived: poisons.length,
        lost: 'the three crashing files are skipped (reason: quarantined) until their content changes',
        details: { retryDelaysMs: [150, 300], observedMsFromFirstRetryToQuarantine: delays, crashes: crashesBefore },
      });
    } finally {
      await pool.close();
    }
  });
});

describe('quarantine in the engine', () => {
  let cache: string;
  before(() => {
    cache = join(dir.path, 'cache');
  });

  it('indexes and searches every other file, reports the crashing one as quarantined, and skips it on later runs until it changes', async () => {
    const logs: string[] = [];
    const open = () => CodeGraph.open({ root: workspace, cacheDir: cache, modelDir: TINY_MODEL, workers: 2, discovery: { excludeGlobs: ['poison/throw.py', 'poison/oom.py'] } }, { log: (line) => logs.push(line) });
    const graph = await open();
    try {
      const summary = await graph.index();
      assert.equal(summary.skippedByReason['quarantined'], 1);
      assert.deepEqual(summary.skipped.filter((entry) => entry.reason === 'quarantined').map((entry) => entry.path), ['poison/exit.py']);
      assert.equal(summary.filesChanged, 5);
      assert.ok(logs.some((line) => /Quarantined poison\/exit\.py/.test(line)));
      assert.equal((await graph.search('add sales tax to the invoice total', { limit: 1 }))[0]?.path, 'billing/invoice.py');
      assert.deepEqual(await graph.store.integrityCheck(), []);
    } finally {
      await graph.dispose();
    }

    // A new process (here: a new engine) does not crash on the file again: the quarantine is in the store.
    logs.length = 0;
    const reopened = await open();
    try {
      writeFileSync(join(workspace, 'poison', 'exit.py'), FILES['poison/exit.py']!); // new mtime, same content
      const summary = await reopened.index();
      assert.equal(summary.skippedByReason['quarantined'], 1);
      assert.ok(!logs.some((line) => /Quarantined/.test(line)), 'skipped from the stored quarantine, without another crash');

      writeFileSync(join(workspace, 'poison', 'exit.py'), 'def fixed_now():\n    """The crash marker is gone."""\n    return 1\n');
      const fixed = await reopened.index();
      assert.equal(fixed.skippedByReason['quarantined'], undefined);
      assert.equal(fixed.filesChanged, 1);
      assert.ok((await reopened.store.chunksOfFile('poison/exit.py')).some((chunk) => chunk.symbol === 'fixed_now'));
    } finally {
      await reopened.dispose();
    }
  });
});
