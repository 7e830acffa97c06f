import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { copyFixtureWorkspace, FIXTURES, REPO_ROOT, TINY_MODEL } from '../helpers.js';

describe('no network at run time', () => {
  it('indexes and searches without opening a socket or resolving a name, in the main thread or the workers', () => {
    const workspace = copyFixtureWorkspace();
    try {
      const log = join(workspace.cache, '..', 'network.log');
      const run = (...args: string[]) =>
        spawnSync(process.execPath, ['--require', join(FIXTURES, 'preload', 'deny-network.cjs'), join(REPO_ROOT, 'bin', 'codegraph.js'), ...args, '--cache', workspace.cache, '--model', TINY_MODEL, '--workers', '2'], {
          encoding: 'utf8',
          env: { ...process.env, CODEGRAPH_NETWORK_LOG: log },
        });
      const indexed = run('index', workspace.root);
      assert.equal(indexed.status, 0, indexed.stderr);
      const searched = run('search', 'token bucket', '--dir', workspace.root, '--json');
      assert.equal(searched.status, 0, searched.stderr);
      const similar = run('similar', 'python/rate_limiter.py:24', '--dir', workspace.root, '--json');
      assert.equal(similar.status, 0, similar.stderr);
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      // The guard was really in place in both kinds of thread, and nothing else was logged.
      assert.ok(lines.includes('main preload active'));
      assert.ok(lines.includes('worker preload active'));
      assert.deepEqual(lines.filter((line) => !line.endsWith('preload active')), []);
    } finally {
      workspace.cleanup();
    }
  });
});
