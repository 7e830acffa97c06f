import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { copyFixtureWorkspace, FIXTURES, LEVENSHTEIN_PY, REPO_ROOT, TINY_MODEL } from '../helpers.js';

interface Hit {
  path: string;
  startLine: number;
  endLine: number;
  symbol: string | null;
  snippet: string;
}


describe('codegraph mcp (SDK client over stdio)', () => {
  const workspace = copyFixtureWorkspace();
  const networkLog = join(workspace.cache, '..', 'network.log');
  const client = new Client({ name: 'codegraph-test', version: '1.0.0' });
  const protocolErrors: Error[] = [];
  let stderr = '';

  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
  const status = async () => (await call('index_status')).structuredContent as { stale: boolean; files: number; pendingChanges: number; indexing: boolean; initialIndex: string };

  before(async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--require', join(FIXTURES, 'preload', 'deny-network.cjs'), join(REPO_ROOT, 'bin', 'codegraph.js'), 'mcp', '--dir', workspace.root, '--cache', workspace.cache, '--model', TINY_MODEL, '--workers', '1'],
      env: { ...(process.env as Record<string, string>), CODEGRAPH_NETWORK_LOG: networkLog },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client.onerror = (error) => protocolErrors.push(error);
    await client.connect(transport);
  });
  after(async () => {
    await client.close();
    workspace.cleanup();
  });

  it('lists the four tools with their input schemas', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['find_similar', 'index_status', 'reindex', 'search']);
    const search = tools.find((tool) => tool.name === 'search')!;
    assert.deepEqual(search.inputSchema.required, ['query']);
    assert.deepEqual(Object.keys(search.inputSchema.properties ?? {}).sort(), ['language', 'limit', 'path', 'query']);
    assert.ok(search.outputSchema, 'search declares its structured output');
  });

  it('answers a search with the function that does it first, as path:start-end, symbol and snippet', async () => {
    const result = await call('search', { query: 'token bucket rate limiter', limit: 3 });
    assert.equal(result.isError, undefined);
    const { results } = result.structuredContent as { results: Hit[] };
    assert.equal(results[0]!.path, 'python/rate_limiter.py');
    assert.match(text(result), /^1\. python\/rate_limiter\.py:\d+-\d+ {2}\w+ TokenBucket/);
    assert.match(results[0]!.snippet, /class TokenBucket/);
    assert.ok(results.length <= 3);
  });

  it('filters by language and path', async () => {
    const go = (await call('search', { query: 'match a route path', language: 'go' })).structuredContent as { results: Hit[] };
    assert.ok(go.results.length > 0);
    assert.ok(go.results.every((hit) => hit.path.endsWith('.go')));
    const scoped = (await call('search', { query: 'cache', path: 'typescript/**' })).structuredContent as { results: Hit[] };
    assert.ok(scoped.results.length > 0);
    assert.ok(scoped.results.every((hit) => hit.path.startsWith('typescript/')));
  });

  it('turns bad arguments into tool errors and keeps serving', async () => {
    const empty = await call('search', { query: '   ' });
    assert.equal(empty.isError, true);
    assert.match(text(empty), /query must not be empty/);
    const wrongType = await call('search', { query: 'x', limit: 'ten' });
    assert.equal(wrongType.isError, true);
    const tooMany = await call('find_similar', { path: 'python/rate_limiter.py', line: 0 });
    assert.equal(tooMany.isError, true);
    const language = await call('search', { query: 'x', language: 'klingon' });
    assert.equal(language.isError, true);
    assert.match(text(language), /Unknown language 'klingon'/);
    const outside = await call('find_similar', { path: '/etc/passwd', line: 1 });
    assert.equal(outside.isError, true);
    assert.match(text(outside), /outside the workspace/);
    const missing = await call('find_similar', { path: 'no/such.py', line: 3 });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /NOT_FOUND/);
    assert.equal((await status()).files, 14, 'still serving after the errors');
  });

  it('finds code similar to a location, without the location itself', async () => {
    const result = await call('find_similar', { path: 'python/rate_limiter.py', line: 24, limit: 5 });
    assert.equal(result.isError, undefined, text(result));
    const { origin, results } = result.structuredContent as { origin: Hit; results: Hit[] };
    assert.equal(origin.path, 'python/rate_limiter.py');
    assert.ok(origin.startLine <= 24 && origin.endLine >= 24);
    assert.ok(results.length > 0);
    assert.ok(!results.some((hit) => hit.path === origin.path && hit.startLine === origin.startLine));
    assert.match(text(result), /^Similar to python\/rate_limiter\.py:/);
  });

  it('reports the index stale while an edit is pending, then serves the edit through search', async () => {
    const initial = await status();
    assert.equal(initial.stale, false);
    assert.equal(initial.initialIndex, 'ready');
    writeFileSync(join(workspace.root, 'python', 'strings.py'), LEVENSHTEIN_PY);
    let sawStale = false;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const current = await status();
      if (current.stale) sawStale = true;
      else if (sawStale) break;
      assert.ok(Date.now() < deadline, 'the watcher picks up the edit and settles');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const result = (await call('search', { query: 'edit distance insertions deletions substitutions', limit: 3 })).structuredContent as { results: Hit[]; stale: boolean };
    assert.equal(result.stale, false);
    assert.equal(result.results[0]!.path, 'python/strings.py');
    assert.equal(result.results[0]!.symbol, 'levenshtein_distance');
    assert.equal((await status()).files, 15);
  });

  it('reindexes on request and reports what changed', async () => {
    const result = await call('reindex');
    assert.equal(result.isError, undefined, text(result));
    const summary = result.structuredContent as { filesChanged: number; chunksTotal: number };
    assert.equal(summary.filesChanged, 0);
    assert.ok(summary.chunksTotal > 50);
    assert.match(text(result), /^Reindexed .*: 0 files changed/);
  });

  it('keeps stdout for the protocol, logs to stderr, and opens no socket', () => {
    assert.deepEqual(protocolErrors, []);
    assert.match(stderr, /codegraph mcp: MCP server ready on stdio/);
    const lines = readFileSync(networkLog, 'utf8').trim().split('\n');
    assert.ok(lines.includes('main preload active'));
    assert.ok(lines.includes('worker preload active'));
    assert.deepEqual(lines.filter((line) => !line.endsWith('preload active')), []);
  });
});

describe('codegraph CLI start-up', () => {
  it('does not load the MCP SDK unless the mcp command runs', () => {
    const probe = `require(${JSON.stringify(join(REPO_ROOT, 'out', 'cli', 'main.js'))}); console.log(Object.keys(require.cache).filter((path) => path.includes('@modelcontextprotocol') || path.includes('/zod/')).length)`;
    assert.equal(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim(), '0');
  });
});
