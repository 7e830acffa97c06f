import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeSourceText, readSourceFile, type SourceFileSystem } from '../../engine/discovery/content.js';
import { isIgnoreFilePath } from '../../engine/discovery/rules.js';
import { DEFAULT_DISCOVERY } from '../../engine/discovery/types.js';
import { countSkipped, discoverFiles, printableName } from '../../engine/discovery/walk.js';
import { tempDir } from '../helpers.js';

describe('discovery', () => {
  const dir = tempDir();
  const root = dir.path;
  const write = (path: string, content: string | Buffer = 'x = 1\n') => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };

  before(() => {
    write('src/main.py');
    write('src/util.ts', 'export const a = 1;\n');
    write('src/generated/api.ts', 'export const b = 2;\n');
    write('src/generated/keep.ts', 'export const c = 3;\n');
    write('src/.gitignore', 'generated/\n!generated/keep.ts\n');
    write('.gitignore', '*.log\nbuild-output/\n');
    write('debug.log', 'log\n');
    write('build-output/x.js', 'var x;\n');
    write('node_modules/dep/index.js', 'module.exports = 1;\n');
    write('.codegraphignore', 'vendor/\n');
    write('vendor/lib.go', 'package lib\n');
    write('package-lock.json', '{}\n');
    write('app.min.js', 'var a=1;\n');
    write('.env', 'TOKEN=secret\n');
    write('certs/server.pem', '-----BEGIN-----\n');
    write('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    write('big.py', `x = "${'a'.repeat(3000)}"\n`);
    write('notes.xyz', 'unknown type\n');
    symlinkSync(join(root, 'src'), join(root, 'src-link'));
  });
  after(() => dir.cleanup());

  it('honours nested .gitignore files, including re-inclusion', async () => {
    const { files } = await discoverFiles(root, DEFAULT_DISCOVERY);
    const paths = files.map((file) => file.path);
    assert.ok(paths.includes('src/main.py'));
    assert.ok(paths.includes('src/util.ts'));
    assert.ok(!paths.includes('src/generated/api.ts'));
    assert.ok(!paths.includes('debug.log'));
    assert.ok(!paths.includes('build-output/x.js'));
  });

  it('skips defaults, secrets, generated files, binaries and .codegraphignore matches with reasons', async () => {
    const { files, skipped } = await discoverFiles(root, { ...DEFAULT_DISCOVERY, maxFileBytes: 1000 });
    const reasonOf = (path: string) => skipped.find((entry) => entry.path === path)?.reason;
    assert.equal(reasonOf('node_modules'), 'excluded-directory');
    assert.equal(reasonOf('vendor'), 'codegraphignore');
    assert.equal(reasonOf('package-lock.json'), 'generated');
    assert.equal(reasonOf('app.min.js'), 'generated');
    assert.equal(reasonOf('.env'), 'secret');
    assert.equal(reasonOf('certs/server.pem'), 'secret');
    assert.equal(reasonOf('image.png'), 'binary-extension');
    assert.equal(reasonOf('big.py'), 'too-large');
    assert.equal(reasonOf('notes.xyz'), 'unsupported-type');
    // A link inside the workspace is followed, and found to be src/ again: indexed once, under its own path.
    assert.equal(reasonOf('src-link'), 'symlink-duplicate');
    assert.ok(!files.some((file) => file.path.startsWith('src-link')));
    const counts = countSkipped(skipped);
    assert.equal(counts['secret'], 2);
  });

  it('reports every symlink as such when following is turned off', async () => {
    const { files, skipped } = await discoverFiles(root, { ...DEFAULT_DISCOVERY, followSymlinks: false });
    assert.equal(skipped.find((entry) => entry.path === 'src-link')?.reason, 'symlink');
    assert.ok(files.some((file) => file.path === 'src/main.py'));
  });

  it('follows links into an outside root only when it is named, once per real directory, and detects loops there', async () => {
    const outside = tempDir('codegraph-outside-');
    try {
      mkdirSync(join(outside.path, 'lib', 'deep'), { recursive: true });
      writeFileSync(join(outside.path, 'lib', 'helper.py'), 'def helper():\n    return 1\n');
      writeFileSync(join(outside.path, 'lib', '.env'), 'TOKEN=1\n');
      symlinkSync('..', join(outside.path, 'lib', 'deep', 'up'));
      const workspace = join(outside.path, 'workspace');
      mkdirSync(workspace);
      symlinkSync(join(outside.path, 'lib'), join(workspace, 'a-lib'));
      symlinkSync(join(outside.path, 'lib'), join(workspace, 'b-lib'));
      symlinkSync(join(outside.path, 'lib', 'helper.py'), join(workspace, 'helper-link.py'));
      const closed = await discoverFiles(workspace, DEFAULT_DISCOVERY);
      assert.deepEqual(closed.files, []);
      assert.deepEqual(closed.skipped.map((entry) => entry.reason), ['symlink-outside-root', 'symlink-outside-root', 'symlink-outside-root']);
      const open = await discoverFiles(workspace, { ...DEFAULT_DISCOVERY, allowedSymlinkRoots: [outside.path] });
      assert.deepEqual(open.files.map((file) => file.path), ['a-lib/helper.py']);
      const reasons = Object.fromEntries(open.skipped.map((entry) => [entry.path, entry.reason]));
      assert.deepEqual(reasons, { 'a-lib/.env': 'secret', 'a-lib/deep/up': 'symlink-loop', 'b-lib': 'symlink-duplicate', 'helper-link.py': 'symlink-duplicate' });
    } finally {
      outside.cleanup();
    }
  });

  it('shows the bytes of a name that is not valid UTF-8 as escapes, keeping valid characters', () => {
    assert.equal(printableName(Buffer.from('ünï.py')), 'ünï.py');
    assert.equal(printableName(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x79])), 'caf\\xE9.py');
    assert.equal(printableName(Buffer.concat([Buffer.from('é'), Buffer.from([0xe2, 0x82])])), 'é\\xE2\\x82');
  });

  it('recognises ignore files at any depth, and only them', () => {
    assert.deepEqual(['.gitignore', 'pkg/deep/.codegraphignore', 'x.gitignore', '.gitignore.bak', 'src/gitignore'].map(isIgnoreFilePath), [true, true, false, false, false]);
  });

  it('applies exclude globs and the language filter', async () => {
    const { files, skipped } = await discoverFiles(root, { ...DEFAULT_DISCOVERY, excludeGlobs: ['*.ts'], languages: ['python'] });
    assert.ok(files.every((file) => file.language === 'python'));
    assert.equal(skipped.find((entry) => entry.path === 'src/util.ts')?.reason, 'exclude-glob');
  });

  it('reports binary content and invalid UTF-8', () => {
    assert.deepEqual(decodeSourceText(Buffer.from('ok\n')), { ok: true, text: 'ok\n' });
    const binary = decodeSourceText(Buffer.from([0x61, 0x00, 0x62]));
    assert.equal(binary.ok, false);
    assert.equal(!binary.ok && binary.reason, 'binary');
    const invalid = decodeSourceText(Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    assert.equal(!invalid.ok && invalid.reason, 'invalid-utf8');
  });

  it('reads only a prefix of a binary file, all of a text file, and nothing of a file past the size limit', () => {
    let bytesRead = 0;
    const counting: SourceFileSystem = {
      openSync: (path, flags) => openSync(path, flags),
      fstatSync: (descriptor) => fstatSync(descriptor),
      readSync: (descriptor, buffer, offset, length, position) => {
        const read = readSync(descriptor, buffer, offset, length, position);
        bytesRead += read;
        return read;
      },
      closeSync: (descriptor) => closeSync(descriptor),
    };
    // A 64 MiB hole: no disk blocks, all NUL bytes when read.
    write('sparse.py', '');
    truncateSync(join(root, 'sparse.py'), 64 * 1024 * 1024);
    const sparse = readSourceFile(join(root, 'sparse.py'), 128 * 1024 * 1024, counting);
    assert.deepEqual(sparse, { ok: false, reason: 'binary', detail: 'NUL byte at offset 0' });
    assert.equal(bytesRead, 8192);
    bytesRead = 0;
    assert.deepEqual(readSourceFile(join(root, 'sparse.py'), 1024 * 1024, counting), { ok: false, reason: 'too-large', detail: `${64 * 1024 * 1024} bytes` });
    assert.equal(bytesRead, 0);
    // Shorter than, exactly and longer than the 8 KiB prefix, and empty.
    for (const length of [20_000, 8192, 8191, 0]) {
      bytesRead = 0;
      const text = length === 0 ? '' : `x = "${'a'.repeat(length - 7)}"\n`;
      write('long.py', text);
      const read = readSourceFile(join(root, 'long.py'), 1024 * 1024, counting);
      assert.equal(read.ok && read.bytes.toString('utf8'), text, `${length} bytes`);
      assert.equal(read.ok && read.mtimeMs, statSync(join(root, 'long.py')).mtimeMs);
      assert.equal(bytesRead, text.length);
    }
    const short = readSourceFile(join(root, 'src/main.py'), 1024 * 1024);
    assert.equal(short.ok && short.bytes.toString('utf8'), 'x = 1\n');
    assert.throws(() => readSourceFile(join(root, 'deleted.py'), 1024 * 1024), { code: 'ENOENT' });
  });
});
