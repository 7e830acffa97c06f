import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyFixtureWorkspace, REPO_ROOT, tempDir } from '../helpers.js';

/**
 * What a user does to get `codegraph` on their PATH without network: pack the
 * clone, install the tarball into a prefix with its dependencies from npm's cache
 * (all there after `npm ci`), run it from elsewhere. `npm install -g <tarball>
 * --offline` cannot do that: npm ignores a file tarball's npm-shrinkwrap.json and
 * asks the registry for package metadata, which `npm ci` does not cache. So the
 * tarball is unpacked and `npm ci --omit=dev --offline --ignore-scripts` installs
 * its locked dependencies, then `npm rebuild sqlite3` builds the one native
 * module that needs it, as the README shows. Slow (several minutes: npm compiles sqlite3's
 * native module again), so it runs on request: `npm run test:install`.
 */
describe('the packed CLI', { skip: process.env['CODEGRAPH_INSTALL_TEST'] === '1' ? false : 'slow (packs, and compiles sqlite3 for the install): npm run test:install' }, () => {
  const dir = tempDir('codegraph-install-');
  const workspace = copyFixtureWorkspace();
  after(() => {
    dir.cleanup();
    workspace.cleanup();
  });

  it('installs from its npm pack tarball into a fresh prefix offline, and indexes and searches from another directory', { timeout: 1_200_000 }, () => {
    const npm = (args: readonly string[], cwd: string) => {
      const result = spawnSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
      assert.equal(result.status, 0, `npm ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
      return result;
    };
    // `npm pack` runs prepare (the build), prepack and postpack. The tests run from the build, and a rebuild would
    // rewrite out/ under the tests running beside this one, so the build is skipped and the two hooks run as npm runs them.
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

    // The README's offline install: unpack into <prefix>/lib/codegraph, install the locked dependencies, link the bin.
    const prefix = join(dir.path, 'prefix');
    const home = join(prefix, 'lib', 'codegraph');
    mkdirSync(home, { recursive: true });
    mkdirSync(join(prefix, 'bin'));
    assert.equal(spawnSync('tar', ['-xzf', join(dir.path, tarball), '-C', home, '--strip-components=1']).status, 0);
    // --ignore-scripts: the package's own prepare (the build) needs the sources, which the tarball does not carry;
    // then sqlite3, the one dependency whose install step the CLI needs, builds its native module.
    npm(['ci', '--omit=dev', '--offline', '--legacy-peer-deps', '--ignore-scripts'], home);
    npm(['rebuild', 'sqlite3', '--offline'], home);
    const installed = join(prefix, 'bin', 'codegraph');
    symlinkSync(join(home, 'bin', 'codegraph.js'), installed);

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
