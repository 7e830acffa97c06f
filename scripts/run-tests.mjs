// Compiles and type-checks, runs every compiled unit test with node's test
// runner, then the end-to-end phase: the packaged extension in a real VS Code
// (code-server, driven by Chromium). The e2e phase installs its tools on first
// use (scripts/e2e/setup.sh) and fails loudly if that is impossible.
//
// Usage: node scripts/run-tests.mjs [substring filter]
//   A filter selects unit test files by path; the e2e phase then runs only if
//   the filter contains "e2e". CODEGRAPH_SKIP_E2E=1 skips the e2e phase (and
//   says so).
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const step = (label, command, args, options = {}) => {
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`\nrun-tests: ${label} FAILED (exit ${result.status ?? result.signal}, ${seconds} s)`);
    process.exit(result.status || 1);
  }
  console.log(`run-tests: ${label} ok (${seconds} s)`);
  return result;
};

// The project, then the extension host (vscode types) and the webview (DOM types), which esbuild bundles.
step('compile', process.execPath, [tscBin, '-p', root]);
step('type-check extension', process.execPath, [tscBin, '-p', join(root, 'extension', 'tsconfig.json')]);
step('type-check webview', process.execPath, [tscBin, '-p', join(root, 'webview', 'tsconfig.json')]);

const filter = process.argv[2] ?? '';
const collect = (suffix) => {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(suffix) && path.includes(filter)) files.push(path);
    }
  };
  walk(join(root, 'out', 'test'));
  return files;
};
const unitFiles = collect('.test.js');
// With no files, `node --test` would go looking for tests on its own: only run it with some.
if (unitFiles.length > 0) step('unit tests', process.execPath, ['--test', '--test-reporter=spec', ...unitFiles]);

const runE2e = filter === '' || filter.includes('e2e');
if (!runE2e) process.exit(0);
if (process.env['CODEGRAPH_SKIP_E2E'] === '1') {
  console.warn('\nrun-tests: END-TO-END TESTS SKIPPED (CODEGRAPH_SKIP_E2E=1): the extension was not tested in VS Code.');
  process.exit(0);
}

const setup = step('e2e setup (scripts/e2e/setup.sh)', 'bash', [join(root, 'scripts', 'e2e', 'setup.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const tools = setup.stdout.trim().split('\n').pop();
step('package extension (.vsix)', process.execPath, [join(root, 'scripts', 'package-extension.mjs')]);
rmSync(join(root, 'test-artifacts', 'e2e'), { recursive: true, force: true });
const e2eFiles = collect('.e2e.js');
if (e2eFiles.length === 0) {
  console.error('run-tests: no compiled e2e tests found under out/test');
  process.exit(1);
}
step('e2e tests (real VS Code)', process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...e2eFiles], { env: { ...process.env, CODEGRAPH_E2E_TOOLS: tools } });
