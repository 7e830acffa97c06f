import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeEmbedder, CodeGraph, cosine } from '../../engine/index.js';
import { copyFixtureWorkspace, REPO_ROOT, TINY_MODEL } from '../helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'codegraph.js');
const workspace = copyFixtureWorkspace();
const cacheHome = join(workspace.cache, 'default-home');
const model = ['--model', TINY_MODEL, '--workers', '1'];
const RATE_LIMITER = join(workspace.root, 'python', 'rate_limiter.py');

function codegraph(args: readonly string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: input ?? '', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CODEGRAPH_CACHE_HOME: cacheHome } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const numbers = (line: string) => line.trim().split(' ').map(Number);

describe('codegraph embed', () => {
  let library: CodeEmbedder;
  before(async () => {
    mkdirSync(cacheHome, { recursive: true });
    library = await CodeEmbedder.open({ modelDir: TINY_MODEL, workers: 1 });
  });
  after(async () => {
    await library.dispose();
  });

  it('prints a file\'s vector as one line of numbers, the vector the library gives, and writes no cache', async () => {
    const result = codegraph(['embed', RATE_LIMITER, ...model]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const vector = Float32Array.from(numbers(lines[0]!));
    assert.equal(vector.length, 32);
    const expected = await library.embedCode(readFileSync(RATE_LIMITER, 'utf8'), 'python');
    assert.ok(cosine(vector, expected) > 0.99999);
    assert.deepEqual(readdirSync(cacheHome), []);
  });

  it('reads stdin and reports language, fallback and truncation flags as JSON', () => {
    const result = codegraph(['embed', '-', '--lang', 'klingon', '--json', ...model], 'qapla = 1\n');
    assert.equal(result.status, 0, result.stderr);
    const body = JSON.parse(result.stdout) as { modelId: string; dimension: number; source: string; language: string; languageFallback: boolean; truncated: boolean; vector: number[]; role: string };
    assert.equal(body.source, '<stdin>');
    assert.equal(body.language, 'text');
    assert.equal(body.languageFallback, true);
    assert.equal(body.truncated, false);
    assert.equal(body.role, 'document');
    assert.equal(body.vector.length, body.dimension);
    assert.match(body.modelId, /^codegraph-tiny-test@/);
    assert.match(result.stderr, /unknown language 'klingon': embedded as text/);
  });

  it('prints one JSON line per chunk with --chunks, the chunks the index holds', async () => {
    const result = codegraph(['embed', RATE_LIMITER, '--chunks', '--jsonl', ...model]);
    assert.equal(result.status, 0, result.stderr);
    const records = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { startLine: number; endLine: number; symbol: string | null; vector: number[] });
    const graph = await CodeGraph.open({ root: workspace.root, cacheDir: join(workspace.cache, 'chunks-check'), modelDir: TINY_MODEL, workers: 1 });
    try {
      await graph.index({ paths: ['python/rate_limiter.py'] });
      const indexed = await graph.store.chunksOfFile('python/rate_limiter.py');
      assert.deepEqual(records.map((record) => [record.startLine, record.endLine, record.symbol]), indexed.map((chunk) => [chunk.startLine, chunk.endLine, chunk.symbol]));
      const allow = indexed.findIndex((chunk) => chunk.symbol === 'allow');
      assert.ok(allow >= 0);
      assert.ok(cosine(Float32Array.from(records[allow]!.vector), await graph.embedCode(indexed[allow]!.text, 'python')) > 0.99999);
    } finally {
      await graph.dispose();
    }
  });

  it('embeds the query side with --query and keeps N dimensions with --dims', () => {
    const query = codegraph(['embed', '--query', '--jsonl', ...model], 'rate limiter');
    assert.equal(query.status, 0, query.stderr);
    assert.equal((JSON.parse(query.stdout) as { role: string }).role, 'query');
    const short = codegraph(['embed', RATE_LIMITER, '--dims', '8', ...model]);
    assert.equal(short.status, 0, short.stderr);
    const vector = numbers(short.stdout);
    assert.equal(vector.length, 8);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-4);
  });

  it('reports truncation of a 10 MB input and still prints its vector', () => {
    const huge = 'def handler(event):\n    return event\n'.repeat(Math.ceil((10 * 1024 * 1024) / 37));
    const result = codegraph(['embed', '-', '--lang', 'python', '--json', ...model], huge);
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { truncated: boolean }).truncated, true);
    assert.match(result.stderr, /longer than the model's window of 256 tokens; only its start was embedded/);
  });

  it('exits 2 on empty input or conflicting flags, and 3 on a missing file', () => {
    const empty = codegraph(['embed', ...model], '  \n');
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /Nothing to embed: <stdin> is empty/);
    const both = codegraph(['embed', RATE_LIMITER, '--json', '--jsonl', ...model]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /choose one of --json and --jsonl/);
    const missing = codegraph(['embed', join(workspace.root, 'missing.py'), ...model]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /File not found/);
  });
});

describe('codegraph similarity', () => {
  const common = ['--dir', workspace.root, '--cache', join(workspace.cache, 'index'), ...model];

  it('prints 1 for a file against itself and less for another', () => {
    const same = codegraph(['similarity', RATE_LIMITER, RATE_LIMITER, ...model]);
    assert.equal(same.status, 0, same.stderr);
    assert.equal(same.stdout.trim(), '1.000000');
    const other = codegraph(['similarity', RATE_LIMITER, join(workspace.root, 'c', 'crc32.c'), ...model]);
    assert.equal(other.status, 0, other.stderr);
    assert.ok(Number(other.stdout) < 0.999);
  });

  it('compares stdin with the indexed chunk at file:line, indexing first', () => {
    const allow = `def allow(self, cost=1):\n    self.refill()\n    if self.tokens >= cost:\n        self.tokens -= cost\n        return True\n    return False\n`;
    const result = codegraph(['similarity', '-', 'python/rate_limiter.py:24', '--json', ...common], allow);
    assert.equal(result.status, 0, result.stderr);
    const body = JSON.parse(result.stdout) as { similarity: number; b: { source: string; language: string } };
    assert.match(body.b.source, /^python\/rate_limiter\.py:24-\d+$/);
    assert.equal(body.b.language, 'python');
    const unrelated = codegraph(['similarity', '-', 'python/rate_limiter.py:24', '--json', ...common], 'SELECT id FROM users ORDER BY created_at');
    assert.ok(body.similarity > (JSON.parse(unrelated.stdout) as { similarity: number }).similarity);
  });

  it('exits 3 for a location with no indexed chunk, and 2 for two stdin sides', () => {
    const missing = codegraph(['similarity', 'python/rate_limiter.py:9999', 'nowhere.py:1', ...common]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /No indexed chunk at python\/rate_limiter\.py:9999/);
    const twice = codegraph(['similarity', '-', '-', ...model]);
    assert.equal(twice.status, 2);
  });
});

describe('codegraph status --metrics', () => {
  after(() => workspace.cleanup());

  it('prints Prometheus text exposition with index gauges and error counters', () => {
    const cache = join(workspace.cache, 'metrics');
    assert.equal(codegraph(['index', workspace.root, '--cache', cache, ...model]).status, 0);
    writeFileSync(join(workspace.root, 'notes.txt'), 'hello\n');
    const result = codegraph(['status', '--metrics', '--dir', workspace.root, '--cache', cache, ...model]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    // Every line is a comment or `name{labels} value`.
    for (const line of lines) assert.match(line, /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+|)$/, line);
    assert.ok(lines.includes('codegraph_index_files 14'));
    assert.ok(lines.includes('# TYPE codegraph_search_latency_ms histogram'));
    assert.ok(lines.includes('# TYPE codegraph_errors_total counter'));
    assert.ok(lines.some((line) => /^codegraph_index_last_indexed_timestamp_seconds [1-9]/.test(line)));
  });
});
