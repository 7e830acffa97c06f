/**
 * Discovery breaks from issue #11: symlinks that escape the workspace or the
 * secret filter (break 3), file names that are not valid UTF-8, and a huge
 * sparse file read whole before the binary check. Each outcome is recorded
 * for docs/reliability.md.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeGraph } from '../../engine/codegraph.js';
import type { EngineConfigInput } from '../../engine/config/config.js';
import type { IndexSummary } from '../../engine/indexer/indexer.js';
import { tempDir } from '../helpers.js';
import { runCli } from './engineProbe.js';
import { recordFault } from './faultRecord.js';

const SECRET_TOKEN = 'sk_live_4f9a8b7c6d5e';
const PRIVATE_KEY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';

async function indexOnce(input: EngineConfigInput, paths?: string[]): Promise<{ summary: IndexSummary; stored: string[]; hits: string[]; eventRun: IndexSummary | null }> {
  const graph = await CodeGraph.open({ modelDir: null, workers: 1, ...input });
  try {
    const summary = await graph.index();
    // The watcher's path: only the named paths are checked, as after a file event.
    const eventRun = paths ? await graph.index({ paths }) : null;
    const stored = [...(await graph.store.files()).keys()].sort();
    const hits = [];
    // Hits that print the secret, or code from outside the workspace.
    for (const query of [SECRET_TOKEN, PRIVATE_KEY, 'outside_helper']) {
      for (const hit of await graph.search(query, { mode: 'lexical', limit: 5 })) if (hit.text.includes(query)) hits.push(`${hit.path}: ${query}`);
    }
    return { summary, stored, hits, eventRun };
  } finally {
    await graph.dispose();
  }
}

const reasonOf = (summary: IndexSummary, path: string) => summary.skipped.find((entry) => entry.path === path);

describe('symbolic links and the workspace boundary', { timeout: 120_000 }, () => {
  const dir = tempDir('codegraph-links-');
  const root = join(dir.path, 'workspace');
  const outside = join(dir.path, 'outside');
  const write = (path: string, content: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  };

  before(() => {
    write(join(root, '.env'), `API_KEY=${SECRET_TOKEN}\n`);
    write(join(root, 'server.pem'), `-----BEGIN PRIVATE KEY-----\n${PRIVATE_KEY}\n-----END PRIVATE KEY-----\n`);
    write(join(root, 'src', 'main.py'), 'def main():\n    return 0\n');
    write(join(root, '.gitignore'), 'private/\n');
    write(join(root, 'private', 'data.py'), `PRIVATE = "${SECRET_TOKEN}"\n`);
    // Names that look harmless, targets that are secrets or ignored.
    mkdirSync(join(root, 'app'));
    symlinkSync('../.env', join(root, 'app', 'settings.py'));
    symlinkSync('../server.pem', join(root, 'app', 'key.txt'));
    symlinkSync('../private/data.py', join(root, 'app', 'data.py'));
    // An alias inside the workspace, and links that lead out of it.
    symlinkSync('src', join(root, 'src-alias'));
    write(join(outside, 'lib', 'helper.py'), 'def outside_helper():\n    return 1\n');
    write(join(outside, 'lib', 'id_rsa'), `${PRIVATE_KEY}\n`);
    symlinkSync(join(outside, 'lib'), join(root, 'vendored'));
    symlinkSync('/etc', join(root, 'etc'));
    // Sources kept where the built-in exclusions never look (a git-annex store, a build tree), linked into the tree.
    write(join(root, '.git', 'annex', 'objects', 'ab', 'notes.py'), 'def annexed_notes():\n    return "annexed"\n');
    symlinkSync('.git/annex/objects/ab/notes.py', join(root, 'notes.py'));
    write(join(root, 'build', 'gen', 'api.py'), 'def generated_api():\n    return "generated"\n');
    write(join(root, 'build', 'gen', '.env'), `API_KEY=${SECRET_TOKEN}\n`);
    symlinkSync('../build/gen', join(root, 'src', 'gen'));
  });
  after(() => dir.cleanup());

  const eventPaths = ['app/settings.py', 'app/key.txt', 'app/data.py', 'vendored', 'vendored/helper.py', 'etc', 'src-alias/main.py'];

  it('applies the secret and ignore rules to a link target, and never leaves the workspace unless allowed', async () => {
    const trials: { name: string; ok: boolean; detail: string }[] = [];
    for (const followSymlinks of [true, undefined]) {
      const label = followSymlinks ? '--follow-symlinks' : 'default';
      const run = await indexOnce({ root, cacheDir: join(dir.path, `cache-${label}`), discovery: followSymlinks ? { followSymlinks } : {} }, eventPaths);
      const leaked = run.stored.filter((path) => path.startsWith('app/') || path.startsWith('vendored/') || path.startsWith('etc/') || path.startsWith('src-alias/'));
      trials.push({ name: `${label}: no secret, ignored, outside or duplicate file indexed`, ok: leaked.length === 0 && run.hits.length === 0, detail: `stored ${leaked.join(', ') || 'none'}; hits ${run.hits.join(', ') || 'none'}` });
      const reasons = Object.fromEntries(['app/settings.py', 'app/key.txt', 'app/data.py', 'vendored', 'etc', 'src-alias'].map((path) => [path, reasonOf(run.summary, path)?.reason]));
      const expected = { 'app/settings.py': 'secret', 'app/key.txt': 'secret', 'app/data.py': 'gitignore', vendored: 'symlink-outside-root', etc: 'symlink-outside-root', 'src-alias': 'symlink-duplicate' };
      trials.push({ name: `${label}: each link reported with the target's reason`, ok: JSON.stringify(reasons) === JSON.stringify(expected), detail: JSON.stringify(reasons) });
      const eventStored = run.eventRun!.filesChanged;
      trials.push({ name: `${label}: file events on the links index nothing`, ok: eventStored === 0, detail: `${eventStored} changed` });
      assert.deepEqual(leaked, [], label);
      assert.deepEqual(run.hits, [], label);
      assert.deepEqual(reasons, expected, label);
      assert.match(reasonOf(run.summary, 'app/settings.py')?.detail ?? '', /\.env/);
      assert.match(reasonOf(run.summary, 'vendored')?.detail ?? '', /outside the workspace/);
      assert.equal(eventStored, 0, label);
      assert.ok(run.stored.includes('src/main.py'));
    }

    // Naming the outside root explicitly lets its links in, still under the secret rules.
    const allowed = await indexOnce({ root, cacheDir: join(dir.path, 'cache-allowed'), discovery: { allowedSymlinkRoots: [outside] } }, ['vendored/helper.py', 'vendored/id_rsa']);
    const allowedOk = allowed.stored.includes('vendored/helper.py') && !allowed.stored.some((path) => path.includes('id_rsa') || path.startsWith('etc/'));
    trials.push({ name: 'allowed outside root: followed, secrets still refused, /etc still not', ok: allowedOk, detail: allowed.stored.join(', ') });
    recordFault({
      fault: 'refuse-symlink-escape',
      description: 'Links named app/settings.py → .env, app/key.txt → server.pem and app/data.py → a gitignored file; a link to a directory outside the workspace and one to /etc; an alias of src; with and without --follow-symlinks, full walks and file events',
      trials: trials.length,
      survived: trials.filter((trial) => trial.ok).length,
      lost: trials.every((trial) => trial.ok) ? 'nothing (each link skipped with its target\'s reason; outside roots only when named)' : trials.filter((trial) => !trial.ok).map((trial) => `${trial.name}: ${trial.detail}`).join('; '),
      details: Object.fromEntries(trials.map((trial) => [trial.name, trial.detail])),
    });
    assert.ok(allowed.stored.includes('vendored/helper.py'), allowed.stored.join(', '));
    assert.equal(reasonOf(allowed.summary, 'vendored/id_rsa')?.reason, 'secret');
    assert.equal(reasonOf(allowed.summary, 'etc')?.reason, 'symlink-outside-root');
    assert.equal(allowed.eventRun!.filesChanged, 0, 'the event paths are already indexed, and the secret stays out');
    assert.ok(!allowed.stored.some((path) => path.includes('id_rsa')));
  });

  it('indexes sources linked in from where the built-in exclusions never look, under the link name, by default', async () => {
    const run = await indexOnce({ root, cacheDir: join(dir.path, 'cache-hidden-sources') }, ['notes.py', 'src/gen/api.py', 'src/gen/.env']);
    const found = ['notes.py', 'src/gen/api.py'].filter((path) => run.stored.includes(path));
    const ok = found.length === 2 && reasonOf(run.summary, 'src/gen/.env')?.reason === 'secret' && run.hits.length === 0;
    recordFault({
      fault: 'hostile-symlinked-sources',
      description: 'Sources reachable only through links: a file link into a .git/annex store and a directory link into build/ (which also holds a .env), with default options',
      trials: 2,
      survived: ok ? 2 : found.length,
      lost: ok ? 'nothing (both indexed under the link names, once; the .env refused)' : `stored ${run.stored.join(', ')}; .env ${reasonOf(run.summary, 'src/gen/.env')?.reason}`,
      details: { stored: run.stored },
    });
    assert.ok(run.stored.includes('notes.py') && run.stored.includes('src/gen/api.py'), run.stored.join(', '));
    assert.ok(!run.stored.some((path) => path.startsWith('.git/') || path.startsWith('build/')));
    assert.equal(reasonOf(run.summary, 'src/gen/.env')?.reason, 'secret');
    assert.equal(run.eventRun!.filesChanged, 0, 'file events through the links find them already indexed');
    assert.deepEqual(run.hits, []);
  });

  it('takes the outside roots and the off switch from the CLI', () => {
    const run = (...flags: string[]) => {
      const result = runCli(['index', root, '--cache', join(dir.path, `cli-cache${flags.join('')}`), '--model', 'none', '--workers', '1', '--json', '--list-skipped', ...flags]);
      assert.equal(result.status, 0, result.stderr);
      return new Map((JSON.parse(result.stdout) as { skipped: { path: string; reason: string }[] }).skipped.map((entry) => [entry.path, entry.reason]));
    };
    const outsideAllowed = run('--follow-symlinks-outside', outside);
    assert.equal(outsideAllowed.get('vendored'), undefined, 'vendored/ is followed');
    assert.equal(outsideAllowed.get('vendored/id_rsa'), 'secret');
    assert.equal(outsideAllowed.get('etc'), 'symlink-outside-root');
    const off = run('--no-follow-symlinks');
    assert.deepEqual(['app/settings.py', 'vendored', 'etc', 'src-alias', 'notes.py', 'src/gen'].map((path) => off.get(path)), ['symlink', 'symlink', 'symlink', 'symlink', 'symlink', 'symlink']);
  });
});

describe('file names that are not valid UTF-8', { timeout: 60_000 }, () => {
  const dir = tempDir('codegraph-names-');
  const root = join(dir.path, 'workspace');
  const bytesPath = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
  after(() => dir.cleanup());

  it('skips each such file or directory once, saying its name is not valid UTF-8, and indexes the rest', async () => {
    mkdirSync(join(root, 'src'), { recursive: true });
    writeFileSync(join(root, 'src', 'ok.py'), 'def fine():\n    return 1\n');
    // Two names that decode to the same lossy string ('\uFFFD\uFFFD.py'), and a Latin-1 directory with files in it.
    writeFileSync(bytesPath(root, '/src/', [0xff, 0xfe], '.py'), 'def latin():\n    return 2\n');
    writeFileSync(bytesPath(root, '/src/', [0xfe, 0xff], '.py'), 'def other():\n    return 3\n');
    mkdirSync(bytesPath(root, '/caf', [0xe9]));
    writeFileSync(bytesPath(root, '/caf', [0xe9], '/a.py'), 'def a():\n    return 4\n');
    writeFileSync(bytesPath(root, '/caf', [0xe9], '/b.py'), 'def b():\n    return 5\n');
    const graph = await CodeGraph.open({ root, cacheDir: join(dir.path, 'cache'), modelDir: null, workers: 1 });
    try {
      const summary = await graph.index();
      const named = summary.skipped.filter((entry) => entry.reason !== 'unsupported-type');
      const expected = ['caf\\xE9', 'src/\\xFE\\xFF.py', 'src/\\xFF\\xFE.py'];
      const ok = JSON.stringify(named.map((entry) => [entry.path, entry.reason]).sort()) === JSON.stringify(expected.map((path) => [path, 'unsupported-file-name']));
      recordFault({
        fault: 'hostile-non-utf8-names',
        description: 'Two file names with invalid UTF-8 bytes that decode to the same lossy string, and a Latin-1 directory name holding two files',
        trials: 3,
        survived: ok ? 3 : named.filter((entry) => entry.reason === 'unsupported-file-name').length,
        lost: ok ? 'nothing (each skipped once as unsupported-file-name; the rest indexed)' : `reported as ${JSON.stringify(named)}`,
        details: { skipped: named },
      });
      assert.deepEqual(named.map((entry) => [entry.path, entry.reason]).sort(), expected.map((path) => [path, 'unsupported-file-name']));
      assert.ok(named.every((entry) => /not valid UTF-8/.test(entry.detail ?? '')));
      assert.deepEqual([...(await graph.store.files()).keys()], ['src/ok.py']);
      assert.equal(summary.filesChanged, 1);
    } finally {
      await graph.dispose();
    }
  });
});

describe('a huge sparse file under a raised size limit', { timeout: 120_000 }, () => {
  const dir = tempDir('codegraph-sparse-');
  const root = join(dir.path, 'workspace');
  after(() => dir.cleanup());
  const SPARSE_BYTES = 512 * 1024 * 1024;

  it('is refused as binary after reading a prefix, not read whole', () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'ok.py'), 'def fine():\n    return 1\n');
    // A hole: no disk blocks, reads back as NUL bytes.
    writeFileSync(join(root, 'huge.py'), '');
    truncateSync(join(root, 'huge.py'), SPARSE_BYTES);
    // The probe reports its peak RSS, which includes the worker thread that reads the file.
    const probe = spawnSync(process.execPath, [join(__dirname, 'sparseProbe.js'), root, join(dir.path, 'cache'), String(SPARSE_BYTES * 2)], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(probe.status, 0, probe.stderr);
    const result = JSON.parse(probe.stdout) as { peakMb: number; baselineMb: number; huge: { reason: string; detail?: string } | null; stored: string[] };
    const fileMb = SPARSE_BYTES / 1024 / 1024;
    // Far below the file: a whole read alone would add 512 MiB.
    const ok = result.huge?.reason === 'binary' && result.peakMb < fileMb / 2;
    recordFault({
      fault: 'hostile-sparse-huge-file',
      description: `A ${fileMb} MiB sparse .py file (all NUL bytes) with --max-file-size raised above it`,
      trials: 1,
      survived: ok ? 1 : 0,
      lost: ok ? 'nothing (refused as binary from its first 8 KiB)' : `reason ${result.huge?.reason}, peak RSS ${Math.round(result.peakMb)} MB`,
      details: { peakRssMb: Math.round(result.peakMb), baselineRssMb: Math.round(result.baselineMb), skip: result.huge },
    });
    assert.equal(result.huge?.reason, 'binary');
    assert.ok(result.peakMb < fileMb / 2, `peak RSS ${Math.round(result.peakMb)} MB for a ${fileMb} MiB file`);
    assert.deepEqual(result.stored, ['ok.py']);
  });
});
