import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordFault } from '../reliability/faultRecord.js';
import { copyFixtureWorkspace, REPO_ROOT, TINY_MODEL } from '../helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'codegraph.js');
const ESC = '\x1b';

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(workspace: { cache: string }, args: readonly string[]): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CODEGRAPH_CACHE_HOME: join(workspace.cache, 'default-home') } });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

function fileCount(workspace: { root: string; cache: string }, common: readonly string[]): number {
  const status = run(workspace, ['status', '--dir', workspace.root, ...common, '--json']);
  assert.equal(status.status, 0, status.stderr);
  return (JSON.parse(status.stdout) as { counts: { files: number } }).counts.files;
}

describe('command-line input the engine must not see', () => {
  const workspace = copyFixtureWorkspace();
  const common = ['--cache', workspace.cache, '--model', TINY_MODEL, '--workers', '1'];
  before(() => assert.equal(run(workspace, ['index', workspace.root, ...common]).status, 0));
  after(() => workspace.cleanup());

  it('does not crash when the command line is 30,000 characters long and the model loads', () => {
    // 4,000 short globs in one argument: each is valid, the whole argv is far past the 29,000 characters that crashed ONNX Runtime's telemetry.
    const globs = Array.from({ length: 4000 }, (_, index) => `gen${index}/`).join(',');
    assert.ok(globs.length > 29_000);
    const index = run(workspace, ['index', workspace.root, ...common, '--exclude', globs]);
    const search = run(workspace, ['search', 'token bucket', '--dir', workspace.root, ...common, '--path', globs, '--json']);
    const lexical = run(workspace, ['search', 'token bucket', '--dir', workspace.root, ...common, '--mode', 'lexical', '--path', globs, '--json']);
    const runs = [index, search, lexical];
    recordFault({
      fault: 'hostile-long-argv',
      description: 'index, search and lexical search with a 30,000-character argument while the model loads (ONNX Runtime 1.30 telemetry parsed /proc/self/cmdline with a recursive regex and overflowed the stack)',
      trials: runs.length,
      survived: runs.filter((result) => result.status === 0).length,
      lost: runs.every((result) => result.status === 0) ? 'nothing: telemetry is switched off before the first session, every run exits 0' : `exit ${runs.map((result) => result.status ?? result.signal).join(', ')}`,
    });
    for (const result of runs) {
      assert.equal(result.signal, null, result.stderr);
      assert.equal(result.status, 0, result.stderr);
    }
  });

  it('refuses an over-long query or glob with exit 2 and the limit, before indexing', () => {
    const longQuery = run(workspace, ['search', 'a'.repeat(30_000), '--dir', workspace.root, ...common]);
    const longGlob = run(workspace, ['search', 'token', '--dir', workspace.root, ...common, '--path', `src/${'x'.repeat(2000)}`]);
    const longExclude = run(workspace, ['index', workspace.root, ...common, '--exclude', 'y'.repeat(2000)]);
    const refusals = [
      { result: longQuery, message: /the query is 30000 characters long; the limit is 4096/ },
      { result: longGlob, message: /glob of 2004 characters is too long; the limit is 1024/ },
      { result: longExclude, message: /glob of 2000 characters is too long; the limit is 1024/ },
    ];
    recordFault({
      fault: 'refuse-long-argument',
      description: 'a 30,000-character query, a 2,004-character --path glob and a 2,000-character --exclude glob',
      trials: refusals.length,
      survived: refusals.filter(({ result, message }) => result.status === 2 && message.test(result.stderr)).length,
      lost: 'nothing: refused with exit 2 and the limit; the index is untouched',
    });
    for (const { result, message } of refusals) {
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, message);
    }
    assert.equal(fileCount(workspace, common), 14);
  });

  it('refuses an unknown --lang with exit 2 and the known ids on every command that takes it, and keeps the index', () => {
    const commands = [
      ['index', workspace.root, ...common, '--lang', 'pyhton'],
      ['search', 'token', '--dir', workspace.root, ...common, '--lang', 'python,pyhton'],
      ['similar', 'python/rate_limiter.py:24', '--dir', workspace.root, ...common, '--lang', 'pyhton'],
    ];
    const results = commands.map((args) => run(workspace, args));
    const files = fileCount(workspace, common);
    recordFault({
      fault: 'refuse-unknown-language',
      description: "a misspelled --lang ('pyhton') on index, search and similar",
      trials: results.length,
      survived: results.filter((result) => result.status === 2 && /unknown language 'pyhton'; known: python, javascript/.test(result.stderr)).length,
      lost: files === 14 ? 'nothing: usage error listing the known ids; all 14 files still indexed' : `${14 - files} of 14 files removed from the index`,
    });
    for (const result of results) {
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /unknown language 'pyhton'; known: python, javascript, typescript/);
    }
    assert.equal(files, 14);
  });

  it('index --lang updates only the selected languages and removes nothing it did not select', () => {
    writeFileSync(join(workspace.root, 'python', 'added.py'), 'def added_helper(value):\n    return value * 2\n');
    writeFileSync(join(workspace.root, 'go', 'added.go'), 'package router\n\nfunc AddedHelper() int { return 2 }\n');
    const result = run(workspace, ['index', workspace.root, ...common, '--lang', 'python', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { filesDeleted: number; filesChanged: number };
    assert.equal(summary.filesDeleted, 0);
    assert.equal(summary.filesChanged, 1, 'only the new Python file is indexed');
    assert.equal(fileCount(workspace, common), 15, 'all 14 files kept, the Go file not selected');
    const full = run(workspace, ['index', workspace.root, ...common, '--json']);
    assert.equal((JSON.parse(full.stdout) as { filesChanged: number }).filesChanged, 1, 'a plain run picks up the Go file');
    assert.equal(fileCount(workspace, common), 16);
  });

  it('counts in the summary the files it stored, not files discovered then skipped when read', () => {
    writeFileSync(join(workspace.root, 'python', 'blob.py'), Buffer.from('x = 1\n\x00\x01\x02'));
    const result = run(workspace, ['index', workspace.root, ...common]);
    assert.equal(result.status, 0, result.stderr);
    const stored = fileCount(workspace, common);
    assert.match(result.stdout, new RegExp(`^Indexed ${stored} files `));
    assert.match(result.stdout, /Skipped 1: binary 1/);
  });
});

describe('repository text cannot drive the terminal', () => {
  const workspace = copyFixtureWorkspace();
  const common = ['--cache', workspace.cache, '--model', TINY_MODEL, '--workers', '1'];
  // OSC 52 writes the clipboard, ESC[2J clears the screen, OSC 0 sets the window title, CSI as one C1 byte.
  const clipboard = `${ESC}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07`;
  const hostileName = `clip${ESC}[2Jboard${clipboard}.py`;
  after(() => workspace.cleanup());

  it('shows control characters in names, code and messages as visible text, while --json stays exact', () => {
    mkdirSync(join(workspace.root, 'evil'));
    writeFileSync(join(workspace.root, 'evil', hostileName), `def paste_clipboard_payload():\n    banner = "${clipboard}${ESC}]0;pwned\x07\u009b2J"\n    return banner\n`);
    writeFileSync(join(workspace.root, 'evil', `binary${ESC}[1A.py`), Buffer.from([0x00, 0x01, 0x02]));
    const index = run(workspace, ['index', workspace.root, ...common, '--list-skipped']);
    const search = run(workspace, ['search', 'paste', 'clipboard', 'payload', '--dir', workspace.root, ...common, '--mode', 'lexical']);
    const similar = run(workspace, ['similar', `evil/${hostileName}:1`, '--dir', workspace.root, ...common]);
    const missing = run(workspace, ['index', join(workspace.root, `missing${ESC}]0;title\x07`), ...common]);
    const json = run(workspace, ['search', 'paste', 'clipboard', 'payload', '--dir', workspace.root, ...common, '--mode', 'lexical', '--json']);
    const human = [index.stdout, index.stderr, search.stdout, search.stderr, similar.stdout, similar.stderr, missing.stderr];
    const leaked = human.filter((output) => /[\x1b\x07\u009b]/.test(output)).length;
    recordFault({
      fault: 'hostile-terminal-escapes',
      description: 'a file named and filled with OSC 52 (clipboard), ESC[2J, OSC 0 (title), BEL and C1 CSI, shown by index --list-skipped, search, similar and an error message',
      trials: human.length,
      survived: human.length - leaked,
      lost: leaked === 0 ? 'nothing: shown as ␛ ␇ \\x9b, never sent to the terminal; --json exact' : `${leaked} outputs carried raw control characters`,
    });
    assert.equal(search.status, 0, search.stderr);
    assert.equal(similar.status, 0, similar.stderr);
    assert.equal(missing.status, 3);
    assert.equal(leaked, 0);
    assert.ok(search.stdout.includes('evil/clip␛[2Jboard␛]52;c;Y3VybCBldmlsLnNoIHwgc2g=␇.py'), search.stdout);
    assert.ok(search.stdout.includes('␛]0;pwned␇\\x9b2J'), search.stdout);
    assert.ok(index.stdout.includes('skipped binary: evil/binary␛[1A.py'), index.stdout);
    assert.ok(missing.stderr.includes('missing␛]0;title␇'), missing.stderr);
    const hits = JSON.parse(json.stdout) as { path: string }[];
    assert.equal(hits[0]!.path, `evil/${hostileName}`);
  });
});
