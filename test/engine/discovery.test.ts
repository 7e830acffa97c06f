import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeSourceText } from '../../engine/discovery/content.js';
import { DEFAULT_DISCOVERY } from '../../engine/discovery/types.js';
import { countSkipped, discoverFiles } from '../../engine/discovery/walk.js';
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
    assert.equal(reasonOf('src-link'), 'symlink');
    assert.ok(!files.some((file) => file.path.startsWith('src-link')));
    const counts = countSkipped(skipped);
    assert.equal(counts['secret'], 2);
  });

  it('follows symlinks only when asked', async () => {
    const { files } = await discoverFiles(root, { ...DEFAULT_DISCOVERY, followSymlinks: true });
    assert.ok(files.some((file) => file.path === 'src-link/main.py'));
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
});
