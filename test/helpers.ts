import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, from out/test/ or test/. */
export const REPO_ROOT = resolve(__dirname, __dirname.includes(`${join('out', 'test')}`) ? '../..' : '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const FIXTURE_WORKSPACE = join(FIXTURES, 'workspace');
export const TINY_MODEL = join(FIXTURES, 'models', 'tiny');
export const GRAMMARS = join(REPO_ROOT, 'grammars');

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'codegraph-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A writable copy of the multi-language fixture workspace. */
export function copyFixtureWorkspace(): { root: string; cache: string; cleanup: () => void } {
  const dir = tempDir();
  const root = join(dir.path, 'workspace');
  cpSync(FIXTURE_WORKSPACE, root, { recursive: true });
  return { root, cache: join(dir.path, 'cache'), cleanup: dir.cleanup };
}

/** The id of the bundled default model (its manifest's `id`), whatever models/default.json names. */
export function defaultModelId(): string {
  const { default: name } = JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'default.json'), 'utf8')) as { default: string };
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'models', name, 'codegraph-model.json'), 'utf8')) as { id: string }).id;
}

/** A Python function the fixture workspace does not have: tests add it and expect search to find it. */
export const LEVENSHTEIN_PY = `def levenshtein_distance(source, target):
    """Edit distance: the fewest insertions, deletions and substitutions turning source into target."""
    previous = list(range(len(target) + 1))
    for i, left in enumerate(source, 1):
        current = [i]
        for j, right in enumerate(target, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]
`;
