/**
 * The test-only extension that uses CodeGraph as another extension would
 * (test/e2e/fixtures/api-probe): packed into a .vsix for installing beside
 * CodeGraph's. Its commands write what they saw to CODEGRAPH_E2E_PROBE_OUT.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../helpers.js';
import { until, type Workbench } from './workbench.js';

export function packApiProbe(outDir: string): string {
  const source = join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'api-probe');
  const out = join(outDir, 'codegraph-api-probe.vsix');
  const vsce = join(dirname(createRequire(join(REPO_ROOT, 'package.json')).resolve('@vscode/vsce/package.json')), 'vsce');
  const result = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out], { cwd: source, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`packing the API probe failed:\n${result.stdout}\n${result.stderr}`);
  return out;
}

/** Runs a probe command from the palette and returns the report it wrote to `out`. */
export async function runProbe<T>(workbench: Workbench, title: string, out: string): Promise<T> {
  await workbench.runCommand(title);
  const done = `${out}.done`;
  await until(async () => existsSync(done), (exists) => exists, 240_000, `the API probe (${title}) to finish`);
  const outcome = readFileSync(done, 'utf8');
  if (outcome.trim() !== 'done') throw new Error(`the API probe failed: ${outcome}`);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}
