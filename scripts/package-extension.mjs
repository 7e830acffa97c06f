// Builds the VS Code extension package (.vsix) for the current platform.
//
// 1. Bundles dist/ with esbuild (production).
// 2. Stages the package in a temporary folder: the manifest, the bundles, the
//    grammars, the default model (models/default.json names it; other models
//    and training records such as corpus-packages.tsv stay out), the API's
//    type declarations, the l10n bundles, and under dist/node_modules only the
//    modules that must stay real packages at run time (native binaries or
//    self-locating code), pruned to this platform's binaries.
// 3. Checks that those modules load from the staged folder, then runs vsce.
//
// Usage: node scripts/package-extension.mjs [--out <file.vsix>]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const platform = process.platform;
const arch = process.arch;
const target = `${platform}-${arch}`;
const outArgument = process.argv.indexOf('--out');
const outFile = outArgument > 0 ? process.argv[outArgument + 1] : join(root, `${manifest.name}-${target}-${manifest.version}.vsix`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    console.error(`package-extension: '${command} ${args.join(' ')}' failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

/**
 * Run-time packages and what of each is needed. Everything else the engine
 * uses (tokenizers, web-tree-sitter, lru-cache, picomatch, ...) is bundled.
 */
const onnxBinaries = `bin/napi-v6/${platform}/${arch}/`;
const RUNTIME_PACKAGES = {
  'onnxruntime-node': (path) => path === 'package.json' || path === 'LICENSE' || (path.startsWith('dist/') && path.endsWith('.js')) || path.startsWith(onnxBinaries),
  'onnxruntime-common': (path) => path === 'package.json' || path === 'LICENSE' || (path.startsWith('dist/cjs/') && path.endsWith('.js')),
  sqlite3: (path) => path === 'package.json' || path === 'LICENSE' || (path.startsWith('lib/') && path.endsWith('.js')) || path === 'build/Release/node_sqlite3.node',
  bindings: (path) => path === 'package.json' || path === 'bindings.js' || path === 'LICENSE.md',
  'file-uri-to-path': (path) => path === 'package.json' || path === 'index.js' || path === 'LICENSE',
  piscina: (path) => path === 'package.json' || path === 'LICENSE' || (path.startsWith('dist/') && (path.endsWith('.js') || path.endsWith('.mjs'))),
};

/** Files of a model folder that record how it was trained and are not loaded at run time. */
const TRAINING_RECORDS = new Set(['corpus-packages.tsv']);

function stagePackage(name, keep, stageModules) {
  // Packages' `exports` may hide package.json from require.resolve; npm's flat layout puts them here.
  const source = join(root, 'node_modules', name);
  if (!existsSync(join(source, 'package.json'))) {
    console.error(`package-extension: ${name} is not installed in node_modules; run npm ci first`);
    process.exit(1);
  }
  const destination = join(stageModules, name);
  cpSync(source, destination, {
    recursive: true,
    filter: (path) => {
      const inside = relative(source, path).split(sep).join('/');
      if (inside === '') return true;
      if (statSync(path).isDirectory()) return !inside.startsWith('node_modules');
      // Nested package.json files carry "type" for their folder; without them Node misreads the module format.
      return inside.endsWith('/package.json') || keep(inside);
    },
  });
  return destination;
}

// 1. Bundle.
run(process.execPath, [join(root, 'esbuild.config.mjs'), '--production']);

// 2. Stage.
const stage = mkdtempSync(join(tmpdir(), 'codegraph-vsix-'));
try {
  const copy = (path, to = path) => cpSync(join(root, path), join(stage, to), { recursive: true });
  // `files` is the npm tarball's list (the CLI package); the .vsix is chosen by .vscodeignore, and vsce refuses both at once.
  const { files: _npmFiles, ...extensionManifest } = manifest;
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(extensionManifest, null, 2)}\n`);
  copy('.vscodeignore');
  copy(join('extension', 'README.md'), 'README.md');
  copy(join('extension', 'media'), join('extension', 'media'));
  copy('dist');
  copy('grammars');
  // What a user runs: the default model. Other models are pulled or chosen by path; the corpus
  // list the model was trained from is a training record (see the model's README), not run-time data.
  const defaultModelId = JSON.parse(readFileSync(join(root, 'models', 'default.json'), 'utf8')).default;
  if (typeof defaultModelId !== 'string' || !existsSync(join(root, 'models', defaultModelId))) {
    console.error(`package-extension: models/default.json names ${JSON.stringify(defaultModelId)}, which is not a folder in models/`);
    process.exit(1);
  }
  copy(join('models', 'default.json'));
  cpSync(join(root, 'models', defaultModelId), join(stage, 'models', defaultModelId), { recursive: true, filter: (path) => !TRAINING_RECORDS.has(basename(path)) });
  copy(join('extension', 'api.d.ts'), join('dist', 'api.d.ts'));
  copy('package.nls.json');
  if (existsSync(join(root, 'l10n'))) copy('l10n');
  for (const license of ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'THIRD_PARTY_NOTICES.md']) if (existsSync(join(root, license))) copy(license);
  const stageModules = join(stage, 'dist', 'node_modules');
  mkdirSync(stageModules, { recursive: true });
  for (const [name, keep] of Object.entries(RUNTIME_PACKAGES)) stagePackage(name, keep, stageModules);
  if (!existsSync(join(stageModules, 'onnxruntime-node', onnxBinaries))) {
    console.error(`package-extension: onnxruntime-node has no binary for ${target} (${onnxBinaries})`);
    process.exit(1);
  }

  // 3. The staged natives must load from the staged folder alone, as they will in VS Code.
  const probe = `for (const name of ${JSON.stringify(Object.keys(RUNTIME_PACKAGES).filter((name) => !['bindings', 'file-uri-to-path', 'onnxruntime-common'].includes(name)))}) {
    const resolved = require.resolve(name, { paths: [${JSON.stringify(join(stage, 'dist'))}] });
    if (!resolved.startsWith(${JSON.stringify(stageModules)})) throw new Error(name + ' resolved outside the package: ' + resolved);
    require(resolved);
  }
  console.log('package-extension: run-time modules load from the staged package');`;
  run(process.execPath, ['-e', probe], { cwd: tmpdir() });

  // The bundled worker must parse with the packaged grammars and embed with the packaged model:
  // a bundling mistake shows up here in seconds rather than as an indexing error inside VS Code.
  const sample = join(root, 'test', 'fixtures', 'workspace', 'python', 'rate_limiter.py');
  const defaultModel = JSON.parse(readFileSync(join(stage, 'models', 'default.json'), 'utf8')).default;
  const workerProbe = `const { Piscina } = require(${JSON.stringify(join(stageModules, 'piscina'))});
  const pool = new Piscina({ filename: ${JSON.stringify(join(stage, 'dist', 'worker.js'))}, minThreads: 1, maxThreads: 1, workerData: {
    grammarsDir: ${JSON.stringify(join(stage, 'grammars'))}, modelDir: ${JSON.stringify(join(stage, 'models', defaultModel))},
    device: 'cpu', dimensions: 0, maxBatchSize: 8, maxFileBytes: 1048576 } });
  (async () => {
    const analyzed = await pool.run({ kind: 'analyze', files: [{ path: 'rate_limiter.py', absolutePath: ${JSON.stringify(sample)}, language: 'python', knownHash: null }], chunking: { maxChars: 2000, windowLines: 40, windowOverlap: 5 } });
    if (analyzed.kind !== 'analyze' || analyzed.files[0].status !== 'changed' || analyzed.files[0].method !== 'syntax') throw new Error('analyze: ' + JSON.stringify(analyzed).slice(0, 500));
    const embedded = await pool.run({ kind: 'embed', texts: ['token bucket'] });
    if (embedded.kind !== 'embed' || embedded.blobs.length !== 1) throw new Error('embed: ' + JSON.stringify(embedded).slice(0, 500));
    await pool.close();
    console.log('package-extension: bundled worker parsed ' + analyzed.files[0].chunks.length + ' chunks and embedded with ' + embedded.modelId);
  })().catch((error) => { console.error(error); process.exit(1); });`;
  run(process.execPath, ['-e', workerProbe], { cwd: tmpdir() });

  const vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  run(process.execPath, [vsce, 'package', '--no-dependencies', '--target', target, '--skip-license', '--allow-missing-repository', '--out', outFile], { cwd: stage });
} finally {
  rmSync(stage, { recursive: true, force: true });
}
const megabytes = (statSync(outFile).size / 1048576).toFixed(1);
console.log(`package-extension: ${relative(root, outFile) || outFile} (${megabytes} MB, ${target})`);
