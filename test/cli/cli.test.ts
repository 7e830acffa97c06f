import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyFixtureWorkspace, REPO_ROOT, TINY_MODEL } from '../helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'codegraph.js');

function codegraph(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CODEGRAPH_CACHE_HOME: join(workspace.cache, 'default-home') } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const workspace = copyFixtureWorkspace();
const common = ['--cache', workspace.cache, '--model', TINY_MODEL, '--workers', '1'];

describe('codegraph CLI', () => {
  after(() => workspace.cleanup());

  it('indexes a directory and prints a JSON summary', () => {
    const result = codegraph('index', workspace.root, ...common, '--json');
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(summary['filesDiscovered'], 14);
    assert.equal(typeof summary['cacheHitRatio'], 'number');
    assert.equal(summary['skipped'], undefined);
  });

  it('prints a human summary without a progress bar when stderr is not a terminal', () => {
    const result = codegraph('index', workspace.root, ...common);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /Indexed 14 files .*0 changed, 14 unchanged/);
    assert.match(result.stdout, /cache hit ratio 100\.0%/);
    assert.doesNotMatch(result.stderr, /Indexing \[/);
  });

  it('lists skipped files with reasons on request', () => {
    writeFileSync(join(workspace.root, 'blob.py'), Buffer.from([0x00, 0x01, 0x02]));
    const result = codegraph('index', workspace.root, ...common, '--list-skipped');
    assert.equal(result.status, 0);
    assert.match(result.stdout, /skipped binary: blob\.py/);
  });

  it('returns search results as a JSON array with relative paths', () => {
    const result = codegraph('search', 'token', 'bucket', 'rate', 'limiter', '--dir', workspace.root, ...common, '--json', '-n', '3');
    assert.equal(result.status, 0, result.stderr);
    const hits = JSON.parse(result.stdout) as Record<string, unknown>[];
    assert.equal(hits.length, 3);
    assert.deepEqual(Object.keys(hits[0]!).sort(), ['doc', 'endLine', 'kind', 'language', 'path', 'relevance', 'score', 'startLine', 'symbol', 'text']);
    assert.equal(hits[0]!['path'], 'python/rate_limiter.py');
    assert.ok(hits.every((hit) => !String(hit['path']).startsWith('/')));
  });

  it('returns similar chunks for file:line, excluding the origin', () => {
    const result = codegraph('similar', 'python/rate_limiter.py:24', '--dir', workspace.root, ...common, '--json');
    assert.equal(result.status, 0, result.stderr);
    const hits = JSON.parse(result.stdout) as { path: string; startLine: number }[];
    assert.ok(hits.length > 0);
    assert.ok(!hits.some((hit) => hit.path === 'python/rate_limiter.py' && hit.startLine === 24));
  });

  it('reports status as JSON', () => {
    const result = codegraph('status', '--dir', workspace.root, ...common, '--json');
    assert.equal(result.status, 0);
    const status = JSON.parse(result.stdout) as { counts: { files: number }; serviceLevel: string };
    assert.equal(status.counts.files, 14);
    assert.equal(status.serviceLevel, 'hybrid');
  });

  it('exits 3 with a clear message for a missing directory', () => {
    const result = codegraph('index', join(workspace.root, 'missing'), ...common);
    assert.equal(result.status, 3);
    assert.match(result.stderr, /Workspace directory not found/);
  });

  it('exits 5 with a hint for a missing or broken model', () => {
    const missing = codegraph('index', workspace.root, '--cache', workspace.cache, '--model', join(workspace.root, 'nope'));
    assert.equal(missing.status, 5);
    assert.match(missing.stderr, /Model directory not found[\s\S]*hint:/);
    const broken = join(workspace.cache, 'broken-model');
    cpSync(TINY_MODEL, broken, { recursive: true });
    writeFileSync(join(broken, 'model.onnx'), 'garbage');
    const corrupt = codegraph('index', workspace.root, '--cache', workspace.cache, '--model', broken);
    assert.equal(corrupt.status, 5);
    assert.match(corrupt.stderr, /Cannot load ONNX model/);
  });

  it('exits 4 for an unreadable cache location', () => {
    const blocker = join(workspace.cache, 'not-a-dir');
    writeFileSync(blocker, 'a file where a directory should be');
    const result = codegraph('index', workspace.root, '--cache', join(blocker, 'cache'), '--model', TINY_MODEL);
    assert.equal(result.status, 4, result.stderr);
    assert.match(result.stderr, /codegraph: error: .*not-a-dir is a file, not a folder\n {2}hint: /);
  });

  it('rebuilds a corrupt cache and says so once', () => {
    const cache = join(workspace.cache, 'corrupt');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'index.sqlite'), Buffer.alloc(4096, 0x42));
    const result = codegraph('index', workspace.root, '--cache', cache, '--model', TINY_MODEL, '--workers', '1');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.match(/corrupt .*and has been rebuilt/g)?.length, 1, result.stderr);
  });

  it('exits 2 on usage errors', () => {
    assert.equal(codegraph('similar', 'no-line-number', '--dir', workspace.root, ...common).status, 2);
    assert.equal(codegraph('search').status, 2);
    assert.equal(codegraph('index', workspace.root, '--workers', 'zero').status, 2);
  });
});
