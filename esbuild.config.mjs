// Bundles the VS Code extension: the host (dist/extension.js), the engine's
// worker-thread entry (dist/worker.js) and the search panel (dist/webview/).
// Native and self-locating modules stay external and ship as real packages
// (see scripts/package-extension.mjs): onnxruntime-node and sqlite3 load
// binaries relative to themselves; piscina starts workers from its own files.
//
// Usage: node esbuild.config.mjs [--production] [--watch]
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(root, 'package.json'));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const dist = join(root, 'dist');

/** Modules that must be `require`d from node_modules at run time. */
const RUNTIME_EXTERNALS = ['vscode', 'onnxruntime-node', 'sqlite3', 'piscina'];

/**
 * Dual packages whose ESM build reads `import.meta.url` (which a CommonJS
 * bundle does not have): esbuild picks the `import` condition for `import`
 * statements, so send these to their CommonJS builds explicitly.
 */
const PREFER_COMMONJS = ['web-tree-sitter', '@huggingface/tokenizers'];
const preferCommonJs = {
  name: 'prefer-commonjs',
  setup(build) {
    const filter = new RegExp(`^(${PREFER_COMMONJS.map((name) => name.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: require.resolve(args.path) }));
  },
};

const node = {
  plugins: [preferCommonJs],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: RUNTIME_EXTERNALS,
  // Node's "require" condition picks the CommonJS builds of dual packages (tokenizers, web-tree-sitter).
  conditions: ['require', 'node'],
  mainFields: ['main', 'module'],
  sourcemap: production ? false : 'linked',
  minify: false,
  keepNames: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

const builds = [
  { ...node, entryPoints: { extension: 'extension/main.ts' }, outdir: dist },
  { ...node, entryPoints: { worker: 'engine/pool/worker.ts' }, outdir: dist },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: { main: 'webview/main.ts' },
    outdir: join(dist, 'webview'),
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    absWorkingDir: root,
  },
];

/** Static webview assets: our stylesheet and the codicon font (no CDN: the panel loads nothing remote). */
function copyAssets() {
  const target = join(dist, 'webview');
  mkdirSync(target, { recursive: true });
  const codicons = dirname(require.resolve('@vscode/codicons/dist/codicon.css'));
  copyFileSync(join(codicons, 'codicon.css'), join(target, 'codicon.css'));
  copyFileSync(join(codicons, 'codicon.ttf'), join(target, 'codicon.ttf'));
  copyFileSync(join(root, 'webview', 'main.css'), join(target, 'main.css'));
}

for (const name of ['extension.js', 'extension.js.map', 'worker.js', 'worker.js.map', 'webview']) rmSync(join(dist, name), { recursive: true, force: true });
if (watch) {
  copyAssets();
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching extension, worker and webview');
} else {
  const started = performance.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  copyAssets();
  console.log(`esbuild: built dist/ (${production ? 'production' : 'development'}) in ${Math.round(performance.now() - started)} ms`);
}
