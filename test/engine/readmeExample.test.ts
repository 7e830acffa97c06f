import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURE_WORKSPACE, REPO_ROOT, tempDir } from '../helpers.js';

const EXAMPLE = 'examples/library.mjs';

describe('README library example', () => {
  it('shows examples/library.mjs verbatim', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const block = new RegExp(`<!-- example: ${EXAMPLE.replace(/[./]/g, '\\$&')} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(readme);
    assert.ok(block, 'the README has the example block');
    assert.equal(block[1], readFileSync(join(REPO_ROOT, EXAMPLE), 'utf8'));
  });

  it('runs against the package as an installed dependency and prints real results', () => {
    const dir = tempDir();
    try {
      // Resolve `codegraph` the way a user's project does: through node_modules and the package's `exports`.
      mkdirSync(join(dir.path, 'node_modules'));
      symlinkSync(REPO_ROOT, join(dir.path, 'node_modules', 'codegraph'), 'dir');
      cpSync(join(REPO_ROOT, EXAMPLE), join(dir.path, 'example.mjs'));
      cpSync(FIXTURE_WORKSPACE, join(dir.path, 'workspace'), { recursive: true });
      const cacheHome = join(dir.path, 'cache');
      const result = spawnSync(process.execPath, ['example.mjs', 'workspace'], { cwd: dir.path, encoding: 'utf8', env: { ...process.env, CODEGRAPH_CACHE_HOME: cacheHome } });
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.match(lines[0]!, /^codegraph-[\w-]+@[0-9a-f]{12}: \d+ dimensions$/);
      assert.match(lines[1]!, /^similarity -?[01]\.\d{3}$/);
      assert.equal(lines[2], 'embedded as text, fallback true, truncated false');
      assert.equal(lines[3], 'indexed 14 files');
      assert.match(lines[4]!, /^python\/rate_limiter\.py:\d+-\d+ TokenBucket$/);
      assert.equal(lines.at(-1), 'errors: 0');
      // Only the indexed workspace got a cache; the embedder wrote none.
      assert.deepEqual(readdirSync(cacheHome).map((name) => name.replace(/-[0-9a-f]{12}$/, '')), ['workspace']);
    } finally {
      dir.cleanup();
    }
  });
});
