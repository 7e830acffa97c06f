/**
 * Hostile input (issue #6, item 3): a generated corpus of binary, huge,
 * minified, mis-encoded, deeply nested, broken, unreadable, looping, special
 * and strangely named files. Indexing must not crash or hang, must index or
 * report every file with its reason, and must leave a consistent store.
 * Each fault's outcome is recorded for docs/reliability.md.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import type { IndexSummary } from '../../engine/indexer/indexer.js';
import { tempDir, TINY_MODEL } from '../helpers.js';
import { compareStoreWithDisk, isConsistent, runCli, storeProblems, withinDeadline } from './engineProbe.js';
import { recordFault } from './faultRecord.js';
import { buildHostileCorpus, HOSTILE_MAX_FILE_BYTES, WEIRD_NAMES, type HostileEntry } from './hostileCorpus.js';

/** Generous: the corpus indexes in seconds; only a hang gets near this. */
const HANG_LIMIT_MS = 150_000;

const FAULT_DESCRIPTIONS: Record<string, string> = {
  'hostile-binary': 'Files with NUL bytes, an ELF header, UTF-16 text and a PNG, some with source-code extensions',
  'hostile-too-large': 'A generated 50 MB .py file, and one just under the 1 MiB limit',
  'hostile-minified': 'A 6,000-function one-line bundle, named *.min.js and unnamed (512 KiB single line)',
  'hostile-invalid-utf8': 'Latin-1 bytes, overlong sequences, lone surrogates and a truncated sequence; plus a UTF-8 BOM',
  'hostile-deep-nesting': 'Nesting 100,000 brackets, 2,000 functions, 400 classes, 20,000 calls, 50,000 blocks and JSON objects deep',
  'hostile-syntax-errors': 'Seeded token soup in 16 languages and an unterminated string',
  'hostile-weird-paths': 'File and directory names with spaces, quotes, unicode, leading dashes, $(), backticks, globs, a newline and SQL; workspace root with a space and unicode',
  'hostile-symlink-loop': 'A directory symlink to its ancestor and two file symlinks pointing at each other, with symlinks followed',
  'hostile-special-file': 'A FIFO in the tree and a symlink to it (opening either would block forever)',
  'hostile-baseline': 'An ordinary file beside the hostile ones',
};

describe('hostile input corpus', { timeout: 300_000 }, () => {
  const dir = tempDir('codegraph-hostile-');
  // The workspace root itself has a space and non-ASCII characters.
  const root = join(dir.path, 'work space ü');
  const cache = join(dir.path, 'cache');
  let entries: HostileEntry[] = [];
  let graph: CodeGraph;
  let summary: IndexSummary | undefined;
  let indexMs = 0;

  before(async () => {
    entries = buildHostileCorpus(root);
    graph = await CodeGraph.open({ root, cacheDir: cache, modelDir: TINY_MODEL, workers: 1, discovery: { followSymlinks: true, maxFileBytes: HOSTILE_MAX_FILE_BYTES } });
  });
  after(async () => {
    await graph?.dispose();
    dir.cleanup();
  });

  it('indexes the corpus without crashing or hanging, and indexes or reports every hostile file with its reason', async () => {
    const started = performance.now();
    let failure: unknown = null;
    try {
      summary = await withinDeadline(graph.index(), HANG_LIMIT_MS, 'indexing the hostile corpus');
    } catch (error) {
      failure = error;
    }
    indexMs = performance.now() - started;
    const stored = await graph.store.files();
    const outcomes = entries.map((entry) => {
      const skip = summary?.skipped.find((skipped) => skipped.path === entry.path);
      const actual = stored.has(entry.path) ? 'indexed' : (skip?.reason ?? 'missing');
      return { ...entry, actual, detail: skip?.detail };
    });
    for (const [fault, description] of Object.entries(FAULT_DESCRIPTIONS)) {
      const mine = outcomes.filter((outcome) => outcome.fault === fault);
      const wrong = mine.filter((outcome) => outcome.actual !== outcome.expect);
      recordFault({
        fault,
        description,
        trials: mine.length,
        survived: failure ? 0 : mine.length - wrong.length,
        lost: failure ? `indexing failed: ${String(failure)}` : wrong.length === 0 ? 'nothing' : `not handled as expected: ${wrong.map((outcome) => `${outcome.path} (${outcome.actual}, expected ${outcome.expect})`).join('; ')}`,
        details: { indexMs: Math.round(indexMs), outcomes: Object.fromEntries(mine.map((outcome) => [outcome.path, outcome.detail ? `${outcome.actual}: ${outcome.detail}` : outcome.actual])) },
      });
    }
    assert.equal(failure, null, String(failure));
    assert.deepEqual(
      outcomes.filter((outcome) => outcome.actual !== outcome.expect).map(({ path, expect, actual }) => ({ path, expect, actual })),
      [],
    );
    // The size limit is applied from the stat: the 50 MB file is reported with its size, not read.
    assert.match(summary!.skipped.find((entry) => entry.path === 'large/huge.py')!.detail ?? '', /^52428800 bytes$/);
    assert.equal(summary!.skipped.find((entry) => entry.path === 'special/pipe.py')!.detail, 'fifo');
  });

  it('parses deeply nested code or falls back to line windows, without overflowing the stack', async () => {
    const nested = entries.filter((entry) => entry.fault === 'hostile-deep-nesting');
    for (const entry of nested) {
      const chunks = await graph.store.chunksOfFile(entry.path);
      assert.ok(chunks.length > 0, `${entry.path} has chunks`);
      assert.ok(chunks.every((chunk) => chunk.text.length > 0));
    }
    // Every broken file still yields searchable chunks (syntax where the parse holds, else line windows).
    for (const entry of entries.filter((candidate) => candidate.fault === 'hostile-syntax-errors')) {
      assert.ok((await graph.store.chunksOfFile(entry.path)).length > 0, `${entry.path} has chunks`);
    }
  });

  it('leaves a sound store whose file rows match the disk', async () => {
    assert.deepEqual(await storeProblems(graph), []);
    const diff = await compareStoreWithDisk(graph);
    assert.ok(isConsistent(diff), JSON.stringify(diff));
    // A second pass over the unchanged corpus changes nothing and reports the same skips.
    const again = await withinDeadline(graph.index(), HANG_LIMIT_MS, 're-indexing the hostile corpus');
    assert.equal(again.filesChanged, 0);
    assert.deepEqual(again.skippedByReason, summary!.skippedByReason);
  });

  it('skips a FIFO named by a file event instead of opening it', async () => {
    // The watcher's path: only the named paths are checked, as after a chokidar 'add' (symlinks followed here).
    const run = await withinDeadline(graph.index({ paths: ['special/pipe.py', 'special/pipe-link.py'] }), 30_000, 'indexing paths that name a FIFO');
    assert.deepEqual(
      run.skipped.map((entry) => [entry.path, entry.reason]),
      [
        ['special/pipe.py', 'special-file'],
        ['special/pipe-link.py', 'special-file'],
      ],
    );
  });

  it('finds files with hostile names through the engine, with their exact paths', async () => {
    for (const [index, name] of WEIRD_NAMES.entries()) {
      const hits = await graph.search(`weird_path_probe_n${index}`, { mode: 'lexical', limit: 3 });
      assert.equal(hits[0]?.path, `weird/${name}`, `search for ${JSON.stringify(name)}`);
      const { origin } = await graph.similar(`weird/${name}`, 1);
      assert.equal(origin.path, `weird/${name}`);
    }
  });

  it('handles hostile names through the CLI: exact JSON paths, and `--` before a leading-dash location', () => {
    const common = ['--cache', cache, '--model', TINY_MODEL, '--workers', '1', '--json'];
    const search = runCli(['search', '--dir', root, ...common, '--mode', 'lexical', '-n', '3', 'weird_path_probe_n2']);
    assert.equal(search.status, 0, search.stderr);
    assert.equal((JSON.parse(search.stdout) as { path: string }[])[0]?.path, `weird/${WEIRD_NAMES[2]}`);
    // A path glob with spaces and quotes selects exactly that file.
    const scoped = runCli(['search', '--dir', root, ...common, '--path', `weird/${WEIRD_NAMES[1]}`, 'probe function']);
    assert.equal(scoped.status, 0, scoped.stderr);
    assert.deepEqual([...new Set((JSON.parse(scoped.stdout) as { path: string }[]).map((hit) => hit.path))], [`weird/${WEIRD_NAMES[1]}`]);
    // Without `--`, a leading dash is an (unknown) option: a usage error, not a crash or a wrong file.
    const ambiguous = runCli(['similar', '--dir', root, ...common, '-rf.py:1']);
    assert.equal(ambiguous.status, 2, ambiguous.stderr);
    const similar = runCli(['similar', '--dir', root, ...common, '--', 'weird/-rf.py:1']);
    assert.equal(similar.status, 0, similar.stderr);
    assert.ok(Array.isArray(JSON.parse(similar.stdout)));
  });
});

describe('files deleted and renamed while indexing runs', { timeout: 300_000 }, () => {
  const dir = tempDir('codegraph-midindex-');
  const root = join(dir.path, 'workspace');
  const FILES = 1200;
  const pathOf = (index: number) => `pkg${Math.floor(index / 100)}/mod${index}.py`;
  before(() => {
    for (let index = 0; index < FILES; index++) {
      mkdirSync(join(root, `pkg${Math.floor(index / 100)}`), { recursive: true });
      writeFileSync(join(root, pathOf(index)), `def handler_${index}(request):\n    """Handles request kind ${index}."""\n    return request.value + ${index}\n`);
    }
  });
  after(() => dir.cleanup());

  it('skips what vanished with a reason, and a follow-up run matches the final disk state', async () => {
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: TINY_MODEL, workers: 1, batchFiles: 100 });
    const deleted = Array.from({ length: 100 }, (_, offset) => 600 + offset);
    const renamed = Array.from({ length: 100 }, (_, offset) => 700 + offset);
    let injectedAt = -1;
    try {
      // After the first batch is committed, later batches' files vanish or move before a worker reads them.
      const first = await withinDeadline(
        graph.index({
          onProgress: (progress) => {
            if (injectedAt >= 0 || progress.phase !== 'indexing' || progress.filesDone === 0) return;
            injectedAt = progress.filesDone;
            for (const index of deleted) rmSync(join(root, pathOf(index)));
            mkdirSync(join(root, 'moved'), { recursive: true });
            for (const index of renamed) renameSync(join(root, pathOf(index)), join(root, 'moved', `renamed${index}.py`));
            rmSync(join(root, 'pkg11'), { recursive: true });
          },
        }),
        HANG_LIMIT_MS,
        'indexing while files vanish',
      );
      assert.ok(injectedAt > 0 && injectedAt < 600, `the files vanished mid-run (after ${injectedAt} files)`);
      const vanished = [...deleted, ...renamed, ...Array.from({ length: 100 }, (_, offset) => 1100 + offset)].map(pathOf);
      const reported = new Map(first.skipped.map((entry) => [entry.path, entry]));
      const unreported = vanished.filter((path) => reported.get(path)?.reason !== 'unreadable' || reported.get(path)?.detail !== 'ENOENT');
      const second = await withinDeadline(graph.index(), HANG_LIMIT_MS, 'the follow-up index');
      const diff = await compareStoreWithDisk(graph);
      const problems = await storeProblems(graph);
      const lostFiles = diff.missing.length + diff.extra.length + diff.stale.length;
      recordFault({
        fault: 'hostile-vanishing-files',
        description: 'After the first of 12 batches commits, 100 files are deleted, 100 renamed and a 100-file directory removed before workers read them',
        trials: vanished.length,
        survived: vanished.length - unreported.length - lostFiles,
        lost: unreported.length === 0 && lostFiles === 0 && problems.length === 0 ? 'nothing (renamed files are indexed by the follow-up run)' : `unreported ${unreported.length}, store/disk differences ${JSON.stringify(diff)}, problems ${problems.join('; ')}`,
        details: { injectedAfterFiles: injectedAt, firstRunChanged: first.filesChanged, secondRunChanged: second.filesChanged, secondRunDeleted: second.filesDeleted },
      });
      assert.deepEqual(unreported, [], 'every vanished file is reported as unreadable (ENOENT)');
      assert.deepEqual(problems, []);
      assert.ok(isConsistent(diff), JSON.stringify(diff));
      // The follow-up run picked up exactly the moved files, and they are searchable under their new names.
      assert.equal(second.filesChanged, renamed.length);
      const hits = await graph.search('handler_742', { mode: 'lexical', limit: 1 });
      assert.equal(hits[0]?.path, 'moved/renamed742.py');
    } finally {
      await graph.dispose();
    }
  });
});

describe('files the indexer may not read', { timeout: 120_000 }, () => {
  const dir = tempDir('codegraph-eacces-');
  const root = join(dir.path, 'workspace');
  after(() => {
    for (const path of ['secret.py', 'locked']) if (existsSync(join(root, path))) chmodSync(join(root, path), 0o755);
    dir.cleanup();
  });

  it('reports an unreadable file and directory as unreadable (EACCES) and indexes the rest', (t) => {
    mkdirSync(join(root, 'locked'), { recursive: true });
    writeFileSync(join(root, 'secret.py'), 'def secret():\n    return 1\n');
    writeFileSync(join(root, 'locked', 'inner.py'), 'def inner():\n    return 2\n');
    writeFileSync(join(root, 'open.py'), 'def open_code():\n    return 3\n');
    chmodSync(join(root, 'secret.py'), 0o000);
    chmodSync(join(root, 'locked'), 0o000);
    // Root reads everything regardless of mode bits, so as root the index runs as `nobody`
    // (uid 65534), for whom the modes really do deny access.
    const asRoot = process.getuid?.() === 0;
    const nobody = 65534;
    const cache = join(dir.path, 'cache');
    if (asRoot) {
      mkdirSync(cache);
      for (const path of [dir.path, root, cache]) chownSync(path, nobody, nobody);
      const probe = runCli(['--version'], { uid: nobody });
      if (probe.status !== 0) {
        t.skip(`running as root and uid ${nobody} cannot run the CLI from this checkout (${probe.stderr.trim().split('\n')[0]}); no real way to get EACCES`);
        return;
      }
    }
    const result = runCli(['index', root, '--cache', cache, '--model', 'none', '--workers', '1', '--json', '--list-skipped'], asRoot ? { uid: nobody } : {});
    const survivedRun = result.status === 0;
    const report = survivedRun ? (JSON.parse(result.stdout) as { filesChanged: number; skipped: { path: string; reason: string; detail?: string }[] }) : null;
    const reasonOf = (path: string) => report?.skipped.find((entry) => entry.path === path);
    const handled = ['secret.py', 'locked'].filter((path) => reasonOf(path)?.reason === 'unreadable' && reasonOf(path)?.detail === 'EACCES');
    recordFault({
      fault: 'hostile-permission-denied',
      description: `A chmod 000 file and a chmod 000 directory${asRoot ? ' (index run as uid 65534, since root ignores modes)' : ''}`,
      trials: 2,
      survived: survivedRun ? handled.length : 0,
      lost: survivedRun && handled.length === 2 ? 'nothing (both reported as unreadable: EACCES; the rest indexed)' : `exit ${result.status}: ${result.stderr.slice(0, 300)}`,
      details: { runAs: asRoot ? `uid ${nobody}` : `uid ${process.getuid?.()}`, skipped: report?.skipped ?? null },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reasonOf('secret.py')?.reason, 'unreadable');
    assert.equal(reasonOf('secret.py')?.detail, 'EACCES');
    assert.equal(reasonOf('locked')?.reason, 'unreadable');
    assert.equal(reasonOf('locked')?.detail, 'EACCES');
    assert.equal(report!.filesChanged, 1, 'open.py is indexed');
  });
});
