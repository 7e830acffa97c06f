import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { etaText } from '../../cli/progress.js';
import { relativeLines } from '../../cli/format.js';
import { copyFixtureWorkspace, REPO_ROOT, TINY_MODEL } from '../helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'codegraph.js');

describe('CLI manners, through the real binary', () => {
  const workspace = copyFixtureWorkspace();
  // Every run uses the per-user cache (no --cache), as a user would: CODEGRAPH_CACHE_HOME points it into the test folder.
  const home = join(workspace.cache, 'home');
  const model = ['--model', TINY_MODEL, '--workers', '1'];
  const run = (args: readonly string[], cwd = REPO_ROOT, env: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CODEGRAPH_CACHE_HOME: home, ...env } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const caches = () => (existsSync(home) ? readdirSync(home).sort() : []);
  after(() => workspace.cleanup());

  it('status on an unindexed directory says "not indexed yet" and creates nothing', () => {
    const human = run(['status', '--dir', workspace.root, ...model]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /not indexed yet/);
    const json = run(['status', '--dir', workspace.root, ...model, '--json']);
    assert.equal((JSON.parse(json.stdout) as { indexed: boolean }).indexed, false);
    assert.deepEqual(caches(), []);
  });

  describe('with an index', () => {
    before(() => {
      const index = run(['index', workspace.root, ...model]);
      assert.equal(index.status, 0, index.stderr);
    });

    it('from a subdirectory, uses the indexed workspace above it and says so, instead of building a second index', () => {
      const before = caches();
      const result = run(['search', 'token', 'bucket', ...model, '--json', '-n', '1'], join(workspace.root, 'python'));
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`using the index of ${workspace.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(the nearest indexed folder above here`));
      assert.equal((JSON.parse(result.stdout) as { path: string }[])[0]!.path, 'python/rate_limiter.py');
      assert.deepEqual(caches(), before);
    });

    it('an explicit --dir wins over the indexed folder above', () => {
      const result = run(['status', '--dir', join(workspace.root, 'python'), ...model]);
      assert.equal(result.status, 0);
      assert.match(result.stdout, /not indexed yet/);
      assert.doesNotMatch(result.stderr, /using the index/);
    });

    it('in an unindexed repository, uses its root (the folder holding .git)', () => {
      const repository = join(workspace.cache, 'repo');
      mkdirSync(join(repository, '.git'), { recursive: true });
      mkdirSync(join(repository, 'src', 'deep'), { recursive: true });
      writeFileSync(join(repository, 'src', 'tool.py'), 'def parse_config_file(path):\n    return open(path).read()\n');
      const result = run(['status', ...model], join(repository, 'src', 'deep'));
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /using the repository root .*repo \(--dir to choose another\)/);
      assert.match(result.stdout, new RegExp(`Workspace: ${repository.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    });

    it('similar without :line is a usage message with exit 2', () => {
      const result = run(['similar', 'python/rate_limiter.py', '--dir', workspace.root, ...model]);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /expected <file>:<line>, e\.g\. src\/app\.py:42, got 'python\/rate_limiter\.py'/);
    });

    it('similar with an absolute path resolves it against the workspace', () => {
      const result = run(['similar', `${join(workspace.root, 'python', 'rate_limiter.py')}:24`, '--dir', workspace.root, ...model, '--json']);
      assert.equal(result.status, 0, result.stderr);
      assert.ok((JSON.parse(result.stdout) as unknown[]).length > 0);
      const outside = run(['similar', `${join(REPO_ROOT, 'package.json')}:1`, '--dir', workspace.root, ...model]);
      assert.equal(outside.status, 2);
      assert.match(outside.stderr, /is outside the workspace/);
    });

    it('an empty query is exit 2 with a message', () => {
      for (const query of ['', '   ']) {
        const result = run(['search', query, '--dir', workspace.root, ...model]);
        assert.equal(result.status, 2);
        assert.match(result.stderr, /the query is empty/);
      }
    });

    it('a file given as --cache is exit 4 naming the path', () => {
      const file = join(workspace.cache, 'a-file');
      writeFileSync(file, 'not a folder');
      const result = run(['search', 'token', '--dir', workspace.root, ...model, '--cache', file]);
      assert.equal(result.status, 4);
      assert.match(result.stderr, new RegExp(`Cannot use ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} as the cache folder: .* is a file`));
    });

    it('a file given as the workspace says it is not a directory', () => {
      const file = join(workspace.root, 'python', 'app.py');
      for (const args of [['index', file], ['search', 'token', '--dir', file], ['status', '--dir', file]]) {
        const result = run([...args, ...model]);
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /app\.py is a file, not a directory/);
      }
    });

    it('one-off --pca or --model builds an index of its own and leaves the default one as it was', () => {
      const before = caches();
      const pca = run(['search', 'token', 'bucket', '--dir', workspace.root, ...model, '--pca', '5']);
      assert.equal(pca.status, 0, pca.stderr);
      assert.match(pca.stderr, /an index of its own: the default one is kept/);
      assert.equal(caches().length, before.length + 1);
      const plain = run(['search', 'token', 'bucket', '--dir', workspace.root, ...model, '--json']);
      assert.equal(plain.status, 0, plain.stderr);
      assert.doesNotMatch(plain.stderr, /PCA turned off|Model changed|indexing it first/);
      const lexical = run(['search', 'token', 'bucket', '--dir', workspace.root, '--model', 'none', '--json']);
      assert.equal(lexical.status, 0, lexical.stderr);
      assert.doesNotMatch(lexical.stderr, /indexing it first/, '--model none reads the default index');
    });

    it('--precision still works, says it is now --vector-precision', () => {
      const result = run(['search', 'token', '--dir', workspace.root, ...model, '--precision', 'f16', '--json']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /--precision is deprecated: it is now --vector-precision/);
    });

    it('--json hits carry the snippet text, doc and symbol', () => {
      const result = run(['search', 'token', 'bucket', '--dir', workspace.root, ...model, '--json', '-n', '3']);
      const hits = JSON.parse(result.stdout) as { text: string; symbol: string | null; doc: string | null; kind: string }[];
      assert.ok(hits.every((hit) => typeof hit.text === 'string' && hit.text.length > 0));
      assert.ok(hits.every((hit) => hit.symbol === null || typeof hit.symbol === 'string'));
      assert.ok(hits.some((hit) => hit.text.includes('class TokenBucket')));
    });

    it('shows a method snippet with the first line indented as the body is, relative to it', () => {
      const result = run(['search', 'refill', 'tokens', 'earned', '--dir', workspace.root, ...model, '--mode', 'lexical', '-n', '5']);
      assert.equal(result.status, 0, result.stderr);
      const lines = result.stdout.split('\n');
      const title = lines.findIndex((line) => / method refill /.test(line));
      assert.ok(title >= 0, result.stdout);
      assert.equal(lines[title + 1], '     def refill(self):');
      assert.equal(lines[title + 2], '         """Add the tokens earned since the last update, up to capacity."""');
    });

    it('unknown --lang on watch is a usage error too, and watch takes the index filters', () => {
      const result = run(['watch', workspace.root, ...model, '--lang', 'pyhton']);
      assert.equal(result.status, 2);
      assert.match(result.stderr, /unknown language 'pyhton'/);
      const help = run(['watch', '--help']);
      for (const option of ['--exclude', '--lang', '--max-file-size', '--follow-symlinks', '--no-gitignore']) assert.ok(help.stdout.includes(option), option);
    });

    it('prints no progress bar and no colour without a terminal', () => {
      const result = run(['index', workspace.root, ...model], REPO_ROOT, { FORCE_COLOR: '1' });
      assert.equal(result.status, 0);
      assert.doesNotMatch(result.stderr, /Indexing \[|\x1b/);
      assert.doesNotMatch(result.stdout, /\x1b/);
    });
  });
});

describe('progress ETA', () => {
  it('shows no estimate before the first files are done, then the remaining time at the rate so far', () => {
    assert.equal(etaText({ filesDone: 0, filesTotal: 100 }, 0, 5000), 'ETA --');
    assert.equal(etaText({ filesDone: 50, filesTotal: 100 }, 0, 10_000), 'ETA 10s');
    assert.equal(etaText({ filesDone: 10, filesTotal: 100 }, 0, 20_000), 'ETA 3m 00s');
    assert.equal(etaText({ filesDone: 100, filesTotal: 100 }, 0, 20_000), 'done');
  });
});

describe('relativeLines', () => {
  it('gives the first line back its indentation, then removes what all lines share', () => {
    assert.deepEqual(relativeLines('def f(self):\n        return 1', '    '), ['def f(self):', '    return 1']);
    assert.deepEqual(relativeLines('x = 1\ny = 2', null), ['x = 1', 'y = 2']);
    assert.deepEqual(relativeLines('\tif x:\n\t\ty()', null), ['if x:', '\ty()']);
  });
});
