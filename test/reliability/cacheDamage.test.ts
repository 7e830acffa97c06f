/**
 * A cache damaged in place, and cache paths that cannot be used, through the
 * real CLI: pages overwritten in the middle of index.sqlite (found on open, or
 * by a statement mid-search or mid-index), and a folder, another program's
 * database, a newer schema, a file in place of the cache folder, a read-only
 * folder, a full disk and /proc. Damage is moved aside and rebuilt with one
 * message; everything else exits 4 with the path and the fix, touching nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import sqlite3 from 'sqlite3';
import { CodeGraph } from '../../engine/codegraph.js';
import { CacheUnusableError } from '../../engine/errors.js';
import { inspectCacheFile } from '../../engine/store/cacheFile.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { copyFixtureWorkspace, TINY_MODEL } from '../helpers.js';
import { runCli } from './engineProbe.js';
import { recordFault } from './faultRecord.js';

const workspace = copyFixtureWorkspace();
after(() => workspace.cleanup());

/** The file's page size, as the engine reads it from the header before opening a cache. */
const pageSize = (file: string) => inspectCacheFile(file)!.pageSize;

/** A deterministic generator, so a failing damage pattern can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Overwrites the given 1-based pages with random bytes. */
function overwritePages(file: string, pages: readonly number[], seed: number): void {
  const next = random(seed);
  const bytes = pageSize(file);
  const fd = openSync(file, 'r+');
  try {
    for (const page of pages) writeSync(fd, Buffer.from(Array.from({ length: bytes }, () => Math.floor(next() * 256))), 0, bytes, (page - 1) * bytes);
  } finally {
    closeSync(fd);
  }
}

/** `count` distinct random pages from the middle half of the file. */
function middlePages(file: string, count: number, seed: number): number[] {
  const pages = Math.floor(statSync(file).size / pageSize(file));
  const next = random(seed);
  const picked = new Set<number>();
  while (picked.size < Math.min(count, Math.floor(pages / 2))) picked.add(Math.floor(pages / 4 + next() * (pages / 2)) + 1);
  return [...picked].sort((a, b) => a - b);
}

/** Runs SQL on a cache file with a connection of its own (the test's, not the engine's). */
function sql<T>(file: string, statement: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (error) => {
      if (error) return reject(error);
      db.all(statement, (failure: Error | null, rows: T[]) => db.close(() => (failure ? reject(failure) : resolve(rows))));
    });
  });
}

/** Leaf pages of one table's B-tree (dbstat). */
async function leafPages(file: string, table: string): Promise<number[]> {
  return (await sql<{ pageno: number }>(file, `SELECT pageno FROM dbstat WHERE name = '${table}' AND pagetype = 'leaf' ORDER BY pageno`)).map((row) => row.pageno);
}

const cacheDir = (name: string) => join(workspace.cache, name);
const cli = (args: readonly string[], cache: string, model = TINY_MODEL) => runCli([...args, '--cache', cache, '--model', model, '--workers', '1']);
const corruptCopies = (dir: string) => readdirSync(dir).filter((name) => /^index\.sqlite\.corrupt-\d+$/.test(name));
const rebuildMessages = (stderr: string) => stderr.split('\n').filter((line) => /corrupt/i.test(line));

async function buildCache(name: string): Promise<string> {
  const dir = cacheDir(name);
  const result = cli(['index', workspace.root], dir);
  assert.equal(result.status, 0, result.stderr);
  return join(dir, 'index.sqlite');
}

function topPath(stdout: string): string | undefined {
  return (JSON.parse(stdout) as { path: string }[])[0]?.path;
}

describe('a cache damaged in the middle', () => {
  it('is reported unusable by status (exit 4, file untouched), then moved aside and rebuilt by index with one message', async () => {
    const file = await buildCache('pages-overwritten');
    const pages = middlePages(file, 16, 11);
    overwritePages(file, pages, 11);
    const damaged = readFileSync(file);

    const status = cli(['status', '--dir', workspace.root], cacheDir('pages-overwritten'));
    const untouched = readFileSync(file).equals(damaged);
    const index = cli(['index', workspace.root, '--json'], cacheDir('pages-overwritten'));
    const search = cli(['search', 'token bucket rate limiter', '--dir', workspace.root, '--json', '-n', '3'], cacheDir('pages-overwritten'));
    const after = cli(['status', '--dir', workspace.root, '--json'], cacheDir('pages-overwritten'));
    const survived = status.status === 4 && index.status === 0 && search.status === 0 && after.status === 0;
    recordFault({
      fault: 'cache-pages-overwritten',
      description: `16 random ${pageSize(file) / 1024} KiB pages in the middle half of a built index.sqlite overwritten with random bytes (pages ${pages.join(', ')} of ${Math.floor(damaged.length / pageSize(file))})`,
      trials: 1,
      survived: survived ? 1 : 0,
      lost: survived ? 'the index (status exits 4 and changes nothing; the next index moves the file aside and rebuilds it from the sources, with one message)' : `status ${status.status}, index ${index.status}, search ${search.status}`,
      details: { statusStderr: status.stderr.trim(), indexStderr: index.stderr.trim() },
    });
    assert.equal(status.status, 4, status.stdout + status.stderr);
    assert.match(status.stderr, /The index cache is corrupt \(.*pages-overwritten\/index\.sqlite\)[\s\S]*hint: .*codegraph index/);
    assert.ok(untouched, 'status is a report: it does not repair or move the file');
    assert.equal(index.status, 0, index.stderr);
    assert.equal(rebuildMessages(index.stderr).length, 1, index.stderr);
    assert.match(index.stderr, /corrupt and has been rebuilt; the damaged file was moved to .*index\.sqlite\.corrupt-\d+ \(.+\)/);
    assert.equal((JSON.parse(index.stdout) as { filesChanged: number }).filesChanged, 14);
    assert.equal(corruptCopies(cacheDir('pages-overwritten')).length, 1);
    assert.equal(search.status, 0, search.stderr);
    assert.equal(search.stderr, '');
    assert.equal(topPath(search.stdout), 'python/rate_limiter.py');
    assert.equal((JSON.parse(after.stdout) as { counts: { files: number } }).counts.files, 14);
  });

  it('finds a single damaged page of the chunks table on open: search rebuilds, says so once, and answers correctly', async () => {
    const file = await buildCache('chunk-page');
    const leaves = await leafPages(file, 'chunks');
    assert.ok(leaves.length >= 2, `the chunks table spans ${leaves.length} leaf pages`);
    const page = leaves[Math.floor(leaves.length / 2)]!;
    overwritePages(file, [page], 5);
    const integrity = await sql<{ integrity_check: string }>(file, 'PRAGMA integrity_check').catch((error: Error) => [{ integrity_check: error.message }]);
    assert.notDeepEqual(integrity.map((row) => row.integrity_check), ['ok'], 'the damage is real');

    const status = cli(['status', '--dir', workspace.root], cacheDir('chunk-page'));
    const search = cli(['search', 'token bucket rate limiter', '--dir', workspace.root, '--json', '-n', '3'], cacheDir('chunk-page'));
    const survived = status.status === 4 && search.status === 0 && topPath(search.stdout) === 'python/rate_limiter.py';
    recordFault({
      fault: 'cache-chunk-page',
      description: `One leaf page of the chunks table (page ${page}) overwritten with random bytes: integrity_check fails`,
      trials: 1,
      survived: survived ? 1 : 0,
      lost: survived ? 'the index (status exits 4; the next search moves the file aside, rebuilds and answers from the rebuilt index)' : `status ${status.status}, search ${search.status}: ${search.stderr.slice(0, 300)}`,
      details: { searchStderr: search.stderr.trim() },
    });
    assert.equal(status.status, 4, status.stderr);
    assert.equal(search.status, 0, search.stderr);
    assert.equal(rebuildMessages(search.stderr).length, 1, search.stderr);
    assert.equal(search.stderr.trim().split('\n').length, 1, `one message: ${search.stderr}`);
    assert.equal(topPath(search.stdout), 'python/rate_limiter.py');
    const rebuilt = await sql<{ integrity_check: string }>(file, 'PRAGMA integrity_check');
    assert.deepEqual(rebuilt.map((row) => row.integrity_check), ['ok']);
  });

  /**
   * Damage that appears after the open check passed: the engine's connection
   * then reads the damaged pages for the first time mid-operation. A write by
   * another connection makes SQLite drop the pages it had cached.
   */
  async function damageWhileOpen(graph: CodeGraph, table: string, seed: number): Promise<number[]> {
    const file = graph.cachePath;
    const pages = await leafPages(file, table);
    overwritePages(file, pages, seed);
    await sql(file, "INSERT INTO meta (key, value) VALUES ('test-touch', '1') ON CONFLICT(key) DO UPDATE SET value = value + 1");
    return pages;
  }

  it('recovers from damage found mid-search, mid-index and by an engine status check: moves the cache aside, rebuilds, answers, with one message each', async () => {
    const outcomes: Record<string, unknown>[] = [];
    for (const [when, table] of [['search', 'chunks'], ['index', 'files'], ['status', 'refs']] as const) {
      const dir = cacheDir(`mid-${when}`);
      await buildCache(`mid-${when}`);
      const logs: string[] = [];
      const graph = await CodeGraph.open({ root: workspace.root, cacheDir: dir, modelDir: TINY_MODEL, workers: 1 }, { log: (line) => logs.push(line) });
      try {
        assert.equal((await graph.status()).recoveredFromCorruption, null, 'the open check passed');
        const pages = await damageWhileOpen(graph, table, 3);
        let top: string | undefined;
        if (when === 'search') {
          top = (await graph.search('token bucket rate limiter', { limit: 3 }))[0]?.path;
        } else if (when === 'status') {
          // An engine opened to rebuild (the default) repairs what its status check finds, and reports the fresh cache.
          const found = await graph.status({ verifyCache: true });
          assert.match(found.recoveredFromCorruption ?? '', /has been rebuilt/);
          assert.equal(found.cacheProblem, null);
          assert.equal(found.counts.files, 0);
          await graph.index();
          top = (await graph.search('token bucket rate limiter', { limit: 3 }))[0]?.path;
        } else {
          const summary = await graph.index();
          assert.equal(summary.filesChanged, 14, 'the whole tree is indexed again');
          top = (await graph.search('token bucket rate limiter', { limit: 3 }))[0]?.path;
        }
        const status = await graph.status({ verifyCache: true });
        outcomes.push({ when, table, pages, top, logs, files: status.counts.files });
        assert.equal(top, 'python/rate_limiter.py');
        assert.equal(logs.filter((line) => /corrupt/i.test(line)).length, 1, logs.join('\n'));
        assert.match(status.recoveredFromCorruption ?? '', /has been rebuilt/);
        assert.equal(status.cacheProblem, null);
        assert.equal(status.counts.files, 14);
        assert.equal(corruptCopies(dir).length, 1);
      } finally {
        await graph.dispose();
      }
    }
    recordFault({
      fault: 'cache-damage-mid-operation',
      description: 'Every leaf page of the chunks table (during a search), of the files table (during an index run) or of the refs table (found by a status check) overwritten after the cache was opened and checked',
      trials: 3,
      survived: outcomes.length,
      lost: 'the index (moved aside and rebuilt from the sources; the search or index run completes on the rebuilt cache, with one message)',
      details: { outcomes },
    });
  });
});

/** A folder this test may make read-only for the CLI: as root, modes deny nothing, so the CLI runs as `nobody`. */
function readOnlyFolder(path: string): { runAs: { uid?: number }; skip: string | null } {
  mkdirSync(path, { recursive: true });
  chmodSync(path, 0o555);
  if (process.getuid?.() !== 0) return { runAs: {}, skip: null };
  const nobody = 65534;
  // The temporary folder is private to root (mkdtemp: 0700); let `nobody` through to the workspace and the cache folder.
  chownSync(join(workspace.root, '..'), nobody, nobody);
  const probe = runCli(['--version'], { uid: nobody });
  return probe.status === 0 ? { runAs: { uid: nobody }, skip: null } : { runAs: {}, skip: `uid ${nobody} cannot run the CLI from this checkout` };
}

/** A tiny tmpfs (root only), to fill for real. */
function tinyFileSystem(path: string, size: string): { unmount: () => void } | null {
  mkdirSync(path, { recursive: true });
  if (process.getuid?.() !== 0) return null;
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { encoding: 'utf8' });
  if (mount.status !== 0) return null;
  return { unmount: () => void spawnSync('umount', ['-l', path]) };
}

describe('an unusable cache path', () => {
  const root = workspace.root;
  const results: Record<string, { status: number | null; stderr: string }> = {};
  const mounts: { unmount: () => void }[] = [];
  after(() => {
    for (const mount of mounts) mount.unmount();
  });

  /** Asserts exit 4, a message naming `path`, and a hint; records the case. */
  function expectRefused(name: string, description: string, result: { status: number | null; stderr: string }, path: string, hint: RegExp, lost = 'nothing: exit 4 with the path and the fix'): void {
    results[name] = { status: result.status, stderr: result.stderr.trim() };
    const survived = result.status === 4 && result.stderr.includes(path) && hint.test(result.stderr) && !/\n\s+at /.test(result.stderr);
    recordFault({ fault: `cache-unusable-${name}`, description, trials: 1, survived: survived ? 1 : 0, lost: survived ? lost : `exit ${result.status}: ${result.stderr.slice(0, 300)}`, details: { stderr: result.stderr.trim() } });
    assert.equal(result.status, 4, result.stderr);
    assert.ok(result.stderr.includes(path), `names ${path}: ${result.stderr}`);
    assert.match(result.stderr, /\n {2}hint: /);
    assert.match(result.stderr, hint);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }

  it('refuses a folder at the cache file path', () => {
    const dir = cacheDir('folder-at-path');
    mkdirSync(join(dir, 'index.sqlite'), { recursive: true });
    for (const command of [['index', root], ['search', 'token', '--dir', root], ['status', '--dir', root]]) {
      expectRefused('folder', 'A folder named index.sqlite where the cache file goes', cli(command, dir, 'none'), join(dir, 'index.sqlite'), /hint: Remove or rename that folder/);
    }
    assert.ok(statSync(join(dir, 'index.sqlite')).isDirectory());
  });

  it("refuses another program's SQLite database and leaves it byte for byte as it was", async () => {
    const dir = cacheDir('foreign');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'index.sqlite');
    await sql(file, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');
    await sql(file, "INSERT INTO notes (body) VALUES ('keep me')");
    const before = readFileSync(file);
    for (const command of [['index', root], ['status', '--dir', root]]) {
      expectRefused('foreign-sqlite', "A valid SQLite database of another program (one table 'notes') at the cache path", cli(command, dir, 'none'), file, /another program[\s\S]*hint: Move that file away/, 'nothing: refused with exit 4, the file is neither changed nor moved');
    }
    assert.ok(readFileSync(file).equals(before), 'untouched');
    assert.deepEqual(readdirSync(dir), ['index.sqlite']);
  });

  it('refuses a cache of a newer schema, untouched', async () => {
    const file = await buildCache('newer-schema');
    await sql(file, 'PRAGMA user_version = 99');
    const before = readFileSync(file);
    expectRefused('newer-schema', 'A CodeGraph cache whose user_version (99) is newer than this version', cli(['index', root], cacheDir('newer-schema'), 'none'), file, /schema v99, newer[\s\S]*hint: Upgrade CodeGraph/, 'nothing: refused with exit 4, the cache left for the newer version');
    assert.ok(readFileSync(file).equals(before));
  });

  it('refuses a --cache path that is a file', () => {
    const file = join(workspace.cache, 'a-file');
    mkdirSync(workspace.cache, { recursive: true });
    writeFileSync(file, 'not a folder\n');
    expectRefused('cache-dir-is-file', '--cache names an ordinary file', cli(['index', root], file, 'none'), file, /is a file, not a (folder|directory)[\s\S]*hint: /);
    expectRefused('cache-dir-under-file', '--cache names a folder below an ordinary file', cli(['index', root], join(file, 'below'), 'none'), file, /: \/.*a-file is a file, not a folder/);
    assert.equal(readFileSync(file, 'utf8'), 'not a folder\n');
  });

  it('refuses a read-only cache folder', (t) => {
    const dir = cacheDir('read-only');
    const folder = readOnlyFolder(dir);
    if (folder.skip) return t.skip(folder.skip);
    const result = runCli(['index', root, '--cache', dir, '--model', 'none', '--workers', '1'], folder.runAs);
    chmodSync(dir, 0o755);
    expectRefused('read-only', `The cache folder is chmod 555${folder.runAs.uid !== undefined ? ' (CLI run as uid 65534, since root ignores modes)' : ''}`, result, dir, /Cannot write in the cache folder [\s\S]*hint: Make .*read-only writable/);
  });

  it('refuses a full disk with exit 4 and says to free space (a 48 KiB tmpfs)', (t) => {
    const dir = cacheDir('full-disk');
    const mount = tinyFileSystem(dir, '48k');
    if (!mount) return t.skip('mounting a tmpfs needs root; the SQLITE_FULL mapping is covered by the store test below');
    mounts.push(mount);
    expectRefused('disk-full', 'The cache folder is a 48 KiB tmpfs, too small for the index', cli(['index', root], dir), join(dir, 'index.sqlite'), /disk is full[\s\S]*hint: Free space on the disk/, 'nothing: exit 4 with the path and the fix; the sources are untouched');
  });

  it('maps SQLITE_FULL from any statement to a typed error naming the cache (max_page_count)', async () => {
    const dir = cacheDir('page-limit');
    mkdirSync(dir, { recursive: true });
    const store = await WorkspaceStore.open(join(dir, 'index.sqlite'));
    try {
      const pages = (await store.db.get<{ page_count: number }>('PRAGMA page_count'))!.page_count;
      await store.db.get(`PRAGMA max_page_count = ${pages}`);
      await assert.rejects(store.setMeta('big', 'x'.repeat(64 * 1024)), (error: unknown) => error instanceof CacheUnusableError && error.details['reason'] === 'disk-full' && String(error.details['hint']).startsWith('Free space') && error.message.includes(join(dir, 'index.sqlite')));
    } finally {
      await store.close();
    }
  });

  it('refuses with exit 4 and a hint while another process holds the write lock past the timeout, and loses nothing', async () => {
    const dir = cacheDir('locked');
    assert.equal(cli(['index', root], dir).status, 0);
    const file = join(dir, 'index.sqlite');
    const before = await sql<{ n: number }>(file, 'SELECT count(*) AS n FROM chunks');
    // A changed file, so that the run has something to write.
    const changed = join(root, 'locked-probe.ts');
    writeFileSync(changed, 'export function lockedProbe(): number {\n  return 42;\n}\n');
    const holder = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db = new sqlite3.Database(file, (error) => (error ? reject(error) : db.exec('BEGIN EXCLUSIVE', (failure) => (failure ? reject(failure) : resolve(db)))));
    });
    let refused: { status: number | null; stderr: string };
    try {
      // spawnSync blocks this thread; the lock stays held by SQLite meanwhile.
      refused = cli(['index', root], dir);
    } finally {
      await new Promise<void>((resolve) => holder.exec('ROLLBACK', () => holder.close(() => resolve())));
    }
    try {
      expectRefused('busy', 'Another connection holds the cache\'s write lock (BEGIN EXCLUSIVE) for longer than the 5 s busy timeout while `index` has a change to write', refused, file, /is busy[\s\S]*hint: Another CodeGraph process/);
      assert.deepEqual(await sql<{ n: number }>(file, 'SELECT count(*) AS n FROM chunks'), before, 'nothing written, nothing lost');
      const again = cli(['index', root], dir);
      assert.equal(again.status, 0, again.stderr);
      assert.equal(cli(['search', 'lockedProbe', '--dir', root, '--json', '-n', '1'], dir).stdout.includes('locked-probe.ts'), true);
    } finally {
      rmSync(changed, { force: true });
    }
  });

  it('refuses --cache under /proc at once instead of hanging', (t) => {
    try {
      statSync('/proc/self');
    } catch {
      return t.skip('no /proc here');
    }
    const started = performance.now();
    const result = runCli(['index', root, '--cache', '/proc/x', '--model', 'none', '--workers', '1']);
    const seconds = (performance.now() - started) / 1000;
    expectRefused('proc', '--cache /proc/x (Node’s recursive mkdir loops forever there: mkdir answers ENOENT under an existing parent)', result, '/proc', /hint: Choose a cache folder on an ordinary disk/);
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
  });
});
