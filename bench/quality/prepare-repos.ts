/**
 * Materialises the benchmark repositories as plain checkouts at the annotated
 * revision, from git directories you already have (a clone, or a bare mirror):
 *
 *   node out/bench/quality/prepare-repos.js --out ~/.cache/codegraph/bench-repos \
 *     --git chi=/path/to/chi/.git --git express=/path/to/express.git ...
 *
 * A revision absent from the git directory falls back to its HEAD, recorded in
 * `<out>/<name>/.bench-revision` so results say which code they ran on.
 * Blobs missing from a partial mirror are skipped file by file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface RepoSpec {
  readonly name: string;
  readonly revision: string;
}

function git(gitDir: string, args: string[]): Buffer {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
}

function main(): void {
  const { values } = parseArgs({ options: { bench: { type: 'string', default: resolve('..', 'shared', 'bench', 'semble') }, out: { type: 'string' }, git: { type: 'string', multiple: true } } });
  if (!values.out) throw new Error('--out <dir> is required');
  const repos = JSON.parse(readFileSync(join(values.bench!, 'repos.json'), 'utf8')) as RepoSpec[];
  const gitDirs = new Map((values.git ?? []).map((pair) => pair.split('=') as [string, string]));
  for (const repo of repos) {
    const target = join(values.out, repo.name);
    if (existsSync(join(target, '.bench-revision'))) {
      console.log(`${repo.name}: already prepared`);
      continue;
    }
    const gitDir = gitDirs.get(repo.name);
    if (!gitDir) {
      console.log(`${repo.name}: no --git given, skipped`);
      continue;
    }
    let revision = repo.revision;
    try {
      git(gitDir, ['cat-file', '-e', `${revision}^{commit}`]);
    } catch {
      revision = git(gitDir, ['rev-parse', 'HEAD']).toString().trim();
      console.log(`${repo.name}: annotated revision ${repo.revision} not in ${gitDir}; using HEAD ${revision}`);
    }
    const listing = git(gitDir, ['ls-tree', '-r', '-z', revision]).toString().split('\0').filter(Boolean);
    let written = 0;
    let missing = 0;
    for (const line of listing) {
      const [meta, path] = line.split('\t') as [string, string];
      const [mode, type, object] = meta.split(' ') as [string, string, string];
      if (type !== 'blob' || mode === '120000') continue;
      let content: Buffer;
      try {
        content = git(gitDir, ['cat-file', 'blob', object]);
      } catch {
        missing++;
        continue;
      }
      mkdirSync(dirname(join(target, path)), { recursive: true });
      writeFileSync(join(target, path), content);
      written++;
    }
    writeFileSync(join(target, '.bench-revision'), `${revision}${revision === repo.revision ? '' : ' (annotated revision unavailable)'}\n`);
    console.log(`${repo.name}: ${written} files at ${revision}${missing ? `, ${missing} blobs missing` : ''}`);
  }
}

main();
