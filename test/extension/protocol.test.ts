import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OutsideWorkspaceError } from '../../extension/core/errors.js';
import { checkRelativePath, resolveInsideFolder } from '../../extension/core/openRequest.js';
import { LIMITS, parseWebviewMessage, ProtocolError } from '../../extension/shared/protocol.js';
import { tempDir } from '../helpers.js';

describe('webview message validation', () => {
  it('accepts well-formed messages and drops unknown fields', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready', extra: 1 }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'search', requestId: 3, query: 'retry with backoff', filters: { languages: ['python'], paths: [' src/** ', ''] } }), {
      type: 'search',
      requestId: 3,
      query: 'retry with backoff',
      filters: { languages: ['python'], paths: ['src/**'] },
    });
    assert.deepEqual(parseWebviewMessage({ type: 'open', folder: 'file:///w', path: 'a/b.py', startLine: 2, endLine: 9, preview: true }), {
      type: 'open',
      folder: 'file:///w',
      path: 'a/b.py',
      startLine: 2,
      endLine: 9,
      preview: true,
    });
  });

  it('rejects malformed messages with the offending field', () => {
    const rejects = (value: unknown, pattern: RegExp) => assert.throws(() => parseWebviewMessage(value), (error: unknown) => error instanceof ProtocolError && pattern.test(error.message));
    rejects(null, /message must be an object/);
    rejects([], /message must be an object/);
    rejects({ type: 'exec', command: 'rm -rf /' }, /unknown message type "exec"/);
    rejects({ type: 'search', requestId: -1, query: 'x' }, /requestId/);
    rejects({ type: 'search', requestId: 1.5, query: 'x' }, /requestId/);
    rejects({ type: 'search', requestId: 1, query: 7 }, /query must be a string/);
    rejects({ type: 'search', requestId: 1, query: 'x'.repeat(LIMITS.queryLength + 1) }, /query must be 0 to 1000/);
    rejects({ type: 'search', requestId: 1, query: 'x', filters: { languages: ['<script>'] } }, /not a language id/);
    rejects({ type: 'search', requestId: 1, query: 'x', filters: { paths: Array(40).fill('a') } }, /at most 32 items/);
    rejects({ type: 'open', folder: 'f', path: 'a', startLine: 0, endLine: 1 }, /startLine/);
    rejects({ type: 'open', folder: 'f', path: 'a', startLine: 5, endLine: 4 }, /endLine must be an integer from 5/);
    rejects({ type: 'open', folder: 'f', path: 'a\0b', startLine: 1, endLine: 1 }, /NUL/);
    rejects({ type: 'open', folder: '', path: 'a', startLine: 1, endLine: 1 }, /folder must be 1 to/);
  });
});

describe('opening a path from outside the host', () => {
  const dir = tempDir('codegraph-open-');
  const root = join(dir.path, 'workspace');
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'src', 'a.py'), 'print(1)\n');
  writeFileSync(join(dir.path, 'secret.txt'), 'outside\n');
  symlinkSync(join(dir.path, 'secret.txt'), join(root, 'src', 'escape.txt'));
  symlinkSync(join(root, 'src', 'a.py'), join(root, 'inside-link.py'));
  after(() => dir.cleanup());

  it('normalises harmless segments', () => {
    assert.equal(checkRelativePath('./src//a.py'), 'src/a.py');
  });

  it('refuses traversal, absolute paths, backslashes and NUL before touching the disk', () => {
    for (const path of ['../secret.txt', 'src/../../secret.txt', '/etc/passwd', 'C:/Windows/win.ini', 'src\\..\\..\\x', '', 'a\0b']) {
      assert.throws(() => checkRelativePath(path), OutsideWorkspaceError, JSON.stringify(path));
    }
  });

  it('resolves files inside the folder, including links that stay inside', async () => {
    assert.equal(await resolveInsideFolder(root, 'src/a.py'), join(root, 'src', 'a.py'));
    assert.equal(await resolveInsideFolder(root, 'inside-link.py'), join(root, 'inside-link.py'));
  });

  it('refuses symlinks that lead outside, and missing files', async () => {
    await assert.rejects(resolveInsideFolder(root, 'src/escape.txt'), /links outside the folder/);
    await assert.rejects(resolveInsideFolder(root, 'src/missing.py'), /does not exist/);
    await assert.rejects(resolveInsideFolder(root, '../secret.txt'), OutsideWorkspaceError);
  });
});
