/**
 * Crash safety: a child process indexing a generated workspace is killed
 * with SIGKILL, 20 times with different seeds: half at a seeded random
 * moment, half right after a seeded number of committed batches. After each
 * kill the cache must pass PRAGMA integrity_check with no orphaned rows; the
 * restart must finish, equal a clean index of the same files, and embed only
 * what the killed run had not committed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import { seededRandom } from '../../engine/pool/resilience.js';
import { CommitPacer } from '../../engine/indexer/indexer.js';
import { WorkspaceStore } from '../../engine/store/store.js';
import { restoreTerminal } from '../../cli/interrupt.js';
import { REPO_ROOT, tempDir, TINY_MODEL } from '../helpers.js';
import { runCli } from './engineProbe.js';
import { recordFault } from './faultRecord.js';

const TRIALS = 20;
const BATCH_FILES = 12;
const CHILD = join(__dirname, 'crashChild.js');

const dir = tempDir('codegraph-crash-');
const workspace = join(dir.path, 'workspace');
after(() => dir.cleanup());

/** A few hundred small files in five languages, the same on every run. */
function generateWorkspace(root: string, files: number): void {
  const random = seededRandom(2024);
  const words = ['parse', 'token', 'buffer', 'cache', 'retry', 'queue', 'render', 'index', 'merge', 'split', 'hash', 'route', 'spawn', 'flush', 'score', 'lease', 'shard', 'fetch', 'encode', 'decode'];
  const pick = () => words[Math.floor(random() * words.length)]!;
  const name = (i: number, j: number) => `${pick()}_${pick()}_${i}_${j}`;
  const camel = (snake: string) => snake.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
  const languages = [
    { dir: 'py', ext: 'py', fn: (n: string, body: string) => `def ${n}(items, limit=10):\n    """${body}"""\n    return [item for item in items if len(str(item)) < limit][:limit]\n` },
    { dir: 'ts', ext: 'ts', fn: (n: string, body: string) => `/** ${body} */\nexport function ${camel(n)}(items: string[], limit = 10): string[] {\n  return items.filter((item) => item.length < limit).slice(0, limit);\n}\n` },
    { dir: 'go', ext: 'go', fn: (n: string, body: string) => `// ${camel(n)} ${body}\nfunc ${camel(n)}(items []string, limit int) []string {\n\tout := []string{}\n\tfor _, item := range items {\n\t\tif len(item) < limit {\n\t\t\tout = append(out, item)\n\t\t}\n\t}\n\treturn out\n}\n` },
    { dir: 'rs', ext: 'rs', fn: (n: string, body: string) => `/// ${body}\npub fn ${n}(items: &[String], limit: usize) -> Vec<String> {\n    items.iter().filter(|item| item.len() < limit).cloned().collect()\n}\n` },
    { dir: 'java', ext: 'java', fn: (n: string, body: string) => `    /** ${body} */\n    static java.util.List<String> ${camel(n)}(java.util.List<String> items, int limit) {\n        return items.stream().filter(item -> item.length() < limit).toList();\n    }\n` },
  ];
  for (let i = 0; i < files; i++) {
    const language = languages[i % languages.length]!;
    const functions = Array.from({ length: 3 }, (_, j) => language.fn(name(i, j), `Keeps the ${pick()} entries shorter than the limit, then the ${pick()} ones (${i}.${j}).`));
    let text = functions.join('\n');
    if (language.dir === 'go') text = `package p${i}\n\n${text}`;
    if (language.dir === 'java') text = `class Util${i} {\n${text}}\n`;
    const folder = join(root, language.dir, `group${i % 7}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `file${i}.${language.ext}`), text);
  }
}

interface ChildRun {
  /** Exit signal (SIGKILL) or null when it finished first. */
  readonly signal: NodeJS.Signals | null;
  readonly committedLines: number;
  readonly done: { chunksEmbedded: number; chunksTotal: number } | null;
  /** Milliseconds from the start of indexing to exit. */
  readonly indexingMs: number;
  /** Milliseconds from the start of indexing to the first commit (0: none). */
  readonly firstCommitMs: number;
}

/** Runs the child; kills it `killAfterMs` after indexing starts, or right after its `killAfterBatches`-th commit. */
function runChild(cache: string, kill: { afterMs?: number; afterBatches?: number } = {}, batchFiles = BATCH_FILES): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, workspace, cache, TINY_MODEL, String(batchFiles)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let started = 0;
    let committedLines = 0;
    let firstCommitMs = 0;
    let done: ChildRun['done'] = null;
    let stderr = '';
    let pending = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.stdout.on('data', (data: Buffer) => {
      pending += data.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'indexing') {
          started = performance.now();
          if (kill.afterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
        } else if (line.startsWith('committed ')) {
          committedLines++;
          if (committedLines === 1) firstCommitMs = performance.now() - started;
          if (kill.afterBatches !== undefined && committedLines === kill.afterBatches) child.kill('SIGKILL');
        } else if (line.startsWith('done ')) done = JSON.parse(line.slice(5)) as ChildRun['done'];
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0) reject(new Error(`crash child failed (${code}): ${stderr}`));
      else resolve({ signal, committedLines, done, indexingMs: started ? performance.now() - started : 0, firstCommitMs });
    });
  });
}

/** Rows that point at nothing, per relation of engine/store/schema.ts; all zero in a sound cache. */
const ORPHAN_QUERIES: Record<string, string> = {
  chunksWithoutFile: 'SELECT count(*) AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = c.file_id)',
  definitionsWithoutFile: 'SELECT count(*) AS n FROM definitions d WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = d.file_id)',
  definitionsWithoutChunk: 'SELECT count(*) AS n FROM definitions d WHERE d.chunk_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = d.chunk_id)',
  refsWithoutChunk: 'SELECT count(*) AS n FROM refs r WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = r.chunk_id)',
  refsWithoutFile: 'SELECT count(*) AS n FROM refs r WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = r.file_id)',
  refsToMissingChunk: 'SELECT count(*) AS n FROM refs r WHERE r.target_chunk_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.id = r.target_chunk_id)',
  refsToMissingFile: 'SELECT count(*) AS n FROM refs r WHERE r.target_file_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM files f WHERE f.id = r.target_file_id)',
  // Vectors are written in the same transaction as their chunks, so a committed chunk always has one.
  chunksWithoutVector: 'SELECT count(*) AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.content_hash = c.content_hash)',
};

interface CacheState {
  readonly problems: string[];
  readonly files: number;
  readonly vectors: number;
  /** path → content hash, and every chunk as path:ordinal:lines:hash, sorted. */
  readonly fileHashes: Record<string, string>;
  readonly chunks: string[];
  readonly vectorHashes: string[];
  readonly references: number;
  readonly resolvedReferences: number;
}

async function inspect(store: WorkspaceStore): Promise<CacheState> {
  const problems = await store.integrityCheck();
  for (const [name, sql] of Object.entries(ORPHAN_QUERIES)) {
    const n = (await store.db.get<{ n: number }>(sql))!.n;
    if (n > 0) problems.push(`${n} ${name}`);
  }
  // The lexical segments' live rows against the chunks (`orphanCounts` decodes them).
  const lexical = await store.orphanCounts();
  for (const name of ['lexicalRowsWithoutChunk', 'chunksWithoutLexicalRow']) if (lexical[name]) problems.push(`${lexical[name]} ${name}`);
  const files = await store.db.all<{ path: string; hash: string }>('SELECT path, content_hash AS hash FROM files ORDER BY path');
  const chunks = await store.db.all<{ key: string }>("SELECT f.path || ':' || c.ordinal || ':' || c.start_line || '-' || c.end_line || ':' || c.content_hash AS key FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY key");
  const vectors = await store.db.all<{ hash: string }>('SELECT content_hash AS hash FROM vectors ORDER BY hash');
  const refs = (await store.db.get<{ total: number; resolved: number }>('SELECT count(*) AS total, count(target_chunk_id) AS resolved FROM refs'))!;
  return {
    problems,
    files: files.length,
    vectors: vectors.length,
    fileHashes: Object.fromEntries(files.map((row) => [row.path, row.hash])),
    chunks: chunks.map((row) => row.key),
    vectorHashes: vectors.map((row) => row.hash),
    references: refs.total,
    resolvedReferences: refs.resolved,
  };
}

async function inspectCache(cache: string): Promise<CacheState> {
  const store = await WorkspaceStore.open(join(cache, 'index.sqlite'));
  try {
    return await inspect(store);
  } finally {
    await store.close();
  }
}

describe('SIGKILL during indexing', () => {
  let clean: CacheState;
  let cleanIndexingMs = 0;

  before(async () => {
    generateWorkspace(workspace, 240);
    const run = await runChild(join(dir.path, 'clean'));
    assert.ok(run.done, 'the clean run finished');
    cleanIndexingMs = run.indexingMs;
    clean = await inspectCache(join(dir.path, 'clean'));
    assert.deepEqual(clean.problems, []);
    assert.equal(clean.files, 240);
  });

  it(`leaves a sound cache that the restart completes and reuses, in ${TRIALS} seeded trials`, async () => {
    const trials: Record<string, unknown>[] = [];
    let survived = 0;
    const failures: string[] = [];
    for (let seed = 1; seed <= TRIALS; seed++) {
      const random = seededRandom(seed);
      const cache = join(dir.path, `trial-${seed}`);
      const batches = Math.ceil(240 / BATCH_FILES);
      // Odd seeds: a random moment (which can fall inside a transaction); even seeds: just after a random commit.
      const kill = seed % 2 === 1 ? { afterMs: Math.round(random() * cleanIndexingMs) } : { afterBatches: 1 + Math.floor(random() * (batches - 1)) };
      const killed = await runChild(cache, kill);
      const atKill = await inspectCache(cache);

      const logs: string[] = [];
      const graph = await CodeGraph.open({ root: workspace, cacheDir: cache, modelDir: TINY_MODEL, workers: 1, batchFiles: BATCH_FILES }, { log: (line) => logs.push(line) });
      let summary;
      try {
        summary = await graph.index();
        assert.equal(graph.serviceLevel, 'hybrid');
        assert.equal((await graph.status()).recoveredFromCorruption, null, 'a killed run never corrupts the cache');
      } finally {
        await graph.dispose();
      }
      const final = await inspectCache(cache);

      const trial = {
        seed,
        kill: kill.afterMs !== undefined ? `${kill.afterMs} ms` : `after batch ${kill.afterBatches}`,
        killed: killed.signal === 'SIGKILL',
        filesCommittedAtKill: atKill.files,
        vectorsCommittedAtKill: atKill.vectors,
        restartFilesChanged: summary.filesChanged,
        restartChunksEmbedded: summary.chunksEmbedded,
        reusedFraction: Number((atKill.vectors / final.vectors).toFixed(3)),
      };
      trials.push(trial);
      const problems = [
        ...atKill.problems.map((problem) => `after the kill: ${problem}`),
        ...final.problems.map((problem) => `after the restart: ${problem}`),
        ...(JSON.stringify(final.fileHashes) === JSON.stringify(clean.fileHashes) ? [] : ['files differ from a clean index']),
        ...(JSON.stringify(final.chunks) === JSON.stringify(clean.chunks) ? [] : ['chunks differ from a clean index']),
        ...(JSON.stringify(final.vectorHashes) === JSON.stringify(clean.vectorHashes) ? [] : ['vectors differ from a clean index']),
        ...(final.references === clean.references && final.resolvedReferences === clean.resolvedReferences ? [] : ['references differ from a clean index']),
        // Reuse: committed files are not re-analysed and committed vectors are not re-embedded.
        ...(summary.filesChanged === 240 - atKill.files ? [] : [`restart re-analysed ${summary.filesChanged} files, ${240 - atKill.files} were not committed`]),
        ...(summary.chunksEmbedded === final.vectors - atKill.vectors ? [] : [`restart embedded ${summary.chunksEmbedded} chunks, ${final.vectors - atKill.vectors} were missing`]),
      ];
      if (problems.length === 0) survived++;
      else failures.push(`seed ${seed} (${trial.kill}): ${problems.join('; ')}`);
    }
    const killedMidRun = trials.filter((trial) => trial['killed'] && (trial['filesCommittedAtKill'] as number) > 0 && (trial['filesCommittedAtKill'] as number) < 240).length;
    const reused = trials.map((trial) => trial['reusedFraction'] as number);
    recordFault({
      fault: 'sigkill-during-index',
      description: `A child process indexing 240 generated files (5 languages, ${BATCH_FILES} files per transaction) is killed with SIGKILL: odd seeds at a random moment, even seeds right after a random committed batch; the restart indexes the same cache`,
      trials: TRIALS,
      survived,
      lost: failures.length === 0 ? 'nothing' : failures.join(' | '),
      details: {
        killedMidRun,
        meanReusedFraction: Number((reused.reduce((sum, value) => sum + value, 0) / reused.length).toFixed(3)),
        cleanIndexingMs: Math.round(cleanIndexingMs),
        trials,
      },
    });
    assert.deepEqual(failures, []);
    // Most kills must land mid-run, or the trials prove little.
    assert.ok(killedMidRun >= TRIALS / 2, `only ${killedMidRun} of ${TRIALS} kills landed mid-run`);
  });
});

describe('commits paced by time', () => {
  before(() => {
    if (!existsSync(workspace)) generateWorkspace(workspace, 240);
  });

  it('keeps the work of a cold index killed before its first count-sized batch would commit', async () => {
    // One count-sized batch (512 files) would hold the whole workspace: before commits were paced by
    // time, a kill at any moment before the end kept nothing. The kill comes right after the second
    // commit (a moment, unlike a time, that does not depend on the machine's load).
    const clean = await runChild(join(dir.path, 'paced-clean'), {}, 512);
    assert.ok(clean.done, 'the clean run finished');
    const cache = join(dir.path, 'paced-killed');
    const killed = await runChild(cache, { afterBatches: 2 }, 512);
    const atKill = await inspectCache(cache);
    const resumeStarted = performance.now();
    const graph = await CodeGraph.open({ root: workspace, cacheDir: cache, modelDir: TINY_MODEL, workers: 1 });
    let summary;
    try {
      summary = await graph.index();
    } finally {
      await graph.dispose();
    }
    const resumeMs = performance.now() - resumeStarted;
    const final = await inspectCache(cache);
    const problems = [
      ...(killed.signal === 'SIGKILL' ? [] : ['the run finished before the kill']),
      ...atKill.problems.map((problem) => `after the kill: ${problem}`),
      ...(clean.committedLines > 1 ? [] : [`the clean run committed its 240 files in ${clean.committedLines} batch`]),
      ...(atKill.files > 0 && atKill.files < 240 ? [] : [`the kill after the second commit kept ${atKill.files} files`]),
      ...(summary.filesChanged === 240 - atKill.files ? [] : [`the resume re-analysed ${summary.filesChanged} files, ${240 - atKill.files} were not committed`]),
      ...final.problems.map((problem) => `after the resume: ${problem}`),
      ...(final.files === 240 ? [] : [`${final.files} files after the resume`]),
    ];
    recordFault({
      fault: 'sigkill-before-first-count-batch',
      description: 'A child process cold-indexing 240 generated files with batchFiles 512 (one count-sized batch would hold them all) is killed with SIGKILL right after its second commit; the restart indexes the same cache',
      trials: 1,
      survived: problems.length === 0 ? 1 : 0,
      lost: problems.length === 0 ? 'nothing' : problems.join('; '),
      details: { cleanIndexingMs: Math.round(clean.indexingMs), cleanFirstCommitMs: Math.round(clean.firstCommitMs), cleanCommits: clean.committedLines, killedAtMs: Math.round(killed.indexingMs), filesCommittedAtKill: atKill.files, resumeFilesChanged: summary.filesChanged, resumeMs: Math.round(resumeMs) },
    });
    assert.deepEqual(problems, []);
  });

  it('sizes batches to the commit interval from the measured rate, within the count limit', () => {
    let clock = 0;
    const pacer = new CommitPacer(512, 16, 2000, () => clock);
    assert.equal(pacer.nextBatchFiles(), 16, 'before the first commit: the smallest batch');
    clock = 1500; // start-up: not a rate
    pacer.committed(16);
    assert.equal(pacer.nextBatchFiles(), 32, 'no rate yet: double');
    clock = 2000;
    pacer.committed(32);
    assert.equal(pacer.nextBatchFiles(), 64, '32 files in 0.5 s would allow 128 in 2 s, but batches at most double');
    clock = 3000;
    pacer.committed(64);
    assert.equal(pacer.nextBatchFiles(), 128);
    clock = 13000;
    pacer.committed(128);
    assert.equal(pacer.nextBatchFiles(), 39, 'slower now: 224 files in 11.5 s since the first commit, so 2 s of work is 39 files');
  });
});

/** Runs a CLI command that indexes `root` (`index`, `watch`, or `search` on a new index); sends SIGINT once the cache holds a committed file. */
function runInterruptedCli(cache: string, root: string, command: 'index' | 'watch' | 'search' = 'index'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const target = command === 'search' ? ['search', 'parse tokens', '--dir', root] : [command, root];
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'codegraph.js'), ...target, '--cache', cache, '--model', TINY_MODEL, '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    let sent = false;
    const poll = setInterval(() => {
      if (sent || !existsSync(join(cache, 'index.sqlite'))) return;
      void WorkspaceStore.open(join(cache, 'index.sqlite'))
        .then(async (store) => {
          try {
            const files = (await store.db.get<{ n: number }>('SELECT count(*) AS n FROM files'))!.n;
            if (files > 0 && !sent) {
              sent = true;
              child.kill('SIGINT');
            }
          } finally {
            await store.close();
          }
        })
        .catch(() => undefined);
    }, 25);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr, stdout });
    });
  });
}

describe('SIGINT during `codegraph index`', () => {
  it('commits the batch in hand, says what it kept, exits 130, and the rerun indexes only the rest', async () => {
    const root = join(dir.path, 'workspace-large');
    generateWorkspace(root, 1500);
    const cache = join(dir.path, 'sigint');
    const run = await runInterruptedCli(cache, root);
    const atInterrupt = await inspectCache(cache);
    const kept = /Interrupted: kept (\d+) newly indexed files? \(\d+ chunks in the index\); (\d+) files? left/.exec(run.stderr);
    const rerun = runCli(['index', root, '--cache', cache, '--model', TINY_MODEL, '--workers', '1', '--json']);
    const rerunSummary = rerun.status === 0 ? (JSON.parse(rerun.stdout) as { filesChanged: number; filesUnchanged: number; interrupted: boolean }) : null;
    const final = await inspectCache(cache);
    const problems = [
      ...(run.code === 130 ? [] : [`exit ${run.code ?? run.signal}, not 130: ${run.stderr.slice(-400)}`]),
      ...(kept ? [] : [`no message saying what was kept: ${run.stderr.slice(-400)}`]),
      ...(kept && Number(kept[1]) === atInterrupt.files ? [] : [`the message says ${kept?.[1]} files were kept, the cache holds ${atInterrupt.files}`]),
      ...(kept && Number(kept[2]) === 1500 - atInterrupt.files ? [] : [`the message says ${kept?.[2]} files are left, ${1500 - atInterrupt.files} are`]),
      ...(atInterrupt.files > 0 && atInterrupt.files < 1500 ? [] : [`${atInterrupt.files} files committed at the interrupt`]),
      ...atInterrupt.problems.map((problem) => `after the interrupt: ${problem}`),
      ...(rerunSummary ? [] : [`the rerun failed: ${rerun.stderr.slice(-400)}`]),
      ...(rerunSummary && rerunSummary.filesChanged === 1500 - atInterrupt.files && rerunSummary.filesUnchanged === atInterrupt.files && !rerunSummary.interrupted
        ? []
        : [`the rerun re-analysed ${rerunSummary?.filesChanged} files, ${1500 - atInterrupt.files} were not committed`]),
      ...final.problems.map((problem) => `after the rerun: ${problem}`),
      ...(final.files === 1500 ? [] : [`${final.files} files after the rerun`]),
    ];
    recordFault({
      fault: 'hostile-sigint-during-index',
      description: '`codegraph index` on 1,500 generated files gets SIGINT as soon as its cache holds a committed file; then `codegraph index` runs again on the same cache',
      trials: 1,
      survived: problems.length === 0 ? 1 : 0,
      lost: problems.length === 0 ? 'nothing' : problems.join('; '),
      details: { exitCode: run.code, filesCommittedAtInterrupt: atInterrupt.files, rerunFilesChanged: rerunSummary?.filesChanged ?? null, message: kept?.[0] ?? null },
    });
    assert.deepEqual(problems, []);
  });

  for (const command of ['watch', 'search'] as const) {
    it(`stops \`${command}\` the same way while it indexes a new workspace`, async () => {
      const root = join(dir.path, 'workspace-large');
      if (!existsSync(root)) generateWorkspace(root, 1500);
      const cache = join(dir.path, `sigint-${command}`);
      const run = await runInterruptedCli(cache, root, command);
      const atInterrupt = await inspectCache(cache);
      assert.equal(run.code, 130, run.stderr.slice(-400));
      assert.match(run.stderr, /Interrupted: kept \d+ newly indexed files? \(\d+ chunks in the index\); \d+ files? left, which the next run indexes/);
      assert.deepEqual(atInterrupt.problems, []);
      assert.ok(atInterrupt.files > 0 && atInterrupt.files < 1500, `${atInterrupt.files} files committed`);
      assert.equal(run.stdout, '', 'no results and no watch banner after an interrupt');
    });
  }

  it('shows the cursor and turns line wrap back on, on a terminal only', () => {
    const written: string[] = [];
    restoreTerminal({ isTTY: true, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream);
    restoreTerminal({ isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream);
    assert.deepEqual(written, ['\x1b[?25h\x1b[?7h']);
  });
});
