import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyFixtureWorkspace, REPO_ROOT, tempDir } from '../helpers.js';

/**
 * What a user does to get `codegraph` on their PATH: pack the clone, install the
 * tarball globally (here into a throw-away prefix), run it from elsewhere. Offline:
 * after `npm ci` every dependency is in npm's cache, and the tarball's
 * npm-shrinkwrap.json names them by their locked URLs. Slow (about 1 to 3 minutes:
 * npm builds sqlite3's native module for the new prefix as it did for `npm ci`).
 */
describe('the packed CLI', () => {
  const dir = tempDir('codegraph-install-');
  const workspace = copyFixtureWorkspace();
  after(() => {
    dir.cleanup();
    workspace.cleanup();
  });

  it('installs from its npm pack tarball into a fresh prefix offline, and indexes and searches from another directory', { timeout: 600_000 }, () => {
    const npm = (args: readonly string[], cwd: string) => {
      // ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's postinstall would download its CUDA libraries.
      const result = spawnSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
      assert.equal(result.status, 0, `npm ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
      return result;
    };
    // `npm pack` runs prepare (the build), prepack and postpack. The tests run from the build, and a rebuild
    // would rewrite out/ under the tests running beside this one, so the build is skipped and the two hooks are run as npm would.
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts['prepack'], 'node scripts/pack-shrinkwrap.mjs prepack');
    assert.equal(scripts['postpack'], 'node scripts/pack-shrinkwrap.mjs postpack');
    const hook = (name: string) => assert.equal(spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'pack-shrinkwrap.mjs'), name]).status, 0);
    hook('prepack');
    try {
      npm(['pack', '--ignore-scripts', '--pack-destination', dir.path], REPO_ROOT);
    } finally {
      hook('postpack');
    }
    const tarball = readdirSync(dir.path).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    assert.equal(existsSync(join(REPO_ROOT, 'npm-shrinkwrap.json')), false, 'postpack removed the shrinkwrap from the clone');

    const prefix = join(dir.path, 'prefix');
    npm(['install', '--global', '--prefix', prefix, '--offline', join(dir.path, tarball)], dir.path);
    const installed = join(prefix, 'bin', 'codegraph');
    assert.ok(existsSync(installed), 'the bin link exists');

    // From a directory that is neither the clone nor the workspace, with only the installed package on hand.
    const elsewhere = tempDir('codegraph-elsewhere-');
    try {
      const codegraph = (...args: string[]) => spawnSync(installed, args, { cwd: elsewhere.path, encoding: 'utf8', env: { ...process.env, CODEGRAPH_CACHE_HOME: join(dir.path, 'cache') } });
      const version = codegraph('--version');
      assert.equal(version.status, 0, version.stderr);
      assert.equal(version.stdout.trim(), '0.1.0');
      const search = codegraph('search', 'token bucket rate limiter', '--dir', workspace.root, '--workers', '1', '--json', '-n', '3');
      assert.equal(search.status, 0, search.stderr);
      const hits = JSON.parse(search.stdout) as { path: string }[];
      assert.equal(hits[0]!.path, 'python/rate_limiter.py');
      const models = codegraph('model', 'list');
      assert.match(models.stdout, /codegraph-code-v2/, 'the bundled default model is in the package');
    } finally {
      elsewhere.cleanup();
    }
  });
});
